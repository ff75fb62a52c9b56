// Hardware checks for an SNP report: signature by the VCEK/VLEK, chain to a pinned ARK, validity, TCB and HWID extensions, CRL.
import { verify as cryptoVerify } from 'node:crypto';
import { decodeString, decodeUnsigned, readNode } from '../asn1/der-reader';
import { bytesEqual, toHex } from '../bytes';
import { AMD_ARK_SPKI_SHA256, type AmdRootEntry } from '../amd-roots';
import type { ProductLine } from '../policy/types';
import type { ResolvedTrust } from '../trust';
import type { CertInfo, CheckList } from '../verdict';
import { type BundleCert, type ParsedCert, isSelfSigned, isSignedBy, tryParseCertificate } from '../x509';
import { crlSignedBy, parseCrl } from './crl';
import { type SnpReport, type TcbParts, decodeTcb, formatTcb, productFromCpuid, tcbComponents } from './report';

export const OID = {
  productName: '1.3.6.1.4.1.3704.1.2',
  blSpl: '1.3.6.1.4.1.3704.1.3.1',
  teeSpl: '1.3.6.1.4.1.3704.1.3.2',
  snpSpl: '1.3.6.1.4.1.3704.1.3.3',
  ucodeSpl: '1.3.6.1.4.1.3704.1.3.8',
  fmcSpl: '1.3.6.1.4.1.3704.1.3.9',
  hwid: '1.3.6.1.4.1.3704.1.4',
  cspId: '1.3.6.1.4.1.3704.1.5',
} as const;

export interface SourcedCert {
  der: Buffer;
  source: string;
  /** The certificate already parsed (certificateBundle), else it is parsed here. */
  parsed?: BundleCert;
}

export interface EndorsementInput {
  report: SnpReport;
  certs: SourcedCert[];
  crls: SourcedCert[];
  trust: ResolvedTrust;
  /** Product line the policy names, if any. */
  productLineHint?: ProductLine;
  checkCrl: boolean;
  atMs: number;
  /** atMs as an ISO string, as the checks print it. */
  atIso: string;
}

export interface EndorsementResult {
  productLine?: ProductLine;
  keyChain: CertInfo[];
  reportedTcb: TcbParts;
  signatureVerified: boolean;
  chainVerified: boolean;
}

