// A sandbox Intel-shaped TDX signing chain made at run time (NOT Intel): root CA → PCK CA → PCK leaf with the SGX
// extension, a TCB signing certificate, CRLs, and DCAP collateral (TCB info, QE identity) it signs; plus quotes v4
// whose QE report and signature verify through @phala/dcap-qvl exactly as a real quote does, against this root.
// Verifiers accept them only when the root is trusted explicitly (trust { extraArks: [rootPem], allowSandbox: true }).
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { bitString, bool, explicit, octets, oid, printable, seq, set, time, tlv, uint, utf8 } from '../evidence/der-writer';
import type { DcapCollateral } from '../../attestation/tdx/verify';
import { derToPem } from '../../attestation/x509';

export interface SandboxTdxCert {
  der: Buffer;
  pem: string;
  privateKey: KeyObject;
}

export interface SandboxTdxChain {
  root: SandboxTdxCert;
  pckCa: SandboxTdxCert;
  pck: SandboxTdxCert;
  tcbSigner: SandboxTdxCert;
  /** The QE's attestation key (its public half goes into every quote). */
  attestationKey: KeyObject;
  attestationPublic: Buffer;
  fmspc: string;
  cpuSvn: Buffer;
  pceSvn: number;
  teeTcbSvn: Buffer;
  qe: { mrSigner: Buffer; isvProdId: number; isvSvn: number; attributes: Buffer; miscSelect: number };
  collateral: DcapCollateral;
  notBefore: number;
  notAfter: number;
}

export interface SandboxTdxChainOptions {
  notBefore?: Date;
  notAfter?: Date;
  /** TCB status the collateral assigns to this platform (default UpToDate). */
  tcbStatus?: string;
}

const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));
const SGX_EXT = '1.2.840.113741.1.13.1';

const name = (cn: string): Buffer =>
  seq(
    set(seq(oid('2.5.4.3'), utf8(cn))),
    set(seq(oid('2.5.4.10'), utf8('cvmflow sandbox'))),
    set(seq(oid('2.5.4.11'), utf8('cvmflow sandbox - NOT Intel'))),
    set(seq(oid('2.5.4.6'), printable('US'))),
  );

function ext(id: string, value: Buffer, critical = false): Buffer {
  return seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));
}

const CA_EXTENSIONS = [ext('2.5.29.15', bitString(Buffer.from([0x06]), 1), true), ext('2.5.29.19', seq(bool(true), uint(1)), true)];
const LEAF_EXTENSIONS = [ext('2.5.29.15', bitString(Buffer.from([0xc0]), 6), true), ext('2.5.29.19', seq(), true)];

function certificate(opts: { serial: bigint; issuer: Buffer; subject: Buffer; publicKey: KeyObject; signer: KeyObject; notBefore: number; notAfter: number; extensions: Buffer[] }): Buffer {
  const spki = opts.publicKey.export({ type: 'spki', format: 'der' });
  const tbs = seq(explicit(0, uint(2)), uint(opts.serial), ECDSA_SHA256, opts.issuer, seq(time(opts.notBefore), time(opts.notAfter)), opts.subject, spki, explicit(3, seq(...opts.extensions)));
  return seq(tbs, ECDSA_SHA256, bitString(sign('sha256', tbs, opts.signer)));
}

function issue(opts: Omit<Parameters<typeof certificate>[0], 'publicKey'>): SandboxTdxCert & { publicKey: KeyObject } {
  const keys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return finish({ ...opts, publicKey: keys.publicKey }, keys.privateKey);
}

function finish(opts: Parameters<typeof certificate>[0], privateKey: KeyObject): SandboxTdxCert & { publicKey: KeyObject } {
  const der = certificate(opts);
  return { der, pem: derToPem(der), privateKey, publicKey: opts.publicKey };
}

/** An empty CRL signed by `issuer`: dcap-qvl checks every certificate of every chain against the CRLs it gets. */
function crl(issuerName: Buffer, signer: KeyObject, thisUpdate: number, nextUpdate: number): Buffer {
  const tbs = seq(uint(1), ECDSA_SHA256, issuerName, time(thisUpdate), time(nextUpdate));
  return seq(tbs, ECDSA_SHA256, bitString(sign('sha256', tbs, signer)));
}

/** Intel's SGX extension: PPID, TCB (16 component SVNs, PCESVN, CPUSVN), PCE-ID, FMSPC, SGX type. */
function sgxExtension(c: { ppid: Buffer; cpuSvn: Buffer; pceSvn: number; pceId: Buffer; fmspc: Buffer }): Buffer {
  const item = (id: string, value: Buffer) => seq(oid(`${SGX_EXT}.${id}`), value);
  const components = [...c.cpuSvn].map((svn, i) => item(`2.${i + 1}`, uint(svn)));
  return seq(
    item('1', octets(c.ppid)),
    item('2', seq(...components, item('2.17', uint(c.pceSvn)), item('2.18', octets(c.cpuSvn)))),
    item('3', octets(c.pceId)),
    item('4', octets(c.fmspc)),
    item('5', tlv(0x0a, Buffer.from([0]))), // SGX type: standard
  );
}

