// Workflow ids that say what they are. Deterministic, so a repeated start attaches instead of duplicating.
// Built and parsed here only: the client, the CLI and the fleet workflows read ids through `parseWorkflowId`.
import { PROVIDERS, type Provider } from './common';
import { PROVIDER_PROFILES } from './rules/profiles';

export { LIFECYCLE_TYPES, WORKFLOW_TYPES } from './workflows';

export const lifecycleWorkflowId = (provider: Provider, nameOrVmId: string) => `cvm/${provider}/${nameOrVmId}`;
export const teardownWorkflowId = (provider: Provider, cvmKey: string) => `teardown/${provider}/${cvmKey}`;
export const operateWorkflowId = (provider: Provider, cvmId: string, action: string, requestId: string) => `operate/${provider}/${cvmId}/${action}/${requestId}`;
/** Runs started by a schedule get this id plus the scheduled time. */
export const scheduleWorkflowId = (scheduleId: string) => `schedule/${scheduleId}`;

/** The key a CVM's lifecycle and teardown ids are made of: the name, or the id where the provider has no names
 * (CUDO's vmId) or the name is not known. */
export function cvmKey(provider: Provider, cvmName: string | null | undefined, cvmId: string | null | undefined): string {
  const key = PROVIDER_PROFILES[provider].addressedByName ? (cvmName ?? cvmId) : (cvmId ?? cvmName);
  if (!key) throw new Error(`a ${provider} CVM needs a name or an id`);
  return key;
}

export type ParsedWorkflowId =
  | { kind: 'lifecycle'; provider: Provider; key: string }
  | { kind: 'teardown'; provider: Provider; key: string }
  | { kind: 'operate'; provider: Provider; cvmId: string; action: string; requestId: string }
  | { kind: 'schedule'; scheduleId: string };

const providerPart = `(${PROVIDERS.join('|')})`;
const LIFECYCLE = new RegExp(`^cvm/${providerPart}/(.+)$`);
const TEARDOWN = new RegExp(`^teardown/${providerPart}/(.+)$`);
const OPERATE = new RegExp(`^operate/${providerPart}/(.+)/([a-z]+)/([A-Za-z0-9._-]+)$`);

/** What a workflow id names; undefined for an id cvmflow did not make. */
export function parseWorkflowId(id: string): ParsedWorkflowId | undefined {
  let m: RegExpExecArray | null;
  if ((m = LIFECYCLE.exec(id))) return { kind: 'lifecycle', provider: m[1] as Provider, key: m[2]! };
  if ((m = TEARDOWN.exec(id))) return { kind: 'teardown', provider: m[1] as Provider, key: m[2]! };
  if ((m = OPERATE.exec(id))) return { kind: 'operate', provider: m[1] as Provider, cvmId: m[2]!, action: m[3]!, requestId: m[4]! };
  if (id.startsWith('schedule/') && id.length > 'schedule/'.length) return { kind: 'schedule', scheduleId: id.slice('schedule/'.length) };
  return undefined;
}
