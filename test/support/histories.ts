// Golden histories: recorded from integration runs with CVMFLOW_RECORD_HISTORIES=1, committed under
// test/histories/<workflowType>/<scenario>.json, and replayed against the current code on every run.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';

export const HISTORIES_DIR = join(__dirname, '..', 'histories');

/** Saves the closed workflow's history as a golden file when recording is switched on. */
export async function recordHistory(client: Client, workflowId: string, workflowType: string, scenario: string): Promise<void> {
  if (process.env.CVMFLOW_RECORD_HISTORIES !== '1') return;
  await client.workflow.getHandle(workflowId).result().catch(() => undefined); // closed, so the history is whole
  const json = historyToJSON(await client.workflow.getHandle(workflowId).fetchHistory());
  mkdirSync(join(HISTORIES_DIR, workflowType), { recursive: true });
  writeFileSync(join(HISTORIES_DIR, workflowType, `${scenario}.json`), `${JSON.stringify(JSON.parse(json), null, 1)}\n`);
}

export interface GoldenHistory {
  workflowType: string;
  scenario: string;
  workflowId: string;
  history: ReturnType<typeof historyFromJSON>;
}

export function loadGoldenHistories(): GoldenHistory[] {
  if (!existsSync(HISTORIES_DIR)) return [];
  const out: GoldenHistory[] = [];
  for (const workflowType of readdirSync(HISTORIES_DIR).sort()) {
    for (const file of readdirSync(join(HISTORIES_DIR, workflowType)).filter((f) => f.endsWith('.json')).sort()) {
      const scenario = file.replace(/\.json$/, '');
      out.push({ workflowType, scenario, workflowId: `${workflowType}/${scenario}`, history: historyFromJSON(JSON.parse(readFileSync(join(HISTORIES_DIR, workflowType, file), 'utf8'))) });
    }
  }
  return out;
}
