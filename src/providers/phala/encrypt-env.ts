// Env-var encryption for Phala CVMs, the wire format the dstack SDK produces and the guest decrypts
// (provider-notes/phala.md §3.3):
//   plaintext  UTF-8 JSON {"env":[{"key":…,"value":…},…]}
//   key        X25519(ephemeral private, app public key); the raw 32-byte shared secret is the AES-256-GCM key (no HKDF)
//   cipher     AES-256-GCM, random 12-byte IV, no AAD, 16-byte tag appended to the ciphertext
//   output     lowercase hex, no 0x: ephemeral_pubkey[0..32) || iv[32..44) || ciphertext||tag[44..)
// Values never appear in errors thrown from here.
import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';

export interface EnvVar {
  key: string;
  value: string;
}

export const ENV_LIMITS = { maxVars: 1024, maxTotalBytes: 1024 * 1024, maxValueBytes: 128 * 1024, maxKeyBytes: 255 } as const;
export const ENV_KEY_PATTERN = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_X25519_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

export class EnvEncryptionError extends Error {
  override readonly name = 'EnvEncryptionError';
}

/** Parses a 32-byte X25519 public key given as hex (with or without 0x); base64 is accepted as a fallback (TF does). */
export function parseX25519PublicKey(encoded: string): Buffer {
  const text = encoded.trim().replace(/^0x/i, '');
  let raw: Buffer | undefined;
  if (/^[0-9a-f]{64}$/i.test(text)) raw = Buffer.from(text, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) {
    const b = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (b.length === 32) raw = b;
  }
  if (!raw) throw new EnvEncryptionError('the env encryption public key must be 32 bytes of hex (or base64)');
  return raw;
}

export function x25519PublicKeyObject(raw: Buffer): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_X25519_PREFIX, raw]), format: 'der', type: 'spki' });
}

export function x25519PrivateKeyObject(raw: Buffer): KeyObject {
  if (raw.length !== 32) throw new EnvEncryptionError('an X25519 private key is 32 bytes');
  return createPrivateKey({ key: Buffer.concat([PKCS8_X25519_PREFIX, raw]), format: 'der', type: 'pkcs8' });
}

export function rawX25519PublicKey(key: KeyObject): Buffer {
  const der = key.export({ format: 'der', type: 'spki' });
  return Buffer.from(der.subarray(der.length - 32));
}

function sharedSecret(privateKey: KeyObject, publicKey: KeyObject): Buffer {
  let secret: Buffer;
  try {
    secret = diffieHellman({ privateKey, publicKey });
  } catch {
    throw new EnvEncryptionError('X25519 key agreement failed (invalid or low-order public key)');
  }
  if (secret.every((b) => b === 0)) throw new EnvEncryptionError('X25519 key agreement produced an all-zero shared secret');
  return secret;
}

/** Checks keys and sizes the way the guest parser does; errors name keys, never values. */
export function validateEnvVars(env: readonly EnvVar[]): void {
  if (env.length > ENV_LIMITS.maxVars) throw new EnvEncryptionError(`too many env vars: ${env.length} > ${ENV_LIMITS.maxVars}`);
  const seen = new Set<string>();
  let total = 0;
  for (const { key, value } of env) {
    if (typeof key !== 'string' || !ENV_KEY_PATTERN.test(key)) throw new EnvEncryptionError(`invalid env var name ${JSON.stringify(String(key).slice(0, 64))}: must match ${ENV_KEY_PATTERN.source}`);
    if (Buffer.byteLength(key) > ENV_LIMITS.maxKeyBytes) throw new EnvEncryptionError(`env var name too long: ${key.slice(0, 64)}…`);
    if (typeof value !== 'string') throw new EnvEncryptionError(`env var ${key}: the value must be a string`);
    const size = Buffer.byteLength(value);
    if (size > ENV_LIMITS.maxValueBytes) throw new EnvEncryptionError(`env var ${key}: value exceeds ${ENV_LIMITS.maxValueBytes} bytes`);
    if (seen.has(key)) throw new EnvEncryptionError(`env var ${key} is given twice`);
    seen.add(key);
    total += size + Buffer.byteLength(key);
  }
  if (total > ENV_LIMITS.maxTotalBytes) throw new EnvEncryptionError(`env vars exceed ${ENV_LIMITS.maxTotalBytes} bytes in total`);
}

export interface EncryptOptions {
  /** Test hooks for known-answer tests; production uses fresh randomness. */
  ephemeralPrivateKey?: Buffer;
  iv?: Buffer;
}