interface Candidate {
  cert: ParsedCert;
  source: string;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function info(c: Candidate, role: string): CertInfo {
  return {
    role,
    subject: c.cert.subject,
    issuer: c.cert.issuer,
    serial: c.cert.serialHex,
    sha256: c.cert.sha256,
    spkiSha256: c.cert.spkiSha256,
    notBefore: c.cert.notBeforeIso,
    notAfter: c.cert.notAfterIso,
    source: c.source,
  };
}

/** What the SNP checks read from a certificate: fixed by its bytes, so worked out once per certificate. */
interface AmdFacts {
  productName?: string;
  productLine?: ProductLine;
  kind: 'vcek' | 'vlek';
  /** An EC P-384 key, the only kind that signs reports. */
  p384: boolean;
  spl: Record<keyof typeof SPL_OID, number | undefined>;
}

const SPL_OID = { fmc: OID.fmcSpl, bl: OID.blSpl, tee: OID.teeSpl, snp: OID.snpSpl, ucode: OID.ucodeSpl } as const;
const facts = new WeakMap<ParsedCert, AmdFacts>();

function amdFacts(cert: ParsedCert): AmdFacts {
  let f = facts.get(cert);
  if (!f) {
    const productName = productNameOf(cert);
    f = {
      productName,
      productLine: lineFromName(productName),
      kind: cert.extensions.has(OID.cspId) || /VLEK/i.test(cert.subjectCn) ? 'vlek' : 'vcek',
      p384: isP384(cert),
      spl: { fmc: splOf(cert, SPL_OID.fmc), bl: splOf(cert, SPL_OID.bl), tee: splOf(cert, SPL_OID.tee), snp: splOf(cert, SPL_OID.snp), ucode: splOf(cert, SPL_OID.ucode) },
    };
    facts.set(cert, f);
  }
  return f;
}

function isP384(cert: ParsedCert): boolean {
  try {
    return cert.publicKey.asymmetricKeyType === 'ec' && cert.publicKey.asymmetricKeyDetails?.namedCurve === 'secp384r1';
  } catch {
    return false;
  }
}

function productNameOf(cert: ParsedCert): string | undefined {
  const v = cert.extensions.get(OID.productName);
  if (!v) return undefined;
  try {
    return decodeString(readNode(v, 0));
  } catch {
    return v.toString('latin1');
  }
}

/** "Milan-B0" → Milan. */
function lineFromName(name: string | undefined): ProductLine | undefined {
  const head = name?.split('-')[0]?.toLowerCase();
  return (['Milan', 'Genoa', 'Turin'] as const).find((l) => l.toLowerCase() === head);
}

function splOf(cert: ParsedCert, oid: string): number | undefined {
  const v = cert.extensions.get(oid);
  if (!v) return undefined;
  try {
    return Number(decodeUnsigned(readNode(v, 0)));
  } catch {
    return undefined;
  }
}

function isLeafKey(cert: ParsedCert): boolean {
  return cert.keyType === 'ec';
}

function reportSignatureValid(report: SnpReport, leaf: ParsedCert): boolean {
  if (!report.signature) return false;
  try {
    if (!amdFacts(leaf).p384) return false;
    const sig = Buffer.concat([report.signature.r, report.signature.s]);
    return cryptoVerify('sha384', report.signed, { key: leaf.publicKey, dsaEncoding: 'ieee-p1363' }, sig);
  } catch {
    return false;
  }
}

function checkValidity(checks: CheckList, role: string, c: Candidate, atMs: number, atIso: string): void {
  const ok = c.cert.notBefore <= atMs && atMs <= c.cert.notAfter;
  checks.add(`snp.cert.${role}.validity`, ok, `${c.cert.notBeforeIso} ≤ t ≤ ${c.cert.notAfterIso}`, `t = ${atIso}`, ok ? undefined : `${c.cert.subjectCn} is ${atMs < c.cert.notBefore ? 'not yet valid' : 'expired'}`);
}

/** A shipped ASK or ARK as a chain candidate, named by its bundle file. */
function storeCandidate(entry: AmdRootEntry | undefined, which: 'ask' | 'ark'): Candidate | undefined {
  return entry && { cert: entry[which], source: `trust-store:${entry.file}` };
}

const DEPENDENT_CHECKS = ['snp.chain.leaf', 'snp.chain.intermediate', 'snp.chain.root_trusted', 'snp.endorsement.tcb', 'snp.endorsement.hwid'];

export function verifyEndorsement(input: EndorsementInput, checks: CheckList): EndorsementResult {
  const { report, trust, atMs } = input;
  const keyChain: CertInfo[] = [];
  const parsed: Candidate[] = [];
  for (const c of input.certs) {
    const p = c.parsed ?? tryParseCertificate(c.der);
    if (p.cert) parsed.push({ cert: p.cert, source: c.source });
    else checks.fail('snp.cert.parse', 'a DER X.509 certificate', `${c.source}: ${p.error}`);
  }

  checks.add('snp.report.signature_algo', report.signatureAlgo === 1, '1 (ECDSA P-384 with SHA-384)', String(report.signatureAlgo));
  const wanted = report.signingKey === 0 ? 'vcek' : report.signingKey === 1 ? 'vlek' : undefined;
  if (!wanted) checks.fail('snp.report.signing_key', 'VCEK (0) or VLEK (1)', `SIGNING_KEY=${report.signingKey}`);

  const leaves = parsed.filter((c) => isLeafKey(c.cert) && amdFacts(c.cert).kind === wanted);
  const validLeaf = leaves.find((c) => reportSignatureValid(report, c.cert));
  const leaf = validLeaf ?? leaves[0];
  const leafLine = leaf ? amdFacts(leaf.cert).productLine : undefined;
  const productLine = input.productLineHint ?? leafLine ?? productFromCpuid(report.cpuid);
  if (input.productLineHint && leafLine && leafLine !== input.productLineHint) {
    checks.fail('snp.product_line', input.productLineHint, `${leafLine} (${wanted ?? 'leaf'} product name ${amdFacts(leaf!.cert).productName})`);
  }
  const reportedTcb = decodeTcb(report.reportedTcb, productLine);
  const role = wanted ?? 'vcek';

  if (!leaf) {
    checks.fail('snp.signature', `report signed by the chip's ${role.toUpperCase()}`, `no ${role.toUpperCase()} certificate available (not in the evidence, collateral or cache)`);
    for (const name of DEPENDENT_CHECKS) checks.skip(name, `needs the ${role.toUpperCase()}`);
    return { productLine, keyChain, reportedTcb, signatureVerified: false, chainVerified: false };
  }

  keyChain.push(info(leaf, role));
  const sigOk = checks.add(
    'snp.signature',
    !!validLeaf,
    `ECDSA P-384 signature over [0x000, 0x2A0) by ${role.toUpperCase()} ${leaf.cert.serialHex}`,
    report.signature ? (validLeaf ? 'valid' : 'does not verify') : 'malformed signature field',
  );

  // ASK/ASVK candidates: evidence and collateral first, then the shipped bundles
  const signsLeaf = (cert: ParsedCert): boolean => cert.subject === leaf.cert.issuer && isSignedBy(leaf.cert, cert);
  const ask =
    parsed.find((c) => !isLeafKey(c.cert) && c.cert.subject !== c.cert.issuer && signsLeaf(c.cert)) ??
    storeCandidate(trust.amdRoots.find((r) => signsLeaf(r.ask)), 'ask');
  const askRole = role === 'vlek' ? 'asvk' : 'ask';
  checks.add('snp.chain.leaf', !!ask, `${role.toUpperCase()} signed by its ${askRole.toUpperCase()} (${leaf.cert.issuerCn})`, ask ? `signed by ${ask.cert.subjectCn} (${ask.source})` : `no ${askRole.toUpperCase()} named ${leaf.cert.issuerCn} verifies it`);

  let chainOk = false;
  let ark: Candidate | undefined;
  if (ask) {
    keyChain.push(info(ask, askRole));
    const signsAsk = (cert: ParsedCert): boolean => cert.subject === ask.cert.issuer && isSignedBy(ask.cert, cert) && isSelfSigned(cert);
    const found = (cert: ParsedCert | undefined, source: string): Candidate | undefined => (cert ? { cert, source } : undefined);
    ark =
      storeCandidate(trust.amdRoots.find((r) => signsAsk(r.ark)), 'ark') ??
      found(trust.extraArks.find(signsAsk), 'trust:extra-ark') ??
      parsed.find((c) => c.cert.subject === c.cert.issuer && signsAsk(c.cert)) ??
      found(trust.ignoredExtraArks.find(signsAsk), 'trust:extra-ark (ignored: allowSandbox not set)');
    checks.add('snp.chain.intermediate', !!ark, `${askRole.toUpperCase()} signed by a self-signed ARK (${ask.cert.issuerCn})`, ark ? `signed by ${ark.cert.subjectCn} (${ark.source})` : `no self-signed ARK named ${ask.cert.issuerCn} verifies it`);
    if (ark) {
      keyChain.push(info(ark, 'ark'));
      const pinnedFor = (Object.keys(AMD_ARK_SPKI_SHA256) as ProductLine[]).find((l) => AMD_ARK_SPKI_SHA256[l] === ark!.cert.spkiSha256);
      const isExtra = trust.extraArks.some((x) => x.spkiSha256 === ark!.cert.spkiSha256);
      const trusted = isExtra || (pinnedFor !== undefined && (productLine === undefined || pinnedFor === productLine) && trust.amdRoots.some((r) => r.ark.spkiSha256 === ark!.cert.spkiSha256));
      const expected = productLine ? `ARK-${productLine} (SPKI sha256 ${AMD_ARK_SPKI_SHA256[productLine].slice(0, 16)}…) or an explicitly trusted sandbox root` : 'a pinned AMD ARK';
      const actual = `${ark.cert.subjectCn} (SPKI sha256 ${ark.cert.spkiSha256.slice(0, 16)}…)${pinnedFor ? ` = ARK-${pinnedFor}` : isExtra ? ' = trusted extra root' : ' is not a trusted root'}`;
      chainOk = checks.add('snp.chain.root_trusted', trusted, expected, actual, trusted ? undefined : `untrusted root ${ark.cert.subject}`);
    } else checks.skip('snp.chain.root_trusted', 'no ARK found');
  } else {
    checks.skip('snp.chain.intermediate', `no ${askRole.toUpperCase()} found`);
    checks.skip('snp.chain.root_trusted', `no ${askRole.toUpperCase()} found`);
  }

  const { atIso } = input;
  checkValidity(checks, role, leaf, atMs, atIso);
  if (ask) checkValidity(checks, askRole, ask, atMs, atIso);
  if (ark) checkValidity(checks, 'ark', ark, atMs, atIso);

  // KDS issues the VCEK for exactly one TCB: its SPL extensions must equal REPORTED_TCB
  const leafSpl = amdFacts(leaf.cert).spl;
  const reported = tcbComponents(reportedTcb);
  const certTcb: Array<[string, number | undefined]> = reported.map((c) => [c[0], leafSpl[c[0] as keyof AmdFacts['spl']]]);
  const tcbOk = reported.every((c, i) => certTcb[i]![0] === c[0] && certTcb[i]![1] === c[1]);
  checks.add('snp.endorsement.tcb', tcbOk, `REPORTED_TCB ${formatTcb(reportedTcb)}`, `${role.toUpperCase()} extensions ${certTcb.map((c) => `${c[0]}=${c[1] ?? 'absent'}`).join(' ')}`);

  if (role === 'vcek') {
    const hwid = leaf.cert.extensions.get(OID.hwid);
    // Turin HWIDs are 8 bytes: only the first 8 bytes of CHIP_ID are meaningful there
    const chip = productLine === 'Turin' ? report.chipId.subarray(0, 8) : report.chipId;
    checks.add('snp.endorsement.hwid', !!hwid && bytesEqual(hwid, chip), `VCEK HWID = CHIP_ID ${toHex(chip)}`, hwid ? toHex(hwid) : 'no HWID extension');
  } else {
    checks.skip('snp.endorsement.hwid', 'VLEK-signed reports carry no CHIP_ID binding');
  }

  if (input.checkCrl) checkCrl(input, checks, ark, [ask, leaf]);
  return { productLine, keyChain, reportedTcb, signatureVerified: sigOk, chainVerified: chainOk && !!ask };
}

function checkCrl(input: EndorsementInput, checks: CheckList, ark: Candidate | undefined, certs: Array<Candidate | undefined>): void {
  if (!ark) return checks.skip('snp.crl', 'no ARK to check the CRL against');
  const crls = input.crls.flatMap((c) => {
    try {
      return [{ crl: parseCrl(c.der), source: c.source }];
    } catch {
      return [];
    }
  });
  const crl = crls.find((c) => crlSignedBy(c.crl, ark.cert));
  if (!crl) {
    checks.fail('snp.crl', `a CRL signed by ${ark.cert.subjectCn} (policy root_of_trust.check_crl)`, crls.length ? 'no CRL verifies with that ARK' : 'no CRL in the collateral');
    return;
  }
  const current = crl.crl.thisUpdate <= input.atMs && (crl.crl.nextUpdate === undefined || input.atMs <= crl.crl.nextUpdate);
  checks.add('snp.crl.validity', current, `thisUpdate ≤ t ≤ nextUpdate`, `t = ${input.atIso}, CRL ${iso(crl.crl.thisUpdate)} … ${crl.crl.nextUpdate ? iso(crl.crl.nextUpdate) : 'open'}`);
  const revoked = certs.filter((c): c is Candidate => !!c && crl.crl.revokedSerials.has(c.cert.serialHex));
  checks.add('snp.crl', revoked.length === 0, 'no certificate in the chain revoked', revoked.length ? `revoked: ${revoked.map((c) => `${c.cert.subjectCn} serial ${c.cert.serialHex}`).join(', ')}` : 'none revoked');
}
