// Sandbox SEV-SNP evidence for the Prism sandbox: an AMD-shaped chain made at run time (NOT AMD), and reports it signs.
// Verifiers accept it only with trust { extraArks: [rootPem], allowSandbox: true }; it goes through the real code paths.
import { type KeyObject, constants, createHash, generateKeyPair, generateKeyPairSync, sign } from 'node:crypto';
import { promisify } from 'node:util';
import { bitString, bool, explicit, ia5, nul, octets, oid, printable, seq, set, time, uint, utf8 } from './der-writer';
import { buildCertTable } from './cert-table';
import { OID } from '../../attestation/snp/endorsement';
import { SNP_REPORT_SIZE, SNP_SIGNED_SIZE, type TcbParts, encodeTcb } from '../../attestation/snp/report';
import { derToPem } from '../../attestation/x509';

const generateKeyPairAsync = promisify(generateKeyPair);

export interface SandboxCert {
  der: Buffer;
  pem: string;
  privateKey: KeyObject;
}

export interface SandboxAmdChain {
  ark: SandboxCert;
  ask: SandboxCert;
  /** The default VCEK (for defaultChipId / defaultTcb); other chips or TCBs get their own VCEK on demand. */
  vcek: SandboxCert;
  defaultChipId: Buffer;
  defaultTcb: TcbParts;
  productName: string;
  notBefore: number;
  notAfter: number;
  /** VCEKs by chip id + TCB, so repeated issuance reuses them. */
  vceks: Map<string, SandboxCert>;
}

export interface SandboxChainOptions {
  /** RSA modulus sizes; AMD uses 4096 for both (generation takes well under a second here). */
  arkBits?: number;
  askBits?: number;
  /** Certificate validity window; defaults to one day back and 25 years ahead of the first call. */
  notBefore?: Date;
  notAfter?: Date;
  chipId?: Buffer;
  tcb?: TcbParts;
}

const SANDBOX_NAME = (cn: string): Buffer =>
  seq(
    set(seq(oid('2.5.4.11'), utf8('cvmflow sandbox - NOT AMD'))),
    set(seq(oid('2.5.4.6'), printable('US'))),
    set(seq(oid('2.5.4.10'), utf8('cvmflow sandbox'))),
    set(seq(oid('2.5.4.3'), utf8(cn))),
  );

// RSASSA-PSS, SHA-384, MGF1-SHA-384, salt 48: AMD's algorithm identifier
const PSS_SHA384 = seq(
  oid('1.2.840.113549.1.1.10'),
  seq(explicit(0, seq(oid('2.16.840.1.101.3.4.2.2'), nul())), explicit(1, seq(oid('1.2.840.113549.1.1.8'), seq(oid('2.16.840.1.101.3.4.2.2'), nul()))), explicit(2, uint(48))),
);

function ext(id: string, value: Buffer, critical = false): Buffer {
  return seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));
}

function certificate(opts: { serial: bigint; issuer: Buffer; subject: Buffer; publicKey: KeyObject; signer: KeyObject; notBefore: number; notAfter: number; extensions: Buffer[] }): SandboxCert['der'] {
  const spki = opts.publicKey.export({ type: 'spki', format: 'der' });
  const tbs = seq(explicit(0, uint(2)), uint(opts.serial), PSS_SHA384, opts.issuer, seq(time(opts.notBefore), time(opts.notAfter)), opts.subject, spki, explicit(3, seq(...opts.extensions)));
  const signature = sign('sha384', tbs, { key: opts.signer, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 });
  return seq(tbs, PSS_SHA384, bitString(signature));
}

const CA_EXTENSIONS = [ext('2.5.29.15', bitString(Buffer.from([0x06]), 1), true), ext('2.5.29.19', seq(bool(true)), true)];

function issueVcek(chain: Omit<SandboxAmdChain, 'vcek' | 'vceks'>, chipId: Buffer, tcb: TcbParts, serial: bigint): SandboxCert {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
  const spl = (id: string, v: number): Buffer => ext(id, uint(v));
  const der = certificate({
    serial,
    issuer: SANDBOX_NAME('SEV-Sandbox'),
    subject: SANDBOX_NAME('SEV-VCEK'),
    publicKey,
    signer: chain.ask.privateKey,
    notBefore: chain.notBefore,
    notAfter: chain.notAfter,
    extensions: [
      ext('1.3.6.1.4.1.3704.1.1', uint(0)), // structVersion
      ext(OID.productName, ia5(chain.productName)),
      spl(OID.blSpl, tcb.bl),
      spl(OID.teeSpl, tcb.tee),
      spl(OID.snpSpl, tcb.snp),
      spl(OID.ucodeSpl, tcb.ucode),
      ext(OID.hwid, chipId),
    ],
  });
  return { der, pem: derToPem(der), privateKey };
}

