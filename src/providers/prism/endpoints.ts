// Ultraviolet Prism CVM API (docs: provider-docs/ultraviolet-prism-cvms.md): the 6 documented endpoints, one activity each.
// Paths are relative to https://prism.ultraviolet.rs/backends; every one is scoped by the workspace (domain) id.
import type { EndpointDef } from '../http/endpoint';

const D = '/{domainID}/cvms';

const defs = [
  {
    provider: 'prism',
    method: 'POST',
    path: `${D}/{provider}/{vcpu}/{cc_platform}`,
    activity: 'prismCreateCvm',
    summary: 'Create a CVM (body {name, agent_log_level}); answers 201 with no body, so no id',
  },
  { provider: 'prism', method: 'GET', path: D, activity: 'prismListCvms', summary: 'List CVMs (limit, offset, name, status, days, cc_platform)' },
  { provider: 'prism', method: 'GET', path: `${D}/{id}`, activity: 'prismGetCvm', summary: 'View a CVM, with its boot-time attestation once online' },
  { provider: 'prism', method: 'DELETE', path: `${D}/{id}`, activity: 'prismDeleteCvm', summary: 'Delete a CVM (204; its status becomes Inactive)' },
  { provider: 'prism', method: 'GET', path: `${D}/{id}/statistics`, activity: 'prismGetCvmStatistics', summary: 'Online/offline heartbeats of a CVM over the last `days`' },
  { provider: 'prism', method: 'GET', path: `${D}/{id}/attestation_policy`, activity: 'prismGetAttestationPolicy', summary: 'The CVM attestation policy (base64)' },
] as const satisfies readonly EndpointDef[];

export const prismEndpoints = [...defs] satisfies EndpointDef[];

export type PrismActivityName = (typeof defs)[number]['activity'];

const byActivity = new Map<string, EndpointDef>(prismEndpoints.map((e) => [e.activity, e]));

/** The endpoint behind an activity name; throws for an unknown one (a programming error). */
export function prismEndpoint(activity: PrismActivityName): EndpointDef {
  const e = byActivity.get(activity);
  if (!e) throw new Error(`unknown Prism endpoint ${activity}`);
  return e;
}
