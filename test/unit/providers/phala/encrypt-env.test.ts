import { createDecipheriv, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto';
import {
  decryptEnvVars,
  encryptEnvForApp,
  encryptEnvVars,
  EnvEncryptionError,
  generateEnvKeyPair,
  parseX25519PublicKey,
  rawX25519PublicKey,
  x25519PrivateKeyObject,
} from '../../../../src/providers/phala/encrypt-env';

// RFC 7748 §6.1 test vectors
const ALICE_PRIV = Buffer.from('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', 'hex');
const ALICE_PUB = '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a';
const BOB_PRIV = Buffer.from('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb', 'hex');
const BOB_PUB = 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f';
const SHARED = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';

const ENV = [
  { key: 'API_TOKEN', value: 's3cr3t-value' },
  { key: 'DB_URL', value: 'postgres://u:p@h/db' },
];

test('known answer: ephemeral pubkey || iv || AES-256-GCM(raw X25519 secret) of {"env":[…]}', () => {
  const iv = Buffer.from('000102030405060708090a0b', 'hex');
  const out = encryptEnvVars(ENV, BOB_PUB, { ephemeralPrivateKey: ALICE_PRIV, iv });
  expect(out).toMatch(/^[0-9a-f]+$/); // lowercase hex, no 0x
  const bytes = Buffer.from(out, 'hex');
  expect(bytes.subarray(0, 32).toString('hex')).toBe(ALICE_PUB);
  expect(bytes.subarray(32, 44)).toEqual(iv);
  // decrypt independently with the RFC shared secret as the AES key and no AAD
  const body = bytes.subarray(44);
  const d = createDecipheriv('aes-256-gcm', Buffer.from(SHARED, 'hex'), iv);
  d.setAuthTag(body.subarray(body.length - 16));
  const plain = Buffer.concat([d.update(body.subarray(0, body.length - 16)), d.final()]).toString('utf8');
  expect(plain).toBe(JSON.stringify({ env: ENV }));
  expect(bytes.length).toBe(32 + 12 + Buffer.byteLength(plain) + 16);
  // and the module's own decryptor with Bob's private key
  expect(decryptEnvVars(out, BOB_PRIV)).toEqual(ENV);
});

test('round trip with fresh keys; ciphertext differs every call; 0x-prefixed pubkeys work', () => {
  const { publicKeyHex, privateKey } = generateEnvKeyPair();
  const a = encryptEnvVars(ENV, publicKeyHex);
  const b = encryptEnvVars(ENV, `0x${publicKeyHex}`);
  expect(a).not.toBe(b);
  expect(a.slice(0, 64)).not.toBe(b.slice(0, 64)); // fresh ephemeral key each time
  expect(decryptEnvVars(a, privateKey)).toEqual(ENV);
  expect(decryptEnvVars(b, privateKey)).toEqual(ENV);
  // the private-key helpers agree with Node's own derivation
  const ecdh = diffieHellman({ privateKey: x25519PrivateKeyObject(ALICE_PRIV), publicKey: createPublicKey(x25519PrivateKeyObject(BOB_PRIV)) });
  expect(ecdh.toString('hex')).toBe(SHARED);
  expect(rawX25519PublicKey(createPublicKey(createPrivateKey(x25519PrivateKeyObject(ALICE_PRIV).export({ format: 'pem', type: 'pkcs8' })))).toString('hex')).toBe(ALICE_PUB);
});

test('a wrong key or tampered ciphertext fails authentication', () => {
  const { publicKeyHex } = generateEnvKeyPair();
  const out = encryptEnvVars(ENV, publicKeyHex);
  expect(() => decryptEnvVars(out, generateKeyPairSync('x25519').privateKey)).toThrow(/failed authentication/);
  const tampered = out.slice(0, -2) + (out.endsWith('00') ? '01' : '00');
  const { privateKey } = generateEnvKeyPair();
  expect(() => decryptEnvVars(tampered, privateKey)).toThrow(EnvEncryptionError);
  expect(() => decryptEnvVars('abcd', privateKey)).toThrow(/too short/);
  expect(() => decryptEnvVars('zz', privateKey)).toThrow(/not hex/);
});

test('public keys: 32-byte hex or base64; the all-zero (low-order) key is refused', () => {
  expect(parseX25519PublicKey(BOB_PUB).toString('hex')).toBe(BOB_PUB);
  expect(parseX25519PublicKey(Buffer.from(BOB_PUB, 'hex').toString('base64')).toString('hex')).toBe(BOB_PUB);
  expect(() => parseX25519PublicKey('abcd')).toThrow(/32 bytes/);
  expect(() => encryptEnvVars(ENV, '00'.repeat(32))).toThrow(EnvEncryptionError);
});

test('key names and sizes follow the guest parser; errors never contain values', () => {
  const { publicKeyHex } = generateEnvKeyPair();
  const errorOf = (env: Array<{ key: string; value: string }>) => {
    try {
      encryptEnvVars(env, publicKeyHex);
    } catch (e) {
      return (e as Error).message;
    }
    return 'no error';
  };
  expect(errorOf([{ key: '1BAD', value: 'hunter2' }])).toMatch(/invalid env var name/);
  expect(errorOf([{ key: 'BIG', value: 'x'.repeat(128 * 1024 + 1) }])).toMatch(/BIG: value exceeds/);
  expect(errorOf([{ key: 'A', value: 'hunter2' }, { key: 'A', value: 'hunter3' }])).toMatch(/given twice/);
  expect(errorOf(Array.from({ length: 1025 }, (_, i) => ({ key: `K${i}`, value: '' })))).toMatch(/too many/);
  for (const m of [errorOf([{ key: '1BAD', value: 'hunter2' }]), errorOf([{ key: 'A', value: 'hunter2' }, { key: 'A', value: 'hunter3' }])]) expect(m).not.toMatch(/hunter/);
});

test('encryptEnvForApp finds the pubkey in provision answers and both detail shapes', () => {
  const { publicKeyHex, privateKey } = generateEnvKeyPair();
  for (const source of [{ app_env_encrypt_pubkey: publicKeyHex }, { encrypted_env_pubkey: publicKeyHex }, { kms_info: { encrypted_env_pubkey: publicKeyHex } }, publicKeyHex]) {
    const { encryptedEnv, envKeys } = encryptEnvForApp(source, ENV);
    expect(envKeys).toEqual(['API_TOKEN', 'DB_URL']);
    expect(decryptEnvVars(encryptedEnv, privateKey)).toEqual(ENV);
  }
  expect(() => encryptEnvForApp({ app_env_encrypt_pubkey: null }, ENV)).toThrow(/no env encryption public key/);
});
