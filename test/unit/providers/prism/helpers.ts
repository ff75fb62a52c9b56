// Shared setup for the Prism tests: a sandbox on 127.0.0.1:0 with a controllable clock, and the real client pointed at it.
import { PrismClient, type PrismClientOptions } from '../../../../src/providers/prism/client';
import type { ResponseLog } from '../../../../src/providers/http/core';
import { SandboxClock } from '../../../../src/sandbox/http/clock';
import { createPrismSandbox, type PrismSandbox, type PrismSandboxOptions } from '../../../../src/sandbox/prism';
import type { IssueEvidence } from '../../../../src/sandbox/prism/evidence';

/** A clock whose "real" time only moves when the test says so. */
export class ManualClock extends SandboxClock {
  private readonly box: { t: number };
  constructor(speed = 1, start = Date.parse('2026-03-01T12:00:00Z')) {
    const box = { t: start };
    super(speed, () => box.t);
    this.box = box;
  }
  /** Advances simulated time by `simMs`. */
  advance(simMs: number): void {
    this.box.t += this.real(simMs);
  }
}

/** A fake issuer that stands in for src/sandbox/evidence/snp-issuer.ts: deterministic, recognisable bytes. */
export function fakeIssuer(calls: string[] = []): IssueEvidence {
  return (cvm) => {
    calls.push(cvm.id);
    const attestation = Buffer.alloc(0x4a0, 0x11);
    attestation.write(`FAKE-SNP:${cvm.id}`, 0x50);
    return { attestation, policy: { policy: { vmpl: 2, measurement: Buffer.alloc(48, 0xab).toString('base64') }, issuedFor: cvm.name }, rootPem: '-----BEGIN CERTIFICATE-----\nFAKEROOT\n-----END CERTIFICATE-----\n' };
  };
}

export interface Env {
  sandbox: PrismSandbox;
  client: PrismClient;
  clock: ManualClock;
  url: string;
  logs: ResponseLog[];
}

export async function startEnv(opts: PrismSandboxOptions & { client?: Partial<PrismClientOptions> } = {}): Promise<Env> {
  const clock = (opts.clock as ManualClock | undefined) ?? new ManualClock();
  const sandbox = createPrismSandbox({ issueEvidence: fakeIssuer(), ...opts, clock });
  const url = await sandbox.server.listen(0, '127.0.0.1');
  const logs: ResponseLog[] = [];
  const client = new PrismClient({ baseUrl: url, token: sandbox.token, domainId: sandbox.domainId, headersTimeoutMs: 5000, onResponse: (l) => logs.push(l), ...opts.client });
  return { sandbox, client, clock, url, logs };
}

export async function stopEnv(env: Env | undefined): Promise<void> {
  if (!env) return;
  await env.client.close();
  await env.sandbox.close();
}

/** Real boot: Creating 20 s + Starting 40 s by default. */
export const BOOT_MS = 60_000;

export async function adminPost(env: Env, route: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const origin = new URL(env.url).origin;
  const res = await fetch(`${origin}/_sandbox/${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}
