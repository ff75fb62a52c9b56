// Golden histories of every release: test/histories/<release>/<workflowType>/<scenario>.json, recorded from the
// integration tests by `npm run record-histories` (the package version is the release), and all of them replayed
// against the current workflow code on every run, forever. The only way a history stops replaying is an entry
// in test/histories/retired.json that names it and says why; deleting a file fails the replay test instead.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker, type ReplayWorkerOptions } from '@temporalio/worker';
import { z } from 'zod';

export const HISTORIES_DIR = join(__dirname, '..', 'histories');
export const RETIRED_FILE = join(HISTORIES_DIR, 'retired.json');
/** Every file each release recorded, so a deleted history is noticed (test/histories/<release>/manifest.json). */
export const MANIFEST = 'manifest.json';
const RELEASE = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

/** The release a recording belongs to: CVMFLOW_HISTORIES_RELEASE, else the package version. */
export function currentRelease(): string {
  return process.env.CVMFLOW_HISTORIES_RELEASE ?? (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
}

/** Saves the closed workflow's history as a golden file of the current release when recording is switched on. */
export async function recordHistory(client: Client, workflowId: string, workflowType: string, scenario: string): Promise<void> {
  if (process.env.CVMFLOW_RECORD_HISTORIES !== '1') return;
  await client.workflow.getHandle(workflowId).result().catch(() => undefined); // closed, so the history is whole
  const json = historyToJSON(await client.workflow.getHandle(workflowId).fetchHistory());
  const dir = join(HISTORIES_DIR, currentRelease(), workflowType);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${scenario}.json`), `${JSON.stringify(JSON.parse(json), null, 1)}\n`);
}

const RetiredSchema = z.array(
  z.object({
    release: z.string().regex(RELEASE, 'release: expected a release directory name such as 0.1.0'),
    workflowType: z.string().min(1, 'workflowType: required'),
    scenario: z.string().min(1, 'scenario: required (the file name without .json)'),
    reason: z.string().min(20, 'reason: say why this history may stop replaying (at least 20 characters)'),
    retiredIn: z.string().regex(RELEASE, 'retiredIn: the release that stopped replaying it, such as 0.2.0'),
  }).strict(),
);
export type RetiredHistory = z.infer<typeof RetiredSchema>[number];

export function loadRetired(): RetiredHistory[] {
  if (!existsSync(RETIRED_FILE)) return [];
  const parsed = RetiredSchema.safeParse(JSON.parse(readFileSync(RETIRED_FILE, 'utf8')));
  if (!parsed.success) throw new Error(`test/histories/retired.json: ${parsed.error.issues.map((i) => `[${i.path.join('.')}] ${i.message}`).join('; ')}`);
  return parsed.data;
}

export interface GoldenHistory {
  release: string;
  workflowType: string;
  scenario: string;
  workflowId: string;
  history: ReturnType<typeof historyFromJSON>;
}

export interface GoldenSet {
  histories: GoldenHistory[];
  retired: RetiredHistory[];
  /** Problems with the layout: a stray directory, a recorded file that is gone, a retirement of nothing. */
  problems: string[];
}

export function releases(): string[] {
  if (!existsSync(HISTORIES_DIR)) return [];
  return readdirSync(HISTORIES_DIR, { withFileTypes: true })
    .filter((e) => e.isDirectory() && RELEASE.test(e.name))
    .map((e) => e.name)
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/** Every release's histories minus the retired ones, and what is wrong with the layout. */
export function loadGoldenSet(): GoldenSet {
  const retired = loadRetired();
  const problems: string[] = [];
  const histories: GoldenHistory[] = [];
  if (!existsSync(HISTORIES_DIR)) return { histories, retired, problems };
  for (const e of readdirSync(HISTORIES_DIR, { withFileTypes: true })) {
    if (e.isDirectory() && !RELEASE.test(e.name)) problems.push(`test/histories/${e.name} is not a release directory: move it to test/histories/<release>/${e.name} (the release that recorded it)`);
  }
  const isRetired = (r: string, w: string, s: string) => retired.some((x) => x.release === r && x.workflowType === w && x.scenario === s);
  const found = new Set<string>();
  for (const release of releases()) {
    const dir = join(HISTORIES_DIR, release);
    const recorded = new Set<string>();
    for (const workflowType of readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort()) {
      for (const file of readdirSync(join(dir, workflowType)).filter((f) => f.endsWith('.json')).sort()) {
        const scenario = file.replace(/\.json$/, '');
        recorded.add(`${workflowType}/${scenario}`);
        found.add(`${release}/${workflowType}/${scenario}`);
        if (isRetired(release, workflowType, scenario)) continue;
        const history = historyFromJSON(JSON.parse(readFileSync(join(dir, workflowType, file), 'utf8')));
        histories.push({ release, workflowType, scenario, workflowId: `${release}/${workflowType}/${scenario}`, history });
      }
    }
    const manifestFile = join(dir, MANIFEST);
    const beingRecorded = process.env.CVMFLOW_RECORD_HISTORIES === '1' && release === currentRelease(); // the recorder writes it last
    if (!existsSync(manifestFile)) {
      if (!beingRecorded) problems.push(`test/histories/${release}/${MANIFEST} is missing: \`npm run record-histories\` writes it; without it a deleted history would go unnoticed`);
    } else {
      for (const entry of JSON.parse(readFileSync(manifestFile, 'utf8')) as string[]) {
        const [workflowType, scenario] = entry.split('/') as [string, string];
        if (!recorded.has(entry) && !isRetired(release, workflowType, scenario)) {
          problems.push(`test/histories/${release}/${entry}.json was recorded by release ${release} and is gone: restore it (git checkout), or retire it in test/histories/retired.json with a reason`);
        }
      }
    }
  }
  for (const r of retired) {
    if (!found.has(`${r.release}/${r.workflowType}/${r.scenario}`)) problems.push(`test/histories/retired.json retires ${r.release}/${r.workflowType}/${r.scenario}, which does not exist: fix the entry`);
  }
  return { histories, retired, problems };
}

/**
 * Replays the histories against a workflow bundle; one message per history that no longer replays, naming the
 * workflow, the release whose history broke, and what to do about it.
 */
export async function replayFailures(workflowBundle: ReplayWorkerOptions['workflowBundle'], histories: GoldenHistory[]): Promise<string[]> {
  const byId = new Map(histories.map((h) => [h.workflowId, h]));
  const failures: string[] = [];
  for await (const r of Worker.runReplayHistories({ workflowBundle }, histories.map((g) => ({ workflowId: g.workflowId, history: g.history })))) {
    if (!r.error) continue;
    const h = byId.get(r.workflowId)!;
    failures.push(
      `${h.workflowType}: the current code no longer replays the history release ${h.release} recorded (test/histories/${h.release}/${h.workflowType}/${h.scenario}.json): ` +
        `${r.error.message.split('\n')[0]}. Workflows of release ${h.release} that are still running would fail like this on the new worker. ` +
        `Fix: put the change to ${h.workflowType} behind \`if (patched('<change-id>'))\` from @temporalio/workflow, keeping the old path for old runs ` +
        `(README "Upgrading cvmflow"); only if the old runs must not continue, retire the history in test/histories/retired.json with a reason.`,
    );
  }
  return failures;
}
