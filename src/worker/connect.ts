// Connection to an existing Temporal cluster: the address cvmflow's config resolved plus the standard Temporal
// env config (TLS client cert/key, API key, gRPC metadata, profile file), as every Temporal tool reads it.
import type { NativeConnectionOptions } from '@temporalio/worker';
import { DEFAULT_NAMESPACE } from '../contract/defaults';
import { resolveTemporalEnv } from '../common/temporal-env';

/** `apiKey` comes from cvmflow's config, so TEMPORAL_API_KEY_FILE works as well as TEMPORAL_API_KEY. */
export function clusterConnectionOptions(address: string, apiKey?: string, env: NodeJS.ProcessEnv = process.env): NativeConnectionOptions {
  const { connection } = resolveTemporalEnv({}, env, { namespace: DEFAULT_NAMESPACE });
  const key = apiKey ?? connection.apiKey;
  if (!key) return { ...connection, address };
  // An API key implies TLS (as envconfig does for TEMPORAL_API_KEY).
  return { ...connection, address, apiKey: key, tls: connection.tls ?? true };
}
