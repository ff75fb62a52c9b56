// The Prism sandbox's behaviour: the boot state machine over time, evidence only once online, filters and paging,
// soft delete, heartbeats, and the helpers that make boots fail or evidence mismatch.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PrismClient } from '../../../../src/providers/prism/client';
import { decodeAttestation, decodeAttestationPolicy } from '../../../../src/providers/prism/schemas';
import { prismLifecycle } from '../../../../src/contract/rules/prism';
import { SandboxClock } from '../../../../src/sandbox/http/clock';
import { createPrismSandbox } from '../../../../src/sandbox/prism';
import { createDefaultEvidenceIssuer, loadSandboxIssuer, PLACEHOLDER_MAGIC, policyJson, sandboxAgentCertPem, sandboxReportData } from '../../../../src/sandbox/prism/evidence';
import { adminPost, BOOT_MS, fakeIssuer, ManualClock, startEnv, stopEnv, type Env } from './helpers';

let env: Env | undefined;
afterEach(async () => {
  await stopEnv(env);
  env = undefined;
});

async function create(e: Env, name: string, ccPlatform = 'sev-snp', provider = 'ultraviolet'): Promise<string> {
  const before = new Set(e.sandbox.cvms().map((c) => c.id));
  await e.client.createCvm({ name, provider, vcpu: 2, ccPlatform });
  return e.sandbox.cvms().find((c) => !before.has(c.id))!.id;
}

describe('boot state machine', () => {
  it('moves Creating → Starting → Online in real time at the clock speed (speed 1000: 60 s boot in ~60 ms)', async () => {
    env = await startEnv({ clock: new SandboxClock(1000) as ManualClock });
    const id = await create(env, 'fast');
    const seen: string[] = [];
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      const cvm = await env.client.getCvm({ id });
      if (seen.at(-1) !== cvm.status) seen.push(cvm.status);
      if (cvm.status === 'Online') break;
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(seen.at(-1)).toBe('Online');
    // In order and never back, each state seen once; a short state may fall between two looks on a loaded machine
    // (seen in a CI run: Creating, then Online).
    const order = ['Creating', 'Starting', 'Online'];
    expect(seen).toEqual(order.filter((s) => seen.includes(s)));
  });

  it('has realistic defaults at speed 1, and evidence appears only once Online', async () => {
    env = await startEnv();
    const id = await create(env, 'slow');
    const at = async () => env!.client.getCvm({ id });
    let cvm = await at();
    expect(cvm).toMatchObject({ status: 'Creating', state: 'provisioning', agent_url: '', attestation: '' });
    env.clock.advance(19_999);
    expect((await at()).status).toBe('Creating');
    env.clock.advance(1);
    cvm = await at();
    expect(cvm).toMatchObject({ status: 'Starting', attestation: '' });
    expect(cvm.agent_url).toMatch(/^https:\/\/agent-/);
    env.clock.advance(39_999);
    expect((await at()).attestation).toBe('');
    env.clock.advance(1);
    cvm = await at();
    expect(cvm.status).toBe('Online');
    expect(decodeAttestation(cvm)).toHaveLength(0x4a0);
    expect(prismLifecycle(cvm).evidenceReady).toBe(true);
  });

  it('issues evidence once per CVM and keeps it after the agent disconnects and after delete', async () => {
    const calls: string[] = [];
    env = await startEnv({ issueEvidence: fakeIssuer(calls) });
    const id = await create(env, 'kept');
    env.clock.advance(BOOT_MS);
    const first = (await env.client.getCvm({ id })).attestation;
    await env.client.listCvms();
    await env.client.getAttestationPolicy({ id });
    env.sandbox.disconnect(id);
    const offline = await env.client.getCvm({ id });
    expect(offline.status).toBe('Offline');
    expect(prismLifecycle(offline)).toMatchObject({ class: 'stopped', evidenceReady: false });
    expect(offline.attestation).toBe(first);
    await env.client.deleteCvm({ id });
    const deleted = await env.client.getCvm({ id });
    expect(deleted.status).toBe('Inactive');
    expect(deleted.deleted_at).not.toBe('0001-01-01T00:00:00Z');
    expect(calls).toEqual([id]);
  });

  it('a CVM that fails to boot (programmatic: next, by id) ends Failed or Offline with no evidence', async () => {
    env = await startEnv();
    expect(env.sandbox.failBoot({ next: true })).toBe(1);
    const bad = await create(env, 'doomed');
    const good = await create(env, 'fine');
    const other = await create(env, 'offline-boot');
    env.sandbox.failBoot({ id: other }, 'Offline');
    env.clock.advance(BOOT_MS);
    const b = await env.client.getCvm({ id: bad });
    expect(b).toMatchObject({ status: 'Failed', state: 'failed', attestation: '' });
    expect(prismLifecycle(b)).toMatchObject({ class: 'failed', terminal: true, evidenceReady: false });
    expect((await env.client.getCvm({ id: good })).status).toBe('Online');
    expect((await env.client.getCvm({ id: other })).status).toBe('Offline');
  });

  it('fail-boot by name through the admin route', async () => {
    env = await startEnv();
    const id = await create(env, 'by-name');
    expect(await adminPost(env, 'fail-boot', { name: 'by-name' })).toEqual({ status: 200, json: { affected: 1 } });
    expect((await adminPost(env, 'fail-boot', { status: 'Exploded', next: true })).status).toBe(400);
    env.clock.advance(BOOT_MS);
    expect((await env.client.getCvm({ id })).status).toBe('Failed');
    expect(env.sandbox.cvm(id)).toMatchObject({ bootFailure: 'Failed', evidenceIssued: false });
  });
});

