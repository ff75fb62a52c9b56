// The native Temporal cluster on PostgreSQL (`npm run cluster`, test/cluster, the cluster benchmark).
export { startCluster, dropClusterDatabases, type Cluster, type ClusterProcess, type StartClusterOptions } from './cluster';
export * from './constants';
export { ClusterError, clusterMembership, type MembershipRow } from './postgres';
export { nodePorts, serverConfig, type NodePorts } from './server-config';
export { ClusterConfigError, CLUSTER_VARIABLES, loadClusterSettings, type ClusterSettings, type PgSettings } from './settings';
