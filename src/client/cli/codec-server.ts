// `cvmflow codec-server`: decodes (and encodes) cvmflow's encrypted payloads for the Temporal UI and the
// `temporal` CLI, and `cvmflow codec-keys add`: a new key for the keys file (rotation).
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { startCodecServer, DEFAULT_CODEC_SERVER_PORT, type RunningCodecServer } from '../../codec/codec-server';
import { addCodecKey } from '../../codec/keys-file';
import { CODEC_KEYS_FILE_VARIABLE, loadCodecKeyRing } from '../../codec/key-ring';
import { EncryptionCodec } from '../../codec/payload-codec';
import { CliError, EXIT, parse, usageError, type Io } from './common';

export const CODEC_SERVER_USAGE = `usage: cvmflow codec-server [options]

Serves Temporal's remote codec protocol (POST /encode, /decode) with the keys of CVMFLOW_CODEC_KEYS_FILE, so the
Temporal UI (set its codec endpoint to this server's URL) and \`temporal --codec-endpoint\` show decoded payloads.

  --listen HOST:PORT        CVMFLOW_CODEC_SERVER_ADDRESS, default 127.0.0.1:${DEFAULT_CODEC_SERVER_PORT}
  --ui-origin URL           CVMFLOW_CODEC_SERVER_UI_ORIGINS (comma-separated): browser origins allowed by CORS,
                            e.g. http://localhost:8080 or https://cloud.temporal.io (repeatable)
  --keys-file FILE          CVMFLOW_CODEC_KEYS_FILE (required)
  --token-file FILE         CVMFLOW_CODEC_SERVER_TOKEN_FILE (or CVMFLOW_CODEC_SERVER_TOKEN): require
                            "Authorization: Bearer <token>"
  --tls-cert FILE --tls-key FILE   CVMFLOW_CODEC_SERVER_TLS_CERT_FILE / _KEY_FILE: serve HTTPS
  --tls-client-ca FILE      CVMFLOW_CODEC_SERVER_TLS_CLIENT_CA_FILE: require client certificates (mTLS)
  --allow-unauthenticated   CVMFLOW_CODEC_SERVER_ALLOW_UNAUTHENTICATED=true: listen beyond loopback without a
                            token or mTLS (only behind a proxy that authenticates, or on a host-loopback port)

Without a token or mTLS it listens on loopback addresses only.

usage: cvmflow codec-keys add --file FILE [--id ID]
  adds a new random key (the newest, so it encrypts from the next start on); older keys keep decoding old runs
`;

const hostPort = z.string().regex(/^(\[[0-9a-fA-F:]+\]|[^\s:[\]]+):\d{1,5}$/, 'expected HOST:PORT, e.g. 127.0.0.1:8234 or 0.0.0.0:8234');
const origin = z.string().refine((s) => {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && (u.pathname === '/' || u.pathname === '') && !u.search;
  } catch {
    return false;
  }
}, 'expected an origin such as http://localhost:8080 or https://cloud.temporal.io (scheme, host and port only)');

const settingsSchema = z.object({
  listen: hostPort,
  origins: z.array(origin),
  keysFile: z.string({ message: `required: the keys file (--keys-file or ${CODEC_KEYS_FILE_VARIABLE})` }).min(1, `required: the keys file (--keys-file or ${CODEC_KEYS_FILE_VARIABLE})`),
  tokenFile: z.string().min(1).optional(),
  tlsCert: z.string().min(1).optional(),
  tlsKey: z.string().min(1).optional(),
  tlsClientCa: z.string().min(1).optional(),
  allowUnauthenticated: z.union([z.boolean(), z.enum(['true', 'false'], { message: 'expected true or false' })]).optional().transform((v) => v === true || v === 'true'),
});

const FIELD_NAMES: Record<string, string> = {
  listen: '--listen (CVMFLOW_CODEC_SERVER_ADDRESS)',
  origins: '--ui-origin (CVMFLOW_CODEC_SERVER_UI_ORIGINS)',
  keysFile: `--keys-file (${CODEC_KEYS_FILE_VARIABLE})`,
  tokenFile: '--token-file (CVMFLOW_CODEC_SERVER_TOKEN_FILE)',
  tlsCert: '--tls-cert (CVMFLOW_CODEC_SERVER_TLS_CERT_FILE)',
  tlsKey: '--tls-key (CVMFLOW_CODEC_SERVER_TLS_KEY_FILE)',
  tlsClientCa: '--tls-client-ca (CVMFLOW_CODEC_SERVER_TLS_CLIENT_CA_FILE)',
  allowUnauthenticated: '--allow-unauthenticated (CVMFLOW_CODEC_SERVER_ALLOW_UNAUTHENTICATED)',
};

function readFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw usageError(`codec-server: ${what}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

const nonEmpty = (v: string | undefined) => (v === undefined || v === '' ? undefined : v);

/** Starts the server from flags and environment; resolves once it listens. */
export async function startCodecServerFromCli(argv: string[], io: Io): Promise<RunningCodecServer> {
  const { values } = parse(
    argv,
    { listen: { type: 'string' }, 'ui-origin': { type: 'string', multiple: true }, 'keys-file': { type: 'string' }, 'token-file': { type: 'string' }, 'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' }, 'tls-client-ca': { type: 'string' }, 'allow-unauthenticated': { type: 'boolean' } },
    'codec-server',
  );
  const env = io.env;
  const flagOrigins = values['ui-origin'] as string[] | undefined;
  const raw = {
    listen: (values.listen as string | undefined) ?? nonEmpty(env.CVMFLOW_CODEC_SERVER_ADDRESS) ?? `127.0.0.1:${DEFAULT_CODEC_SERVER_PORT}`,
    origins: flagOrigins ?? (nonEmpty(env.CVMFLOW_CODEC_SERVER_UI_ORIGINS)?.split(',').map((s) => s.trim()).filter(Boolean) ?? []),
    keysFile: (values['keys-file'] as string | undefined) ?? nonEmpty(env[CODEC_KEYS_FILE_VARIABLE]),
    tokenFile: (values['token-file'] as string | undefined) ?? nonEmpty(env.CVMFLOW_CODEC_SERVER_TOKEN_FILE),
    tlsCert: (values['tls-cert'] as string | undefined) ?? nonEmpty(env.CVMFLOW_CODEC_SERVER_TLS_CERT_FILE),
    tlsKey: (values['tls-key'] as string | undefined) ?? nonEmpty(env.CVMFLOW_CODEC_SERVER_TLS_KEY_FILE),
    tlsClientCa: (values['tls-client-ca'] as string | undefined) ?? nonEmpty(env.CVMFLOW_CODEC_SERVER_TLS_CLIENT_CA_FILE),
    allowUnauthenticated: values['allow-unauthenticated'] === true || nonEmpty(env.CVMFLOW_CODEC_SERVER_ALLOW_UNAUTHENTICATED),
  };
  const parsed = settingsSchema.safeParse(raw);
  if (!parsed.success) {
    throw usageError(`codec-server: ${parsed.error.issues.map((i) => `${FIELD_NAMES[String(i.path[0])] ?? String(i.path[0])}: ${i.message}`).join('; ')}`);
  }
  const s = parsed.data;
  if (Boolean(s.tlsCert) !== Boolean(s.tlsKey)) throw usageError('codec-server: --tls-cert and --tls-key go together (CVMFLOW_CODEC_SERVER_TLS_CERT_FILE and _KEY_FILE)');
  if (s.tlsClientCa && !s.tlsCert) throw usageError('codec-server: --tls-client-ca (mTLS) needs --tls-cert and --tls-key too');
  if (s.tokenFile && nonEmpty(env.CVMFLOW_CODEC_SERVER_TOKEN)) throw usageError('codec-server: CVMFLOW_CODEC_SERVER_TOKEN and a token file are both set: set only one');
  const token = s.tokenFile ? readFile(s.tokenFile, 'token file').trim() : nonEmpty(env.CVMFLOW_CODEC_SERVER_TOKEN);
  if (s.tokenFile && !token) throw usageError(`codec-server: token file ${s.tokenFile} is empty`);
  let ring;
  try {
    ring = loadCodecKeyRing(s.keysFile);
  } catch (err) {
    throw usageError(`codec-server: ${(err as Error).message}`);
  }
  const i = s.listen.lastIndexOf(':');
  const host = s.listen.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(s.listen.slice(i + 1));
  try {
    return await startCodecServer({
      codec: new EncryptionCodec(ring),
      host,
      port,
      allowedOrigins: s.origins,
      token,
      allowUnauthenticated: s.allowUnauthenticated,
      tls: s.tlsCert ? { cert: readFile(s.tlsCert, 'TLS certificate'), key: readFile(s.tlsKey!, 'TLS key'), ...(s.tlsClientCa ? { clientCa: readFile(s.tlsClientCa, 'client CA') } : {}) } : undefined,
      log: (fields, message) => {
        if (typeof fields.status === 'number' && fields.status < 400) return;
        io.stderr.write(`cvmflow codec-server: ${message} ${JSON.stringify(fields)}\n`);
      },
    });
  } catch (err) {
    throw new CliError(`codec-server: ${(err as Error).message}`, EXIT.usage);
  }
}

/** `cvmflow codec-server`: runs until SIGINT or SIGTERM. */
export async function runCodecServer(argv: string[], io: Io): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(CODEC_SERVER_USAGE);
    return EXIT.ok;
  }
  const server = await startCodecServerFromCli(argv, io);
  io.stdout.write(`cvmflow codec-server listening on ${server.url} (auth: ${server.auth})\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return EXIT.ok;
}

/** `cvmflow codec-keys add --file F [--id ID]`. */
export async function runCodecKeys(argv: string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'add') throw usageError(`codec-keys: expected "add" (see cvmflow codec-server --help)`);
  const { values } = parse(rest, { file: { type: 'string' }, id: { type: 'string' } }, 'codec-keys');
  const file = (values.file as string | undefined) ?? nonEmpty(io.env[CODEC_KEYS_FILE_VARIABLE]);
  if (!file) throw usageError(`codec-keys add: --file (or ${CODEC_KEYS_FILE_VARIABLE}) is required`);
  try {
    const added = addCodecKey(file, { id: values.id as string | undefined });
    io.stdout.write(`added codec key "${added.id}" (${added.createdAt}) to ${file}; it has ${added.keys} key(s) and "${added.id}" encrypts after the next restart of workers and clients\n`);
    return EXIT.ok;
  } catch (err) {
    throw usageError(`codec-keys add: ${(err as Error).message}`);
  }
}
