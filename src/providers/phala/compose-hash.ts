// The compose hash of an app-compose document (SDK `getComposeHash`, provider-notes/phala.md §3.3):
// drop docker_compose_file for runner "bash", bash_script for runner "docker-compose", and an empty
// pre_launch_script; sort keys recursively; JSON with 4-space indent and "key":value separators
// (Python json.dumps(indent=4, separators=(",",":"), ensure_ascii=False)); sha256 hex.
import { createHash } from 'node:crypto';

function sortDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortDeep);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortDeep(v);
    }
    return out;
  }
  return value;
}

export function canonicalAppCompose(appCompose: Record<string, unknown>): string {
  const doc: Record<string, unknown> = { ...appCompose };
  if (doc.runner === 'bash') delete doc.docker_compose_file;
  if (doc.runner === 'docker-compose') delete doc.bash_script;
  if (doc.pre_launch_script === '' || doc.pre_launch_script === null) delete doc.pre_launch_script;
  // JSON.stringify(…, 4) writes '": "' between key and value; Python's separators=(",",":") writes '":"'.
  return JSON.stringify(sortDeep(doc), null, 4).replace(/": /g, '":');
}

export function composeHash(appCompose: Record<string, unknown>): string {
  return createHash('sha256').update(canonicalAppCompose(appCompose), 'utf8').digest('hex');
}