describe('list', () => {
  it('filters by partial name, status, cc_platform (any spelling) and days, pages newest first, per domain', async () => {
    env = await startEnv({ tokens: { 'other-token': ['other-domain'] } });
    const old = await create(env, 'Alpha-old', 'tdx', 'azure');
    env.clock.advance(2 * 86_400_000);
    const a = await create(env, 'alpha-1');
    const b = await create(env, 'alpha-2', 'Intel TDX');
    await create(env, 'beta');
    const otherClient = new PrismClient({ baseUrl: env.url, token: 'other-token', domainId: 'other-domain' });
    await otherClient.createCvm({ name: 'alpha-elsewhere', provider: 'gcp', vcpu: 2, ccPlatform: 'sev-snp' });
    expect((await otherClient.listCvms()).total).toBe(1);
    await otherClient.close();

    const names = async (p: Parameters<PrismClient['listCvms']>[0]) => (await env!.client.listCvms(p)).cvms.map((c) => c.name);
    expect(await names({ name: 'ALPHA' })).toEqual(['alpha-2', 'alpha-1', 'Alpha-old']);
    expect(await names({ ccPlatform: 'tdx' })).toEqual(['alpha-2', 'Alpha-old']);
    expect(await names({ days: 1 })).toEqual(['beta', 'alpha-2', 'alpha-1']);
    expect(await names({ status: 'online' })).toEqual(['Alpha-old']);
    expect(await names({ status: 'Creating' })).toEqual(['beta', 'alpha-2', 'alpha-1']);
    const page = await env.client.listCvms({ limit: 2, offset: 1 });
    expect(page).toMatchObject({ total: 4, limit: 2, offset: 1 });
    expect(page.cvms.map((c) => c.id)).toEqual([b, a]);
    expect((await env.client.listCvms()).limit).toBe(10);
    expect(old).toBeDefined();
  });

  it('allows duplicate names by default (Prism is not known to enforce them): both CVMs are listed', async () => {
    env = await startEnv();
    await create(env, 'same');
    await create(env, 'same');
    const list = await env.client.listCvms({ name: 'same' });
    expect(list.total).toBe(2);
    expect(new Set(list.cvms.map((c) => c.id)).size).toBe(2);
  });
});

describe('statistics', () => {
  it('one heartbeat per interval, false while booting or offline, within `days`, stopping at delete', async () => {
    env = await startEnv({ timings: { statsIntervalMs: 10_000 } });
    const id = await create(env, 'stats');
    env.clock.advance(BOOT_MS + 30_000); // 9 samples: 10..50 s booting, 60..90 s online
    let s = (await env.client.getCvmStatistics({ id })).cvm_stats;
    expect(s.map((x) => x.status)).toEqual([true, true, true, true, false, false, false, false, false]);
    expect(Date.parse(s[0]!.timestamp)).toBeGreaterThan(Date.parse(s[1]!.timestamp));
    env.sandbox.disconnect(id);
    env.clock.advance(20_000);
    s = (await env.client.getCvmStatistics({ id, days: 1 })).cvm_stats;
    expect(s.slice(0, 2).map((x) => x.status)).toEqual([false, false]);
    await env.client.deleteCvm({ id });
    env.clock.advance(2 * 86_400_000);
    expect((await env.client.getCvmStatistics({ id, days: 1 })).cvm_stats).toEqual([]);
    expect((await env.client.getCvmStatistics({ id, days: 3 })).cvm_stats).toHaveLength(11);
  });
});

