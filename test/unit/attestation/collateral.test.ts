// Collateral fetching with an injected fetch (no network): KDS VCEK and Intel PCS TDX collateral, cached on disk.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { verifyEvidence } from '../../../src/attestation';
import { type FetchLike, gatherCollateral } from '../../../src/attestation/collateral';
import { readVector, readVectorText } from './vectors';

let cacheDir: string;
beforeEach(() => {
  cacheDir = mkdtempSync(path.join(tmpdir(), 'attest-cache-'));
});
afterEach(() => rmSync(cacheDir, { recursive: true, force: true }));

function fakeFetch(routes: Record<string, { body: Buffer | string; headers?: Record<string, string> }>, seen: string[]): FetchLike {
  return (url) => {
    seen.push(url);
    const route = Object.entries(routes).find(([prefix]) => url.startsWith(prefix))?.[1];
    const body = route ? Buffer.from(route.body) : Buffer.from('not found');
    return Promise.resolve({
      ok: !!route,
      status: route ? 200 : 404,
      headers: { get: (n: string) => Object.entries(route?.headers ?? {}).find(([k]) => k.toLowerCase() === n.toLowerCase())?.[1] ?? null },
      arrayBuffer: () => Promise.resolve(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer),
    });
  };
}

test('fetches the VCEK from KDS with the report TCB, caches it, and reuses the cache offline', async () => {
  const report = readVector('snp-milan-go-sev-guest', 'attestation.bin');
  const chip = report.subarray(0x1a0, 0x1e0).toString('hex');
  const seen: string[] = [];
  const fetch = fakeFetch({ [`https://kds.test/vcek/v1/Milan/${chip}?blSPL=2&teeSPL=0&snpSPL=5&ucodeSPL=68`]: { body: readVector('snp-milan-go-sev-guest', 'vcek.testcer') } }, seen);
  const first = await gatherCollateral(report, { cacheDir, allowNetwork: true, fetch, kdsBaseUrl: 'https://kds.test/' });
  expect(seen).toHaveLength(1);
  expect(first.log).toEqual(['VCEK: fetched from AMD KDS (Milan)']);
  const verdict = verifyEvidence({ evidence: report, collateral: first.collateral, policy: '{"policy":{"policy":"720896"}}', at: '2026-11-22T00:00:00Z' });
  expect(verdict.verified).toBe(true);

  const offline = await gatherCollateral(report, { cacheDir, fetch: () => Promise.reject(new Error('network used')) });
  expect(offline.log[0]).toMatch(/^VCEK: cache amd\/Milan\/vcek\//);
  expect(offline.collateral.certificates).toHaveLength(1);
});

test('no cache and no network: nothing is fetched and the log says why', async () => {
  const seen: string[] = [];
  const r = await gatherCollateral(readVector('snp-milan-trustee', 'test-report.bin'), { cacheDir, fetch: fakeFetch({}, seen) });
  expect(seen).toEqual([]);
  expect(r.log).toEqual(['VCEK: not cached and network fetching is disabled']);
  const vlek = await gatherCollateral(readVector('snp-milan-trustee', 'test-vlek-report.bin'), { cacheDir });
  expect(vlek.log[0]).toMatch(/KDS does not serve VLEKs/);
});

test('builds TDX collateral from Intel PCS responses, keeping the signed JSON bytes exact', async () => {
  const sample = JSON.parse(readVectorText('tdx-dcap-qvl', 'tdx_quote_collateral.json')) as Record<string, string>;
  const seen: string[] = [];
  const enc = encodeURIComponent;
  const fetch = fakeFetch(
    {
      'https://pcs.test/sgx/certification/v4/pckcrl?ca=platform&encoding=der': { body: Buffer.from(sample.pck_crl!, 'hex'), headers: { 'SGX-PCK-CRL-Issuer-Chain': enc(sample.pck_crl_issuer_chain!) } },
      'https://pcs.test/tdx/certification/v4/tcb?fmspc=B0C06F000000': { body: `{"tcbInfo":${sample.tcb_info},"signature":"${sample.tcb_info_signature}"}`, headers: { 'TCB-Info-Issuer-Chain': enc(sample.tcb_info_issuer_chain!) } },
      'https://pcs.test/tdx/certification/v4/qe/identity': { body: `{"enclaveIdentity":${sample.qe_identity},"signature":"${sample.qe_identity_signature}"}`, headers: { 'SGX-Enclave-Identity-Issuer-Chain': enc(sample.qe_identity_issuer_chain!) } },
      'https://root.test/crl': { body: Buffer.from(sample.root_ca_crl!, 'hex') },
    },
    seen,
  );
  const quote = readVector('tdx-dcap-qvl', 'tdx_quote');
  const opts = { cacheDir, allowNetwork: true, fetch, pcsBaseUrl: 'https://pcs.test', intelRootCaCrlUrl: 'https://root.test/crl', at: new Date('2025-07-01T00:00:00Z') };
  const r = await gatherCollateral(quote, opts);
  expect(r.log).toEqual(['TDX collateral: fetched from Intel PCS (FMSPC B0C06F000000, platform CA)']);
  expect(r.collateral.tdx!.tcb_info).toBe(sample.tcb_info);
  expect(verifyEvidence({ evidence: quote, collateral: r.collateral, at: '2025-07-01T00:00:00Z' }).verified).toBe(true);
  expect(JSON.parse(readFileSync(path.join(cacheDir, 'intel', 'tdx-B0C06F000000-platform.json'), 'utf8'))).toEqual(r.collateral.tdx);

  // the cache is used while current
  const again = await gatherCollateral(quote, { ...opts, fetch: () => Promise.reject(new Error('network used')) });
  expect(again.log).toEqual(['TDX collateral: cache intel/tdx-B0C06F000000-platform.json']);
});

test('unknown evidence yields an empty bundle and a log line', async () => {
  const r = await gatherCollateral(Buffer.from('nope nope nope!!'), {});
  expect(r.collateral).toEqual({ certificates: [], crls: [] });
  expect(r.log[0]).toMatch(/^evidence: unknown evidence format/);
});
