// Hardware checks for an SNP report: signature by the VCEK/VLEK, chain to a pinned ARK, validity, TCB and HWID extensions, CRL.
import { verify as cryptoVerify } from 'node:crypto';
import { decodeString, decodeUnsigned, readNode } from '../asn1/der-reader';
import { bytesEqual, errorMessage, toHex } from '../bytes';
import { AMD_ARK_SPKI_SHA256 } from '../amd-roots';
import type { ProductLine } from '../policy/types';
import type { ResolvedTrust } from '../trust';
import type { CertInfo, CheckList } from '../verdict';
import { type ParsedCert, isSelfSigned, isSignedBy, parseCertificate } from '../x509';
import { crlSignedBy, parseCrl } from './crl';
import { type SnpReport, type TcbParts, decodeTcb, productFromCpuid, tcbComponents } from './report';

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
    notBefore: iso(c.cert.notBefore),
    notAfter: iso(c.cert.notAfter),
    source: c.source,
  };
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

function leafKind(cert: ParsedCert): 'vcek' | 'vlek' {
  return cert.extensions.has(OID.cspId) || /VLEK/i.test(cert.subjectCn) ? 'vlek' : 'vcek';
}

function reportSignatureValid(report: SnpReport, leaf: ParsedCert): boolean {
  if (!report.signature) return false;
  try {
    const key = leaf.publicKey;
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'secp384r1') return false;
    const sig = Buffer.concat([report.signature.r, report.signature.s]);
    return cryptoVerify('sha384', report.signed, { key, dsaEncoding: 'ieee-p1363' }, sig);
  } catch {
    return false;
  }
}

function checkValidity(checks: CheckList, role: string, c: Candidate, atMs: number): void {
  const ok = c.cert.notBefore <= atMs && atMs <= c.cert.notAfter;
  checks.add(`snp.cert.${role}.validity`, ok, `${iso(c.cert.notBefore)} ≤ t ≤ ${iso(c.cert.notAfter)}`, `t = ${iso(atMs)}`, ok ? undefined : `${c.cert.subjectCn} is ${atMs < c.cert.notBefore ? 'not yet valid' : 'expired'}`);
}

const DEPENDENT_CHECKS = ['snp.chain.leaf', 'snp.chain.intermediate', 'snp.chain.root_trusted', 'snp.endorsement.tcb', 'snp.endorsement.hwid'];

export function verifyEndorsement(input: EndorsementInput, checks: CheckList): EndorsementResult {
  const { report, trust, atMs } = input;
  const keyChain: CertInfo[] = [];
  const parsed: Candidate[] = [];
  for (const c of input.certs) {
    try {
      parsed.push({ cert: parseCertificate(c.der), source: c.source });
    } catch (err) {
      checks.fail('snp.cert.parse', 'a DER X.509 certificate', `${c.source}: ${errorMessage(err)}`);
    }
  }

  checks.add('snp.report.signature_algo', report.signatureAlgo === 1, '1 (ECDSA P-384 with SHA-384)', String(report.signatureAlgo));
  const wanted = report.signingKey === 0 ? 'vcek' : report.signingKey === 1 ? 'vlek' : undefined;
  if (!wanted) checks.fail('snp.report.signing_key', 'VCEK (0) or VLEK (1)', `SIGNING_KEY=${report.signingKey}`);

  const leaves = parsed.filter((c) => isLeafKey(c.cert) && leafKind(c.cert) === wanted);
  const validLeaf = leaves.find((c) => reportSignatureValid(report, c.cert));
  const leaf = validLeaf ?? leaves[0];
  const leafLine = leaf ? lineFromName(productNameOf(leaf.cert)) : undefined;
  const productLine = input.productLineHint ?? leafLine ?? productFromCpuid(report.cpuid);
  if (input.productLineHint && leafLine && leafLine !== input.productLineHint) {
    checks.fail('snp.product_line', input.productLineHint, `${leafLine} (${wanted ?? 'leaf'} product name ${productNameOf(leaf!.cert)})`);
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
  const intermediates: Candidate[] = [
    ...parsed.filter((c) => !isLeafKey(c.cert) && c.cert.subject !== c.cert.issuer),
    ...trust.amdRoots.map((r) => ({ cert: r.ask, source: `trust-store:${r.file}` })),
  ];
  const ask = intermediates.find((c) => c.cert.subject === leaf.cert.issuer && isSignedBy(leaf.cert, c.cert));
  const askRole = role === 'vlek' ? 'asvk' : 'ask';
  checks.add('snp.chain.leaf', !!ask, `${role.toUpperCase()} signed by its ${askRole.toUpperCase()} (${leaf.cert.issuerCn})`, ask ? `signed by ${ask.cert.subjectCn} (${ask.source})` : `no ${askRole.toUpperCase()} named ${leaf.cert.issuerCn} verifies it`);

  let chainOk = false;
  let ark: Candidate | undefined;
  if (ask) {
    keyChain.push(info(ask, askRole));
    const roots: Candidate[] = [
      ...trust.amdRoots.map((r) => ({ cert: r.ark, source: `trust-store:${r.file}` })),
      ...trust.extraArks.map((cert) => ({ cert, source: 'trust:extra-ark' })),
      ...parsed.filter((c) => c.cert.subject === c.cert.issuer),
      ...trust.ignoredExtraArks.map((cert) => ({ cert, source: 'trust:extra-ark (ignored: allowSandbox not set)' })),
    ];
    ark = roots.find((c) => c.cert.subject === ask.cert.issuer && isSignedBy(ask.cert, c.cert) && isSelfSigned(c.cert));
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

  checkValidity(checks, role, leaf, atMs);
  if (ask) checkValidity(checks, askRole, ask, atMs);
  if (ark) checkValidity(checks, 'ark', ark, atMs);

  // KDS issues the VCEK for exactly one TCB: its SPL extensions must equal REPORTED_TCB
  const certTcb: Array<[string, number | undefined]> = tcbComponents(reportedTcb).map(([k]) => [
    k,
    splOf(leaf.cert, { fmc: OID.fmcSpl, bl: OID.blSpl, tee: OID.teeSpl, snp: OID.snpSpl, ucode: OID.ucodeSpl }[k]!),
  ]);
  const tcbOk = tcbComponents(reportedTcb).every(([k, v], i) => certTcb[i]![0] === k && certTcb[i]![1] === v);
  checks.add('snp.endorsement.tcb', tcbOk, `REPORTED_TCB ${tcbComponents(reportedTcb).map(([k, v]) => `${k}=${v}`).join(' ')}`, `${role.toUpperCase()} extensions ${certTcb.map(([k, v]) => `${k}=${v ?? 'absent'}`).join(' ')}`);

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
  checks.add('snp.crl.validity', current, `thisUpdate ≤ t ≤ nextUpdate`, `t = ${iso(input.atMs)}, CRL ${iso(crl.crl.thisUpdate)} … ${crl.crl.nextUpdate ? iso(crl.crl.nextUpdate) : 'open'}`);
  const revoked = certs.filter((c): c is Candidate => !!c && crl.crl.revokedSerials.has(c.cert.serialHex));
  checks.add('snp.crl', revoked.length === 0, 'no certificate in the chain revoked', revoked.length ? `revoked: ${revoked.map((c) => `${c.cert.subjectCn} serial ${c.cert.serialHex}`).join(', ')}` : 'none revoked');
}