const vcekKey = (chipId: Buffer, tcb: TcbParts): string => `${chipId.toString('hex')}/${tcb.bl}.${tcb.tee}.${tcb.snp}.${tcb.ucode}`;

async function buildChain(opts: SandboxChainOptions): Promise<SandboxAmdChain> {
  const arkBits = opts.arkBits ?? 4096;
  const askBits = opts.askBits ?? 4096;
  const [arkKeys, askKeys] = await Promise.all([generateKeyPairAsync('rsa', { modulusLength: arkBits }), generateKeyPairAsync('rsa', { modulusLength: askBits })]);
  // The issuer reads the clock only to date its own certificates; verification never does.
  const notBefore = opts.notBefore?.getTime() ?? Math.floor(Date.now() / 1000) * 1000 - 86_400_000;
  const notAfter = opts.notAfter?.getTime() ?? notBefore + 25 * 365 * 86_400_000;
  const arkDer = certificate({ serial: 1n, issuer: SANDBOX_NAME('ARK-Sandbox'), subject: SANDBOX_NAME('ARK-Sandbox'), publicKey: arkKeys.publicKey, signer: arkKeys.privateKey, notBefore, notAfter, extensions: CA_EXTENSIONS });
  const askDer = certificate({ serial: 2n, issuer: SANDBOX_NAME('ARK-Sandbox'), subject: SANDBOX_NAME('SEV-Sandbox'), publicKey: askKeys.publicKey, signer: arkKeys.privateKey, notBefore, notAfter, extensions: CA_EXTENSIONS });
  const base = {
    ark: { der: arkDer, pem: derToPem(arkDer), privateKey: arkKeys.privateKey },
    ask: { der: askDer, pem: derToPem(askDer), privateKey: askKeys.privateKey },
    defaultChipId: opts.chipId ?? createHash('sha512').update('cvmflow-sandbox-chip').digest(),
    defaultTcb: opts.tcb ?? { bl: 3, tee: 0, snp: 14, ucode: 213 },
    productName: 'Milan-B0',
    notBefore,
    notAfter,
  };
  const vcek = issueVcek(base, base.defaultChipId, base.defaultTcb, 3n);
  return { ...base, vcek, vceks: new Map([[vcekKey(base.defaultChipId, base.defaultTcb), vcek]]) };
}

const chains = new Map<string, Promise<SandboxAmdChain>>();

/** Generate (once per process and options) an AMD-style ARK → ASK → VCEK chain. */
export function createSandboxAmdChain(opts: SandboxChainOptions = {}): Promise<SandboxAmdChain> {
  const key = JSON.stringify({ ...opts, chipId: opts.chipId?.toString('hex') });
  let chain = chains.get(key);
  if (!chain) {
    chain = buildChain(opts);
    chains.set(key, chain);
    chain.catch(() => chains.delete(key));
  }
  return chain;
}

export interface SandboxEvidenceOptions {
  reportData: Buffer;
  measurement?: Buffer;
  hostData?: Buffer;
  chipId?: Buffer;
  /** Guest policy; default 0x30000 (SMT allowed, reserved bit 17, no debug). */
  policy?: bigint;
  vmpl?: number;
  guestSvn?: number;
  familyId?: Buffer;
  imageId?: Buffer;
  reportId?: Buffer;
  tcb?: TcbParts;
  platformInfo?: bigint;
  /** Firmware version reported as current and committed. */
  firmware?: { major: number; minor: number; build: number };
}

export interface SandboxEvidence {
  /** Raw v3 report (Milan layout) signed by the VCEK, then a certificate table with VCEK, ASK and ARK. */
  attestation: Buffer;
  /** A Cocos-format (snake_case) attestation policy that matches the report. */
  policy: Record<string, unknown>;
  rootPem: string;
}

function fixed(name: string, value: Buffer | undefined, size: number, fallback: Buffer): Buffer {
  const v = value ?? fallback;
  if (v.length !== size) throw new TypeError(`${name}: expected ${size} bytes, got ${v.length}`);
  return v;
}

