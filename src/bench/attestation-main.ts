// Runnable entry: `node lib/bench/attestation-main.js` prints the attestation benchmark.
import { benchAttestation } from './attestation';

benchAttestation()
  .then((results) => {
    for (const r of results) process.stdout.write(`${r.name.padEnd(44)} ${r.opsPerSec.toFixed(1).padStart(10)} ops/s  (${r.iterations} iterations)\n`);
  })
  .catch((err: unknown) => {
    process.stderr.write(`attestation bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