describe('evidence helpers', () => {
  it('tamperEvidence flips one byte in the SNP signed range (programmatic and admin route)', async () => {
    env = await startEnv();
    const id = await create(env, 't');
    env.clock.advance(BOOT_MS);
    const clean = decodeAttestation(await env.client.getCvm({ id }));
    await env.sandbox.tamperEvidence(id);
    const bad = decodeAttestation(await env.client.getCvm({ id }));
    const diff = [...clean.keys()].filter((i) => clean[i] !== bad[i]);
    expect(diff).toEqual([0x140]);
    expect(diff[0]).toBeLessThan(0x2a0);
    expect((await adminPost(env, 'tamper-evidence', { id, offset: 0x90 })).status).toBe(200);
    const worse = decodeAttestation(await env.client.getCvm({ id }));
    expect([...clean.keys()].filter((i) => clean[i] !== worse[i])).toEqual([0x90, 0x140]);
    expect((await adminPost(env, 'tamper-evidence', { id, offset: 99_999 })).status).toBe(400);
    expect(env.sandbox.cvm(id)?.tampered).toBe(true);
  });

  it('setPolicyOverride replaces attestation_policy (object, raw bytes, admin route) and undefined restores it', async () => {
    env = await startEnv();
    const id = await create(env, 'p');
    const issued = decodeAttestationPolicy(await env.client.getAttestationPolicy({ id })).json;
    env.sandbox.setPolicyOverride(id, { policy: { measurement: 'AAAA', vmpl: 0 } });
    expect(decodeAttestationPolicy(await env.client.getAttestationPolicy({ id })).json).toEqual({ policy: { measurement: 'AAAA', vmpl: 0 } });
    expect((await adminPost(env, 'policy-override', { id, policy_base64: Buffer.from('corim').toString('base64') })).status).toBe(200);
    expect(decodeAttestationPolicy(await env.client.getAttestationPolicy({ id })).bytes.toString()).toBe('corim');
    await adminPost(env, 'policy-override', { id, policy: null });
    expect(decodeAttestationPolicy(await env.client.getAttestationPolicy({ id })).json).toEqual(issued);
  });

  it('exposes the issuer root PEM, the agent cert and the report data the evidence is bound to', async () => {
    env = await startEnv();
    expect(env.sandbox.sandboxRootPem()).toBeUndefined();
    const id = await create(env, 'r');
    await env.client.getAttestationPolicy({ id });
    expect(env.sandbox.sandboxRootPem()).toContain('FAKEROOT');
    const origin = new URL(env.url).origin;
    expect(await (await fetch(`${origin}/_sandbox/root-pem`)).json()).toEqual({ root_pem: env.sandbox.sandboxRootPem() });
    expect(env.sandbox.expectedReportData(id)).toEqual(createHash('sha512').update(env.sandbox.agentCertPem(id)).digest());
    expect(env.sandbox.agentCertPem(id)).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n$/);
    const cvms = (await (await fetch(`${origin}/_sandbox/cvms`)).json()) as { cvms: Array<{ id: string }> };
    expect(cvms.cvms.map((c) => c.id)).toEqual([id]);
  });

  it('a failing issuer answers 500 and is retried on the next request', async () => {
    let n = 0;
    env = await startEnv({
      issueEvidence: async (cvm) => {
        n += 1;
        if (n === 1) throw new Error('issuer down');
        return { attestation: Buffer.from('ok'), policy: { for: cvm.id } };
      },
    });
    const id = await create(env, 'flaky');
    await expect(env.client.getAttestationPolicy({ id })).rejects.toMatchObject({ kind: 'server', status: 500 });
    expect(decodeAttestationPolicy(await env.client.getAttestationPolicy({ id })).json).toEqual({ for: id });
  });
});