/** Sign a report with the sandbox VCEK for the given chip and TCB (made on demand, then cached in the chain). */
export function issueSandboxSnpEvidence(chain: SandboxAmdChain, opts: SandboxEvidenceOptions): SandboxEvidence {
  if (opts.reportData.length > 64) throw new TypeError('reportData: at most 64 bytes');
  const reportData = Buffer.concat([opts.reportData, Buffer.alloc(64 - opts.reportData.length)]);
  const chipId = fixed('chipId', opts.chipId, 64, chain.defaultChipId);
  const tcb = opts.tcb ?? chain.defaultTcb;
  const measurement = fixed('measurement', opts.measurement, 48, createHash('sha384').update('cvmflow-sandbox-measurement').digest());
  const hostData = fixed('hostData', opts.hostData, 32, Buffer.alloc(32));
  const familyId = fixed('familyId', opts.familyId, 16, Buffer.alloc(16));
  const imageId = fixed('imageId', opts.imageId, 16, Buffer.alloc(16));
  const reportId = fixed('reportId', opts.reportId, 32, createHash('sha256').update(reportData).digest());
  const reportIdMa = Buffer.alloc(32, 0xff); // no migration agent
  const policy = opts.policy ?? 0x30000n;
  const vmpl = opts.vmpl ?? 2; // Cocos agents run at VMPL 2 under Coconut SVSM
  const fw = opts.firmware ?? { major: 1, minor: 55, build: 8 };
  const tcbValue = encodeTcb(tcb, 'Milan');

  let vcek = chain.vceks.get(vcekKey(chipId, tcb));
  if (!vcek) {
    vcek = issueVcek(chain, chipId, tcb, BigInt(3 + chain.vceks.size));
    chain.vceks.set(vcekKey(chipId, tcb), vcek);
  }

  const r = Buffer.alloc(SNP_REPORT_SIZE);
  r.writeUInt32LE(3, 0x000);
  r.writeUInt32LE(opts.guestSvn ?? 0, 0x004);
  r.writeBigUInt64LE(policy, 0x008);
  familyId.copy(r, 0x010);
  imageId.copy(r, 0x020);
  r.writeUInt32LE(vmpl, 0x030);
  r.writeUInt32LE(1, 0x034); // ECDSA P-384 with SHA-384
  r.writeBigUInt64LE(tcbValue, 0x038);
  r.writeBigUInt64LE(opts.platformInfo ?? 1n, 0x040);
  r.writeUInt32LE(0, 0x048); // signed by the VCEK
  reportData.copy(r, 0x050);
  measurement.copy(r, 0x090);
  hostData.copy(r, 0x0c0);
  reportId.copy(r, 0x140);
  reportIdMa.copy(r, 0x160);
  r.writeBigUInt64LE(tcbValue, 0x180);
  Buffer.from([0x19, 0x01, 0x00]).copy(r, 0x188); // Milan B0: family 19h, model 01h, stepping 0
  chipId.copy(r, 0x1a0);
  r.writeBigUInt64LE(tcbValue, 0x1e0);
  Buffer.from([fw.build, fw.minor, fw.major]).copy(r, 0x1e8);
  Buffer.from([fw.build, fw.minor, fw.major]).copy(r, 0x1ec);
  r.writeBigUInt64LE(tcbValue, 0x1f0);
  const sig = sign('sha384', r.subarray(0, SNP_SIGNED_SIZE), { key: vcek.privateKey, dsaEncoding: 'ieee-p1363' });
  // r and s go in as little-endian 72-byte fields, zero-padded
  Buffer.from(sig.subarray(0, 48)).reverse().copy(r, 0x2a0);
  Buffer.from(sig.subarray(48, 96)).reverse().copy(r, 0x2e8);

  const table = buildCertTable([
    { guid: '63da758d-e664-4564-adc5-f4b93be8accd', data: vcek.der },
    { guid: '4ab7b379-bbac-4fe4-a02f-05aef327c782', data: chain.ask.der },
    { guid: 'c0b406a4-a803-4952-9743-3fb6014cd0ae', data: chain.ark.der },
  ]);
  const b64 = (b: Buffer): string => b.toString('base64');
  return {
    attestation: Buffer.concat([r, table]),
    policy: {
      policy: {
        minimum_guest_svn: opts.guestSvn ?? 0,
        policy: policy.toString(),
        family_id: b64(familyId),
        image_id: b64(imageId),
        vmpl,
        minimum_tcb: tcbValue.toString(),
        minimum_launch_tcb: tcbValue.toString(),
        require_author_key: false,
        report_data: b64(reportData),
        measurement: b64(measurement),
        host_data: b64(hostData),
        report_id_ma: b64(reportIdMa),
        chip_id: b64(chipId),
        minimum_build: fw.build,
        minimum_version: `${fw.major}.${fw.minor}`,
        permit_provisional_firmware: false,
        require_id_block: false,
        product: { name: 1 },
      },
      root_of_trust: { product_line: 'Milan', check_crl: false, disallow_network: true },
    },
    rootPem: chain.ark.pem,
  };
}
