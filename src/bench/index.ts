// `npm run bench`: every benchmark, each printing ratios measured within this one run.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { benchAttestation } from './attestation';
import { benchCodecOverhead } from './codec';
import { benchDetection, formatDetectionRows } from './detection';
import { benchLifecycleHistory } from './history';

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const only = process.argv.slice(2);
  const want = (name: string) => only.length === 0 || only.includes(name);

  if (want('attestation')) {
    const rows = await benchAttestation();
    console.log('\n## Attestation verification (verifications per second, one core)');
    for (const r of rows) console.log(`${r.name.padEnd(48)} ${String(r.opsPerSec).padStart(8)} /s  (${r.iterations} runs)`);
    const snp = rows.find((r) => r.name.startsWith('snp-verify'));
    const limit = rows.find((r) => r.name.startsWith('snp-report-signature-only'));
    if (snp && limit) console.log(`SNP verification / report-signature-only limit: ${(snp.opsPerSec / limit.opsPerSec).toFixed(2)} (goal >= 0.9; the rest is the policy and verdict)`);
    const tdx = rows.find((r) => r.name.startsWith('tdx'));
    const dstack = rows.find((r) => r.name.startsWith('dstack'));
    if (snp && tdx) console.log(`SNP / TDX throughput ratio: ${(snp.opsPerSec / tdx.opsPerSec).toFixed(1)}x`);
    if (dstack && tdx) console.log(`dstack / TDX throughput ratio: ${(dstack.opsPerSec / tdx.opsPerSec).toFixed(2)}x (the event-log replay and identity checks on top of DCAP)`);
    if (dstack && snp) console.log(`dstack / SNP throughput ratio: ${(dstack.opsPerSec / snp.opsPerSec).toFixed(2)}x`);
  }

  if (want('cluster')) {
    // Its own process: it starts a dev server and a 2-node PostgreSQL cluster and compares them in one run.
    console.log('\n## Trivial-workflow ceiling: SQLite dev server vs 2-node PostgreSQL cluster');
    const r = spawnSync(process.execPath, [join(__dirname, 'cluster-main.js'), process.env.CVMFLOW_BENCH_COUNT ?? '300'], { stdio: 'inherit' });
    if (r.status !== 0) console.log('(cluster benchmark failed; see above)');
  }

  if (want('codec')) {
    console.log('\n## Payload codec overhead (AES-256-GCM + brotli) on CUDO lifecycle throughput, same dev server');
    const c = await benchCodecOverhead(Number(process.env.CVMFLOW_BENCH_CODEC_COUNT ?? '25'));
    console.log(`lifecycles/s plain ${c.plainPerSecond.toFixed(2)} → encrypted ${c.encryptedPerSecond.toFixed(2)} (ratio ${c.throughputRatio.toFixed(2)}, ${c.lifecycles} lifecycles); codec alone ${Math.round(c.codecRoundTripsPerSecond)} encode+decode/s of a lifecycle input`);
  }

  if (want('history')) {
    console.log('\n## Lifecycle history size (events) when the CVM boots 10x slower');
    const rows = await benchLifecycleHistory();
    for (const r of rows) {
      console.log(`${r.workflow.padEnd(24)} events ${String(r.events).padStart(4)} → ${String(r.eventsSlowBoot).padStart(4)} (ratio ${(r.eventsSlowBoot / r.events).toFixed(2)}), wall ${r.seconds.toFixed(1)} s → ${r.secondsSlowBoot.toFixed(1)} s (ratio ${(r.secondsSlowBoot / r.seconds).toFixed(1)})`);
    }
  }

  await detectionSection(want);
}

/** Goal 4 of issue 16 (detection of Running): kept apart so it can move into the one table as it is. */
async function detectionSection(want: (name: string) => boolean): Promise<void> {
  if (!want('detection')) return;
  console.log('\n## Detection of Running: p50 from the provider reporting Running to the step done, official tool vs cvmflow');
  for (const line of formatDetectionRows(await benchDetection({ perRound: Number(process.env.CVMFLOW_BENCH_DETECTION_COUNT ?? '8') }))) console.log(line);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
