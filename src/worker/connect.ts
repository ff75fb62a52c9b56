// Connection to an existing Temporal cluster: TEMPORAL_ADDRESS plus the standard Temporal env config
// (namespace, TLS client cert/key, API key, profile file), as every Temporal tool reads it.
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';

export function clusterConnectionOptions(address: string): NativeConnectionOptions {
  const { connectionOptions } = loadClientConnectConfig();
  return { ...connectionOptions, address };
}
