// The payload codec's cost: CUDO lifecycles per second with the codec on (AES-256-GCM + brotli) against the same
// lifecycles with payloads in clear, measured in one run on one dev server (ABBA order, so drift cancels out),
// and the codec alone on a lifecycle-sized payload.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { CodecKeyRing } from '../codec/key-ring';
import { codecDataConverter, EncryptionCodec } from '../codec/payload-codec';
import { startBenchDevServer } from './dev-server';
import { benchLifecycleThroughput } from './history';

export interface CodecOverhead {
  /** Lifecycles per second, payloads in clear / encrypted (each the sum of two rounds). */
  plainPerSecond: number;
  encryptedPerSecond: number;
  /** encrypted / plain: 1.0 means no cost. */
  throughputRatio: number;
  lifecycles: number;
  /** Encode + decode of one lifecycle input (about 1 KiB of JSON), per second on one core. */
  codecRoundTripsPerSecond: number;
}

const benchRing = () => new CodecKeyRing([{ id: 'bench', key: Buffer.alloc(32, 7), createdAt: '2025-01-01T00:00:00Z' }]);

async function codecRoundTrips(ms = 1500): Promise<number> {
  const codec = new EncryptionCodec(benchRing());
  const input = defaultPayloadConverter.toPayload({
    vmId: 'bench-vm', dataCenterId: 'gb-bournemouth-1', machineType: 'epyc-milan', bootDiskImageId: 'ubuntu-2204', vcpus: 2, memoryGib: 4,
    labels: Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`label-${i}`, `value-${i}-${'x'.repeat(40)}`])),
    composeFile: 'services:\n  web:\n    image: nginx:1.27\n    ports: ["80:80"]\n'.repeat(4),
  });
  let n = 0;
  const end = Date.now() + ms;
  while (Date.now() < end) {
    await codec.decode(await codec.encode([input]));
    n++;
  }
  return n / (ms / 1000);
}

/** Starts its own dev server; `count` lifecycles per round, four rounds (plain, encrypted, encrypted, plain). */
export async function benchCodecOverhead(count = 25): Promise<CodecOverhead> {
  const dir = mkdtempSync(join(tmpdir(), 'cvmflow-bench-codec-'));
  const server = await startBenchDevServer(dir);
  try {
    const encrypted = { dataConverter: codecDataConverter(benchRing()) };
    const seconds = { plain: 0, encrypted: 0 };
    for (const mode of ['plain', 'encrypted', 'encrypted', 'plain'] as const) {
      const r = await benchLifecycleThroughput(server.address, count, 50, mode === 'encrypted' ? encrypted : {});
      seconds[mode] += r.seconds;
    }
    const plainPerSecond = (2 * count) / seconds.plain;
    const encryptedPerSecond = (2 * count) / seconds.encrypted;
    return { plainPerSecond, encryptedPerSecond, throughputRatio: encryptedPerSecond / plainPerSecond, lifecycles: 4 * count, codecRoundTripsPerSecond: await codecRoundTrips() };
  } finally {
    await server.stop();
  }
}