describe('default evidence source', () => {
  const cvm = { id: 'cvm-1', name: 'n', ccPlatform: 'sev-snp' as const };

  it('falls back to a clearly labelled placeholder when no issuer module exists', async () => {
    const issue = createDefaultEvidenceIssuer({ loader: async () => undefined });
    const ev = await issue(cvm);
    expect(ev.placeholder).toBe(true);
    expect(ev.attestation.toString('utf8', 0, PLACEHOLDER_MAGIC.length)).toBe(PLACEHOLDER_MAGIC);
    expect(ev.attestation).toHaveLength(0x4a0);
    expect(ev.policy).toMatchObject({ cvmflow_sandbox_placeholder: true, policy: { report_data: sandboxReportData('cvm-1').toString('base64') } });
    expect((await issue(cvm)).attestation.equals(ev.attestation)).toBe(false); // random: never a stable fixture
  });

  it('uses the issuer module when present: one chain, REPORT_DATA = SHA-512(agent cert PEM), VMPL 2; TDX without a TDX issuer is a placeholder', async () => {
    const chains: unknown[] = [];
    const args: Array<Record<string, unknown>> = [];
    const mod = {
      createSandboxAmdChain: () => {
        const chain = { n: chains.length };
        chains.push(chain);
        return chain;
      },
      issueSandboxSnpEvidence: async (chain: unknown, a: Record<string, unknown>) => {
        args.push({ chain, ...a });
        return { attestation: Buffer.from('snp'), policy: { p: 1 }, rootPem: 'ROOT' };
      },
    };
    const issue = createDefaultEvidenceIssuer({ loader: async () => mod, evidenceOptions: { measurement: Buffer.alloc(48, 1) } });
    await expect(issue(cvm)).resolves.toEqual({ attestation: Buffer.from('snp'), policy: { p: 1 }, rootPem: 'ROOT' });
    await issue({ ...cvm, id: 'cvm-2' });
    expect(chains).toHaveLength(1);
    expect(args[0]).toMatchObject({ chain: { n: 0 }, vmpl: 2, measurement: Buffer.alloc(48, 1) });
    expect(args[0]!.reportData).toEqual(createHash('sha512').update(sandboxAgentCertPem('cvm-1')).digest());
    expect((await issue({ ...cvm, ccPlatform: 'tdx' })).placeholder).toBe(true);
  });

  it('writes policies like Cocos: bytes as base64, bigint uint64 as bare numbers', () => {
    const text = policyJson({ policy: { minimum_tcb: 15352208179752599555n, measurement: Buffer.from([1, 2, 3]), vmpl: 2 }, note: 'a "q"' });
    expect(text).toBe('{"policy":{"minimum_tcb":15352208179752599555,"measurement":"AQID","vmpl":2},"note":"a \\"q\\""}');
  });

  it('loads src/sandbox/evidence/snp-issuer.ts exactly when it exists', async () => {
    const exists = ['ts', 'js'].some((ext) => existsSync(join(__dirname, '../../../../src/sandbox/evidence', `snp-issuer.${ext}`)));
    const mod = await loadSandboxIssuer();
    expect(mod !== undefined).toBe(exists);
  });
});

describe('request validation', () => {
  it('answers 415 without JSON, 400 for a missing name or bad vcpu, and Go’s text 404 for unknown routes', async () => {
    const sb = createPrismSandbox({ clock: new ManualClock(), issueEvidence: fakeIssuer() });
    const url = await sb.server.listen(0, '127.0.0.1');
    const auth = { authorization: `Bearer ${sb.token}` };
    const post = (path: string, body: string, ct = 'application/json') => fetch(`${url}/${sb.domainId}/cvms/${path}`, { method: 'POST', headers: { ...auth, 'content-type': ct }, body });
    expect((await post('azure/2/sev-snp', '{"name":"x"}', 'text/plain')).status).toBe(415);
    const noName = await post('azure/2/sev-snp', '{"agent_log_level":"info"}');
    expect(noName.status).toBe(400);
    expect(await noName.json()).toEqual({ error: 'missing name', message: 'malformed entity specification' });
    expect((await post('azure/0/sev-snp', '{"name":"x"}')).status).toBe(400);
    expect((await post('azure/2/sgx', '{"name":"x"}')).status).toBe(400);
    expect((await post('azure/2/SEV%20SNP', '{"name":"x","agent_log_level":"verbose"}')).status).toBe(400);
    expect((await post('azure/2/SEV%20SNP', '{"name":"x"}')).status).toBe(201);
    expect(sb.cvms()[0]).toMatchObject({ ccPlatform: 'sev-snp', provider: 'azure' });
    const unknown = await fetch(`${url}/nowhere`, { headers: auth });
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toBe('404 page not found\n');
    await sb.close();
  });
});