/** r‖s, 32 bytes each: how quotes and collateral carry ECDSA P-256 signatures. */
function rawSign(data: Buffer, key: KeyObject): Buffer {
  return sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' });
}

const iso = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

export function createSandboxTdxChain(opts: SandboxTdxChainOptions = {}): SandboxTdxChain {
  // The chain reads the clock only to date its own certificates and collateral; verification never does.
  const notBefore = opts.notBefore?.getTime() ?? Math.floor(Date.now() / 1000) * 1000 - 86_400_000;
  const notAfter = opts.notAfter?.getTime() ?? notBefore + 25 * 365 * 86_400_000;
  const dates = { notBefore, notAfter };

  const rootKeys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const rootName = name('cvmflow sandbox TDX Root CA (NOT Intel)');
  const root = finish({ serial: 1n, issuer: rootName, subject: rootName, publicKey: rootKeys.publicKey, signer: rootKeys.privateKey, ...dates, extensions: CA_EXTENSIONS }, rootKeys.privateKey);
  const pckCaName = name('cvmflow sandbox PCK Platform CA (NOT Intel)');
  const pckCa = issue({ serial: 2n, issuer: rootName, subject: pckCaName, signer: root.privateKey, ...dates, extensions: CA_EXTENSIONS });
  const tcbSigner = issue({ serial: 3n, issuer: rootName, subject: name('cvmflow sandbox TCB Signing (NOT Intel)'), signer: root.privateKey, ...dates, extensions: LEAF_EXTENSIONS });

  const fmspc = Buffer.from('c0ffee000000', 'hex'); // not a real platform's FMSPC
  const cpuSvn = Buffer.from([3, 3, 2, 2, 3, 1, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0]);
  const pceSvn = 13;
  const pceId = Buffer.alloc(2);
  const pck = issue({
    serial: 4n,
    issuer: pckCaName,
    subject: name('cvmflow sandbox PCK Certificate (NOT Intel)'),
    signer: pckCa.privateKey,
    ...dates,
    extensions: [...LEAF_EXTENSIONS, ext(SGX_EXT, sgxExtension({ ppid: randomBytes(16), cpuSvn, pceSvn, pceId, fmspc }))],
  });

  const attestation = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const jwk = attestation.publicKey.export({ format: 'jwk' });
  const attestationPublic = Buffer.concat([Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  const teeTcbSvn = Buffer.from([5, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const qe = { mrSigner: createHash('sha256').update('cvmflow sandbox TD QE signer').digest(), isvProdId: 2, isvSvn: 4, attributes: Buffer.from('11000000000000000000000000000000', 'hex'), miscSelect: 0 };

  const status = opts.tcbStatus ?? 'UpToDate';
  const tcbInfo = JSON.stringify({
    id: 'TDX',
    version: 3,
    issueDate: iso(notBefore),
    nextUpdate: iso(notAfter),
    fmspc: fmspc.toString('hex').toUpperCase(),
    pceId: pceId.toString('hex'),
    tcbType: 0,
    tcbEvaluationDataNumber: 1,
    tcbLevels: [
      {
        tcb: { sgxtcbcomponents: [...cpuSvn].map((svn) => ({ svn })), pcesvn: pceSvn, tdxtcbcomponents: [...teeTcbSvn].map((svn) => ({ svn })) },
        tcbDate: iso(notBefore),
        tcbStatus: status,
        ...(status === 'UpToDate' ? {} : { advisoryIDs: ['SANDBOX-SA-00001'] }),
      },
    ],
  });
  const qeIdentity = JSON.stringify({
    id: 'TD_QE',
    version: 2,
    issueDate: iso(notBefore),
    nextUpdate: iso(notAfter),
    tcbEvaluationDataNumber: 1,
    miscselect: '00000000',
    miscselectMask: 'FFFFFFFF',
    attributes: qe.attributes.toString('hex').toUpperCase(),
    attributesMask: 'FBFFFFFFFFFFFFFF0000000000000000',
    mrsigner: qe.mrSigner.toString('hex').toUpperCase(),
    isvprodid: qe.isvProdId,
    tcbLevels: [{ tcb: { isvsvn: qe.isvSvn }, tcbDate: iso(notBefore), tcbStatus: 'UpToDate' }],
  });
  const issuerChain = tcbSigner.pem + root.pem;
  const collateral: DcapCollateral = {
    pck_crl_issuer_chain: pckCa.pem + root.pem,
    root_ca_crl: crl(rootName, root.privateKey, notBefore, notAfter).toString('hex'),
    pck_crl: crl(pckCaName, pckCa.privateKey, notBefore, notAfter).toString('hex'),
    tcb_info_issuer_chain: issuerChain,
    tcb_info: tcbInfo,
    tcb_info_signature: rawSign(Buffer.from(tcbInfo, 'utf8'), tcbSigner.privateKey).toString('hex'),
    qe_identity_issuer_chain: issuerChain,
    qe_identity: qeIdentity,
    qe_identity_signature: rawSign(Buffer.from(qeIdentity, 'utf8'), tcbSigner.privateKey).toString('hex'),
  };

  return { root, pckCa, pck, tcbSigner, attestationKey: attestation.privateKey, attestationPublic, fmspc: fmspc.toString('hex').toUpperCase(), cpuSvn, pceSvn, teeTcbSvn, qe, collateral, notBefore, notAfter };
}

/** Where src/attestation/collateral.ts looks for this chain's collateral under a cache folder (CVMFLOW_COLLATERAL_DIR). */
export function sandboxTdxCollateralCachePath(chain: Pick<SandboxTdxChain, 'fmspc'>): string {
  return `intel/tdx-${chain.fmspc}-platform.json`;
}

/** The TD report fields a sandbox CVM's quote carries (48-byte registers, 64-byte report data). */
export interface SandboxTdReport {
  mrTd: Buffer;
  mrConfigId?: Buffer;
  rtmrs: [Buffer, Buffer, Buffer, Buffer];
  reportData: Buffer;
  /** Default 0x0000001000000000: SEPT_VE_DISABLE, not a debug TD. */
  tdAttributes?: Buffer;
}

const TD_REPORT_SIZE = 584;
const QE_VENDOR_ID_INTEL = Buffer.from('939a7233f79c4ca9940a0db3957f0607', 'hex');

function fixed(what: string, b: Buffer | undefined, size: number): Buffer {
  const v = b ?? Buffer.alloc(size);
  if (v.length !== size) throw new TypeError(`${what}: expected ${size} bytes, got ${v.length}`);
  return v;
}

/** A TDX quote v4 (cert data type 6 → QE report → type 5 PCK chain) over the given TD report, signed by the chain. */
export function signSandboxTdxQuote(chain: SandboxTdxChain, report: SandboxTdReport): Buffer {
  const header = Buffer.alloc(48);
  header.writeUInt16LE(4, 0);
  header.writeUInt16LE(2, 2); // ECDSA-256 with P-256
  header.writeUInt32LE(0x81, 4); // TDX
  header.writeUInt16LE(chain.qe.isvSvn, 8);
  header.writeUInt16LE(chain.pceSvn, 10);
  QE_VENDOR_ID_INTEL.copy(header, 12);

  const body = Buffer.alloc(TD_REPORT_SIZE);
  chain.teeTcbSvn.copy(body, 0);
  createHash('sha384').update('cvmflow sandbox TDX module').digest().copy(body, 16); // mr_seam; mr_signer_seam stays zero
  fixed('tdAttributes', report.tdAttributes ?? Buffer.from('0000001000000000', 'hex'), 8).copy(body, 120);
  Buffer.from('e702060000000000', 'hex').copy(body, 128); // xfam
  fixed('mrTd', report.mrTd, 48).copy(body, 136);
  fixed('mrConfigId', report.mrConfigId, 48).copy(body, 184);
  report.rtmrs.forEach((r, i) => fixed(`rtmr${i}`, r, 48).copy(body, 328 + i * 48));
  const reportData = Buffer.concat([report.reportData, Buffer.alloc(Math.max(0, 64 - report.reportData.length))]);
  fixed('reportData', reportData, 64).copy(body, 520);

  const signed = Buffer.concat([header, body]);
  const quoteSignature = rawSign(signed, chain.attestationKey);

  const qeAuthData = createHash('sha256').update(signed).digest(); // any 32 bytes; hashed into the QE report
  const qeReport = Buffer.alloc(384);
  chain.cpuSvn.copy(qeReport, 0);
  qeReport.writeUInt32LE(chain.qe.miscSelect, 16);
  chain.qe.attributes.copy(qeReport, 48);
  createHash('sha256').update('cvmflow sandbox TD QE').digest().copy(qeReport, 64); // mr_enclave
  chain.qe.mrSigner.copy(qeReport, 128);
  qeReport.writeUInt16LE(chain.qe.isvProdId, 256);
  qeReport.writeUInt16LE(chain.qe.isvSvn, 258);
  createHash('sha256').update(Buffer.concat([chain.attestationPublic, qeAuthData])).digest().copy(qeReport, 320);
  const qeReportSignature = rawSign(qeReport, chain.pck.privateKey);

  const pemChain = Buffer.from(chain.pck.pem + chain.pckCa.pem + chain.root.pem, 'latin1');
  const u16 = (n: number) => Buffer.from([n & 0xff, n >> 8]);
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
  };
  const inner = Buffer.concat([qeReport, qeReportSignature, u16(qeAuthData.length), qeAuthData, u16(5), u32(pemChain.length), pemChain]);
  const authData = Buffer.concat([quoteSignature, chain.attestationPublic, u16(6), u32(inner.length), inner]);
  return Buffer.concat([signed, u32(authData.length), authData]);
}
