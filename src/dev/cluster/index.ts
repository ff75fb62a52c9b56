// The native Temporal cluster on PostgreSQL (`npm run cluster`, test/cluster, the cluster benchmark).
export { startCluster, dropClusterDatabases, launchNode, waitHealthy, waitForMembers, stopProcess, registerClusterSearchAttributes, type Cluster, type ClusterProcess, type StartClusterOptions } from './cluster';
export * from './constants';
export { ClusterError, clusterMembership, shardOwners, MEMBER_HEARTBEAT_CUTOFF_SECONDS, type MembershipRow } from './postgres';
export { MAX_MEMBERSHIP_PORT, nodePorts, serverConfig, serverConfigYaml, serverImageDbEnv, type NodePorts } from './server-config';
export { ClusterConfigError, CLUSTER_VARIABLES, loadClusterSettings, type ClusterSettings, type PgSettings } from './settings';
