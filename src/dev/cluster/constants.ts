// The native cluster's fixed settings, shared with docker-compose.yml (checked by test/unit/deploy/cluster-parity.test.ts).
import { resolve } from 'node:path';
import { DEFAULT_NAMESPACE } from '../../contract/defaults';
import { PROJECT_ROOT } from '../../common/paths';
import { TEMPORAL_SERVER_VERSION } from '../toolchain/temporal-server';

export { TEMPORAL_SERVER_VERSION };
/** The Web UI the Temporal CLI v1.5.1 embeds; docker-compose runs the same version. */
export const TEMPORAL_UI_VERSION = '2.42.1';
export const SQL_PLUGIN = 'postgres12';
export const NUM_HISTORY_SHARDS = 4;
export const DEFAULT_FRONTEND_PORT = 7233;
export const DEFAULT_DATABASE = 'temporal';
export const DEFAULT_VISIBILITY_DATABASE = 'temporal_visibility';
export const DEFAULT_PG_USER = 'temporal';
export const DEFAULT_PG_PASSWORD = 'temporal';
export const DEFAULT_PG_HOST = '127.0.0.1';
export const DEFAULT_PG_PORT = 5432;
/**
 * Each service of a node has its own pool: a node opens up to 4 × (this + 2 visibility) connections, so two
 * nodes (64) stay within PostgreSQL's default max_connections of 100.
 */
export const DEFAULT_PG_MAX_CONNS = 6;
export const VISIBILITY_MAX_CONNS = 2;
export const DEFAULT_CLUSTER_NAMESPACE = DEFAULT_NAMESPACE;
/** Namespace retention, as docker-compose's temporal-init creates it. */
export const NAMESPACE_RETENTION = '72h';
/** The dynamic config both the compose server (mounted) and the native cluster (dynamicConfigClient.filepath) load. */
export const DYNAMIC_CONFIG_FILE = resolve(PROJECT_ROOT, 'deploy', 'dynamicconfig', 'development-sql.yaml');
export const DEFAULT_CLUSTER_DIR = '.temporal/cluster';
/** Services every node runs; each has a gRPC and a membership port. */
export const SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;
export type ServiceName = (typeof SERVICES)[number];
