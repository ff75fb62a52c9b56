// Connection to an existing Temporal cluster: TEMPORAL_ADDRESS plus the standard Temporal env config
// (namespace, TLS client cert/key, API key, profile file), as every Temporal tool reads it.
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';

/** `apiKey` comes from cvmflow's config, so TEMPORAL_API_KEY_FILE works as well as TEMPORAL_API_KEY. */
export function clusterConnectionOptions(address: string, apiKey?: string): NativeConnectionOptions {
  const { connectionOptions } = loadClientConnectConfig();
  if (!apiKey) return { ...connectionOptions, address };
  // An API key implies TLS (as envconfig does for TEMPORAL_API_KEY).
  return { ...connectionOptions, address, apiKey, tls: connectionOptions.tls ?? true };
}
