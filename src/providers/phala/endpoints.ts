// The Phala Cloud CVM lifecycle endpoints our docs describe (provider-docs/phala-cloud-*.txt), one activity each,
// then the two attestation endpoints beyond those docs (provider-notes/phala-attestation.md), marked `beyondDocs`.
// Paths are relative to the base URL `https://cloud-api.phala.com/api/v1`.
import type { EndpointDef } from '../http/endpoint';

export const phalaEndpoints = [
  { provider: 'phala', method: 'GET', path: '/cvms', activity: 'phalaListCvms', summary: 'List CVMs (legacy bare array, or paginated {items,total,page,...} when page/page_size are given)' },
  { provider: 'phala', method: 'GET', path: '/cvms/{id}', activity: 'phalaGetCvm', summary: 'Get CVM details (shape depends on X-Phala-Version)' },
  { provider: 'phala', method: 'POST', path: '/cvms/provision', activity: 'phalaProvisionCvm', summary: 'Provision step of the two-phase create: returns compose_hash, app_id (null for on-chain KMS) and the env pubkey' },
  { provider: 'phala', method: 'POST', path: '/cvms', activity: 'phalaCommitCvm', summary: 'Commit a provisioned CVM; idempotent on app_id + compose_hash, 409 ERR-03-007 on a different compose_hash' },
  { provider: 'phala', method: 'POST', path: '/cvms/{id}/start', activity: 'phalaStartCvm', summary: 'Start a stopped CVM' },
  { provider: 'phala', method: 'POST', path: '/cvms/{id}/stop', activity: 'phalaStopCvm', summary: 'Force-stop a CVM immediately' },
  { provider: 'phala', method: 'POST', path: '/cvms/{id}/shutdown', activity: 'phalaShutdownCvm', summary: 'Gracefully shut a CVM down' },
  { provider: 'phala', method: 'POST', path: '/cvms/{id}/restart', activity: 'phalaRestartCvm', summary: 'Restart a CVM (body {force})' },
  { provider: 'phala', method: 'DELETE', path: '/cvms/{id}', activity: 'phalaDeleteCvm', summary: 'Permanently delete a CVM and its data' },
  { provider: 'phala', method: 'POST', path: '/cvms/{id}/replicas', activity: 'phalaReplicateCvm', summary: 'Create a replica of a CVM (same compose) on a node (node_id)' },
  { provider: 'phala', method: 'GET', path: '/cvms/{id}/state', activity: 'phalaWatchCvmState', summary: 'Watch the CVM state as server-sent events until a target status (interval 5-30 s, timeout 10-600 s)' },
  {
    provider: 'phala',
    method: 'GET',
    path: '/cvms/{id}/attestation',
    activity: 'phalaGetCvmAttestation',
    summary: "A CVM's attestation: RA-TLS app certificates (the end-entity one carries the TDX quote) and tcb_info (registers, event log, app_compose)",
    beyondDocs: 'provider-notes/phala-attestation.md',
  },
  {
    provider: 'phala',
    method: 'GET',
    path: '/apps/{app_id}/attestations',
    activity: 'phalaGetAppAttestations',
    summary: "An app's attestations, one per instance (quote, tcb_info / eventlog, vm_uuid); served without an API key",
    beyondDocs: 'provider-notes/phala-attestation.md',
  },
] as const satisfies readonly EndpointDef[];

export type PhalaActivityName = (typeof phalaEndpoints)[number]['activity'];

function byActivity(activity: PhalaActivityName): EndpointDef {
  return phalaEndpoints.find((e) => e.activity === activity)!;
}

/** The endpoints by short name, for the client and the sandbox. */
export const PHALA = {
  listCvms: byActivity('phalaListCvms'),
  getCvm: byActivity('phalaGetCvm'),
  provisionCvm: byActivity('phalaProvisionCvm'),
  commitCvm: byActivity('phalaCommitCvm'),
  startCvm: byActivity('phalaStartCvm'),
  stopCvm: byActivity('phalaStopCvm'),
  shutdownCvm: byActivity('phalaShutdownCvm'),
  restartCvm: byActivity('phalaRestartCvm'),
  deleteCvm: byActivity('phalaDeleteCvm'),
  replicateCvm: byActivity('phalaReplicateCvm'),
  watchCvmState: byActivity('phalaWatchCvmState'),
  getCvmAttestation: byActivity('phalaGetCvmAttestation'),
  getAppAttestations: byActivity('phalaGetAppAttestations'),
} as const;