/** Encrypts env vars for an app's public key; returns the `encrypted_env` hex string. */
export function encryptEnvVars(env: readonly EnvVar[], publicKey: string, options: EncryptOptions = {}): string {
  validateEnvVars(env);
  const remote = x25519PublicKeyObject(parseX25519PublicKey(publicKey));
  let ephPrivate: KeyObject;
  let ephPublic: KeyObject;
  if (options.ephemeralPrivateKey) {
    ephPrivate = x25519PrivateKeyObject(options.ephemeralPrivateKey);
    ephPublic = createPublicKey(ephPrivate);
  } else {
    ({ privateKey: ephPrivate, publicKey: ephPublic } = generateKeyPairSync('x25519'));
  }
  const key = sharedSecret(ephPrivate, remote);
  const iv = options.iv ?? randomBytes(12);
  if (iv.length !== 12) throw new EnvEncryptionError('the AES-GCM IV is 12 bytes');
  const plaintext = Buffer.from(JSON.stringify({ env: env.map(({ key: k, value }) => ({ key: k, value })) }), 'utf8');
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return Buffer.concat([rawX25519PublicKey(ephPublic), iv, ciphertext]).toString('hex');
}

/** Decrypts an `encrypted_env` hex string with the app's X25519 private key (the KMS/guest side; used by the sandbox). */
export function decryptEnvVars(encryptedHex: string, privateKey: KeyObject | Buffer): EnvVar[] {
  const text = encryptedHex.trim().replace(/^0x/i, '');
  if (!/^([0-9a-f]{2})*$/i.test(text)) throw new EnvEncryptionError('encrypted_env is not hex');
  const data = Buffer.from(text, 'hex');
  if (data.length < 44 + 16) throw new EnvEncryptionError('encrypted_env is too short');
  const priv = Buffer.isBuffer(privateKey) ? x25519PrivateKeyObject(privateKey) : privateKey;
  const key = sharedSecret(priv, x25519PublicKeyObject(data.subarray(0, 32)));
  const iv = data.subarray(32, 44);
  const body = data.subarray(44);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAuthTag(body.subarray(body.length - 16));
  let plaintext: Buffer;
  try {
    plaintext = Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]);
  } catch {
    throw new EnvEncryptionError('encrypted_env failed authentication (wrong key or corrupted)');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(plaintext.toString('utf8'));
  } catch {
    throw new EnvEncryptionError('decrypted env is not JSON');
  }
  const envList = (parsed as { env?: unknown })?.env;
  if (!Array.isArray(envList) || !envList.every((e) => e && typeof (e as EnvVar).key === 'string' && typeof (e as EnvVar).value === 'string')) {
    throw new EnvEncryptionError('decrypted env is not {"env":[{"key","value"}]}');
  }
  return envList.map((e: EnvVar) => ({ key: e.key, value: e.value }));
}

/** A fresh X25519 key pair; the public half as lowercase hex (what `app_env_encrypt_pubkey` carries). */
export function generateEnvKeyPair(): { publicKeyHex: string; privateKey: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  return { publicKeyHex: rawX25519PublicKey(publicKey).toString('hex'), privateKey };
}

/** Where an app's env pubkey may be found: a provision response, a 2025-10-28 CVM detail, or a 2026-01-21 one. */
export interface EnvPubkeySource {
  app_env_encrypt_pubkey?: string | null;
  encrypted_env_pubkey?: string | null;
  kms_info?: { encrypted_env_pubkey?: string | null } | null;
}

export function envPubkeyOf(source: EnvPubkeySource): string | undefined {
  return source.app_env_encrypt_pubkey ?? source.encrypted_env_pubkey ?? source.kms_info?.encrypted_env_pubkey ?? undefined;
}

/**
 * Encrypts env vars for an app given a provision response or CVM detail (or a bare pubkey string), returning the
 * commit fields `encrypted_env` and `env_keys`. Call it inside an activity so values never enter workflow history.
 */
export function encryptEnvForApp(source: EnvPubkeySource | string, env: readonly EnvVar[], options?: EncryptOptions): { encryptedEnv: string; envKeys: string[] } {
  const pubkey = typeof source === 'string' ? source : envPubkeyOf(source);
  if (!pubkey) throw new EnvEncryptionError('no env encryption public key (app_env_encrypt_pubkey / encrypted_env_pubkey / kms_info.encrypted_env_pubkey)');
  return { encryptedEnv: encryptEnvVars(env, pubkey, options), envKeys: env.map((e) => e.key) };
}
