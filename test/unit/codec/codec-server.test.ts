// The codec server over real sockets: Temporal's remote codec protocol (encode/decode round trip), CORS for
// the configured UI origin only (preflight included), the bearer token, mTLS, and clear 4xx answers.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { CodecKeyRing, EncryptionCodec } from '../../../src/codec';
import { CodecServerConfigError, startCodecServer, type RunningCodecServer } from '../../../src/codec/codec-server';

const TOKEN = 'codec-token-for-tests-0123456789';
const UI = 'http://127.0.0.1:8233';
const ring = new CodecKeyRing([{ id: 'test-key', key: Buffer.alloc(32, 3), createdAt: '2025-01-01T00:00:00Z' }]);
const codec = new EncryptionCodec(ring);
let server: RunningCodecServer;

beforeAll(async () => {
  server = await startCodecServer({ codec, host: '127.0.0.1', port: 0, allowedOrigins: [UI], token: TOKEN });
});
afterAll(() => server.close());

const b64 = (s: string | Uint8Array) => Buffer.from(s).toString('base64');
const plainPayload = (value: unknown) => {
  const p = defaultPayloadConverter.toPayload(value);
  return { metadata: Object.fromEntries(Object.entries(p.metadata!).map(([k, v]) => [k, b64(v)])), data: b64(p.data!) };
};
type WirePayload = { metadata: Record<string, string>; data: string };
const post = (path: string, body: unknown, headers: Record<string, string> = { Authorization: `Bearer ${TOKEN}` }) =>
  fetch(`${server.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

test('encode then decode round-trips payloads in the protocol JSON form', async () => {
  const enc = await post('/encode', { payloads: [plainPayload({ composeFile: 'services: {}', ip: '10.1.2.3' }), plainPayload('second')] });
  expect(enc.status).toBe(200);
  const encoded = (await enc.json()) as { payloads: WirePayload[] };
  expect(encoded.payloads).toHaveLength(2);
  expect(Buffer.from(encoded.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe('binary/encrypted');
  expect(Buffer.from(encoded.payloads[0]!.metadata['encryption-key-id']!, 'base64').toString()).toBe('test-key');
  expect(Buffer.from(encoded.payloads[0]!.data, 'base64').toString('latin1')).not.toContain('10.1.2.3');
  // Mounted under any prefix: only the last path segment counts.
  const dec = await post('/cvmflow/default/decode', encoded);
  expect(dec.status).toBe(200);
  const decoded = (await dec.json()) as { payloads: WirePayload[] };
  expect(decoded.payloads).toEqual([plainPayload({ composeFile: 'services: {}', ip: '10.1.2.3' }), plainPayload('second')]);
});

test('a missing or wrong bearer token is 401; the token is compared whole', async () => {
  const body = { payloads: [plainPayload('x')] };
  const none = await post('/decode', body, {});
  expect(none.status).toBe(401);
  expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
  expect((await post('/decode', body, { Authorization: 'Bearer wrong' })).status).toBe(401);
  expect((await post('/decode', body, { Authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
  expect((await post('/decode', body, { Authorization: `Bearer ${TOKEN.slice(0, -1)}` })).status).toBe(401);
  expect((await post('/decode', body, { Authorization: TOKEN })).status).toBe(401);
  expect((await post('/decode', body, { Authorization: `bearer ${TOKEN}` })).status).toBe(200);
});

test('CORS: the UI origin passes the preflight with the headers the UI sends; other origins are refused', async () => {
  const preflight = await fetch(`${server.url}/decode`, { method: 'OPTIONS', headers: { Origin: UI, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-namespace,authorization' } });
  expect(preflight.status).toBe(204);
  expect(preflight.headers.get('access-control-allow-origin')).toBe(UI);
  expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
  expect(preflight.headers.get('access-control-allow-methods')).toMatch(/POST/);
  const allowed = preflight.headers.get('access-control-allow-headers')!.toLowerCase();
  for (const h of ['content-type', 'x-namespace', 'authorization']) expect(allowed).toContain(h);

  const actual = await post('/decode', { payloads: [] }, { Authorization: `Bearer ${TOKEN}`, Origin: UI });
  expect(actual.status).toBe(200);
  expect(actual.headers.get('access-control-allow-origin')).toBe(UI);

  const evil = 'http://evil.example:8233';
  const denied = await fetch(`${server.url}/decode`, { method: 'OPTIONS', headers: { Origin: evil, 'Access-Control-Request-Method': 'POST' } });
  expect(denied.status).toBe(403);
  expect(denied.headers.get('access-control-allow-origin')).toBeNull();
  const deniedPost = await post('/decode', { payloads: [] }, { Authorization: `Bearer ${TOKEN}`, Origin: evil });
  expect(deniedPost.status).toBe(403);
  expect(deniedPost.headers.get('access-control-allow-origin')).toBeNull();
});

test('bad requests get a clear 4xx naming the problem; a missing key names its id', async () => {
  const notJson = await post('/decode', 'nope');
  expect(notJson.status).toBe(400);
  expect(((await notJson.json()) as { error: string }).error).toMatch(/not JSON/);
  const badField = await post('/decode', { payloads: [{ metadata: { encoding: '***' }, data: '' }] });
  expect(badField.status).toBe(400);
  expect(((await badField.json()) as { error: string }).error).toMatch(/payloads\.0\.metadata\.encoding: expected base64/);
  expect((await post('/other', { payloads: [] })).status).toBe(404);
  expect((await fetch(`${server.url}/decode`, { headers: { Authorization: `Bearer ${TOKEN}` } })).status).toBe(405);

  const foreign = new EncryptionCodec(new CodecKeyRing([{ id: 'retired-2024', key: Buffer.alloc(32, 9), createdAt: '2024-01-01T00:00:00Z' }]));
  const [sealed] = await foreign.encode([defaultPayloadConverter.toPayload('old')]);
  const wire = { metadata: Object.fromEntries(Object.entries(sealed!.metadata!).map(([k, v]) => [k, b64(v)])), data: b64(sealed!.data!) };
  const missing = await post('/decode', { payloads: [wire] });
  expect(missing.status).toBe(422);
  const message = ((await missing.json()) as { error: string }).error;
  expect(message).toMatch(/codec key "retired-2024", which is not in CVMFLOW_CODEC_KEYS_FILE/);
  expect(message).not.toContain(Buffer.alloc(32, 9).toString('base64'));
});

test('without a token or mTLS it refuses to listen beyond loopback', async () => {
  await expect(startCodecServer({ codec, host: '0.0.0.0', port: 0, allowedOrigins: [] })).rejects.toThrow(CodecServerConfigError);
  await expect(startCodecServer({ codec, host: '0.0.0.0', port: 0, allowedOrigins: [] })).rejects.toThrow(/set a bearer token .* or mTLS/);
  const allowed = await startCodecServer({ codec, host: '0.0.0.0', port: 0, allowedOrigins: [], allowUnauthenticated: true });
  expect(allowed.auth).toBe('none (allowed explicitly)');
  await allowed.close();
  const loop = await startCodecServer({ codec, host: '127.0.0.1', port: 0, allowedOrigins: [] });
  expect(loop.auth).toBe('none (loopback)');
  expect((await fetch(`${loop.url}/encode`, { method: 'POST', body: JSON.stringify({ payloads: [] }) })).status).toBe(200);
  await loop.close();
});

describe('mTLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'codec-mtls-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  let tlsServer: RunningCodecServer;
  beforeAll(async () => {
    ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=codec test CA', '-days', '2');
    ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server.key', '-out', 'server.pem', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '2');
    ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=codec client');
    ssl('x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.pem', '-days', '2');
    const f = (n: string) => readFileSync(join(dir, n));
    tlsServer = await startCodecServer({ codec, host: '0.0.0.0', port: 0, allowedOrigins: [], tls: { cert: f('server.pem'), key: f('server.key'), clientCa: f('ca.pem') } });
  });
  afterAll(() => tlsServer?.close());

  const call = (withCert: boolean) =>
    new Promise<number>((resolve, reject) => {
      const port = Number(new URL(tlsServer.url).port);
      const f = (n: string) => readFileSync(join(dir, n));
      const req = request(
        { host: '127.0.0.1', port, path: '/decode', method: 'POST', ca: f('server.pem'), ...(withCert ? { cert: f('client.pem'), key: f('client.key') } : {}), headers: { 'Content-Type': 'application/json' } },
        (res) => {
          res.resume();
          resolve(res.statusCode!);
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ payloads: [] }));
    });

  test('a client certificate signed by the CA gets in; a client without one does not', async () => {
    expect(tlsServer.auth).toBe('mtls');
    expect(tlsServer.url).toMatch(/^https:/);
    expect(await call(true)).toBe(200);
    await expect(call(false)).rejects.toThrow(/certificate|alert|socket hang up|ECONNRESET/i);
  });
});
