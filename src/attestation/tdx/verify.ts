// TDX quote v4/v5: signature, PCK chain, QE identity and TCB via @phala/dcap-qvl (offline, explicit time), plus our own checks.
import { type Collateral, Quote, QuoteVerifier, type TDReport10, constants as dcapConstants } from '@phala/dcap-qvl';
import { errorMessage, toHex } from '../bytes';
import type { CertInfo, CheckList } from '../verdict';
import { type ParsedCert, certificatesFrom, isSelfSigned, parseCertificate } from '../x509';

export type DcapCollateral = Collateral & { pck_certificate_chain?: string };

export interface TdxQuoteView {
  version: number;
  bodyType: 'td10' | 'td15';
  header: { qeSvn: number; pceSvn: number; qeVendorId: Buffer };
  td: TDReport10;
  mrServiceTd?: Buffer;
  teeTcbSvn2?: Buffer;
}

export interface TdxResult {
  quote?: TdxQuoteView;
  tcbStatus: string;
  advisories: string[];
  keyChain: CertInfo[];
  /** What DCAP said: verified, rejected (a signature, chain or TCB said no), or unavailable (no usable collateral). */
  dcap: 'verified' | 'rejected' | 'unavailable';
  /** The root the PCK chain was checked against. */
  root: 'intel' | 'configured' | 'sandbox';
}

/**
 * dcap-qvl errors that mean "the collateral cannot be used at this time" rather than "this quote is bad": the
 * windows of TCB info, QE identity and certificates, and collateral that does not parse or belongs to another
 * platform. With current collateral for the quote's FMSPC the same quote may well verify.
 */
const COLLATERAL_UNUSABLE = [/expired/i, /not yet valid/i, /issue date is in the future/i, /Failed to decode (TcbInfo|QeIdentity)/i, /Fmspc mismatch/i, /chain is too short for (TCB Info|QE Identity)/i];

export function isCollateralProblem(message: string): boolean {
  return COLLATERAL_UNUSABLE.some((re) => re.test(message));
}

export function parseTdxQuote(bytes: Buffer): TdxQuoteView {
  const q = Quote.parse(bytes);
  if (q.header.teeType !== dcapConstants.TEE_TYPE_TDX) throw new Error(`not a TDX quote (TEE type 0x${q.header.teeType.toString(16)})`);
  const td15 = q.report.asTd15();
  const td = q.report.asTd10() ?? td15?.base;
  if (!td) throw new Error('quote body is not a TD report');
  return {
    version: q.header.version,
    bodyType: td15 ? 'td15' : 'td10',
    header: { qeSvn: q.header.qeSvn, pceSvn: q.header.pceSvn, qeVendorId: Buffer.from(q.header.qeVendorId) },
    td,
    mrServiceTd: td15 ? Buffer.from(td15.mrServiceTd) : undefined,
    teeTcbSvn2: td15 ? Buffer.from(td15.teeTcbSvn2) : undefined,
  };
}

function pckChain(bytes: Buffer, collateral: DcapCollateral | undefined): CertInfo[] {
  try {
    const pem = collateral?.pck_certificate_chain ?? Buffer.from(Quote.parse(bytes).authData.intoV3().certificationData.body).toString('latin1');
    const roles = ['pck', 'pck-ca', 'intel-root'];
    return certificatesFrom(pem).map((der, i) => {
      const c = parseCertificate(der);
      return {
        role: roles[i] ?? `ca-${i}`,
        subject: c.subject,
        issuer: c.issuer,
        serial: c.serialHex,
        sha256: c.sha256,
        spkiSha256: c.spkiSha256,
        notBefore: new Date(c.notBefore).toISOString(),
        notAfter: new Date(c.notAfter).toISOString(),
        source: collateral?.pck_certificate_chain ? 'collateral' : 'evidence',
      };
    });
  } catch {
    return [];
  }
}

export interface TdxVerifyInput {
  quote: Buffer;
  collateral?: DcapCollateral;
  atMs: number;
  intelRootCaDer?: Buffer;
  acceptedTcbStatuses: string[];
  /** Sandbox roots trusted explicitly (allowSandbox); a PCK chain ending at one of them is checked against it. */
  sandboxRoots?: ParsedCert[];
  /** Sandbox roots supplied without allowSandbox: named in the failing check when the chain ends at one. */
  ignoredSandboxRoots?: ParsedCert[];
}

/** The self-signed certificate the quote's PCK chain (evidence or collateral) ends with, if any. */
export function chainTop(bytes: Buffer, collateral: DcapCollateral | undefined): ParsedCert | undefined {
  try {
    const pem = collateral?.pck_certificate_chain ?? Buffer.from(Quote.parse(bytes).authData.intoV3().certificationData.body).toString('latin1');
    const certs = certificatesFrom(pem).map(parseCertificate);
    const top = certs[certs.length - 1];
    return top && isSelfSigned(top) ? top : undefined;
  } catch {
    return undefined;
  }
}

/** Which root DCAP checks the chain against: a trusted sandbox root when the chain ends at one, else Intel's. */
function pickRoot(input: TdxVerifyInput, checks: CheckList): { der?: Buffer; kind: TdxResult['root']; refused?: boolean } {
  const expected = 'the Intel SGX Root CA, or a sandbox root trusted explicitly';
  const top = chainTop(input.quote, input.collateral);
  const same = (c: ParsedCert) => !!top && c.sha256 === top.sha256;
  const sandbox = (input.sandboxRoots ?? []).find(same);
  if (sandbox) {
    checks.add('tdx.chain.root', true, expected, `${sandbox.subjectCn} (sandbox root, trusted explicitly; NOT Intel)`);
    return { der: sandbox.der, kind: 'sandbox' };
  }
  const ignored = (input.ignoredSandboxRoots ?? []).find(same);
  if (ignored) {
    checks.fail('tdx.chain.root', expected, `${ignored.subjectCn} is a sandbox root and sandbox roots are not trusted here`, 'trust it only for a sandbox this worker runs, or with CVMFLOW_TRUST_SANDBOX_ROOT_FILE / --trust-sandbox-root');
    return { kind: 'sandbox', refused: true };
  }
  const root = input.intelRootCaDer ?? dcapConstants.TRUSTED_ROOT_CA_DER;
  // A chain that names its own self-signed root other than ours is refused here, with the root named
  if (top && !top.der.equals(root)) {
    checks.fail('tdx.chain.root', expected, `the chain ends at ${top.subjectCn || top.subject} (SPKI sha256 ${top.spkiSha256.slice(0, 16)}…), not a trusted root`);
    return { kind: input.intelRootCaDer ? 'configured' : 'intel', refused: true };
  }
  return input.intelRootCaDer ? { der: input.intelRootCaDer, kind: 'configured' } : { kind: 'intel' };
}

export function verifyTdxQuote(input: TdxVerifyInput, checks: CheckList): TdxResult {
  let view: TdxQuoteView | undefined;
  try {
    view = parseTdxQuote(input.quote);
  } catch (err) {
    checks.fail('tdx.quote.parse', 'a TDX quote v4 or v5', errorMessage(err));
    return { tcbStatus: 'Unknown', advisories: [], keyChain: [], dcap: 'rejected', root: 'intel' };
  }
  checks.add('tdx.quote.version', view.version === 4 || view.version === 5, '4 or 5', String(view.version));
  const root = pickRoot(input, checks);
  const keyChain = pckChain(input.quote, input.collateral).map((c) => (c.role === 'intel-root' && root.kind === 'sandbox' ? { ...c, role: 'sandbox-root' } : c));

  let tcbStatus = 'Unknown';
  let advisories: string[] = [];
  let dcap: TdxResult['dcap'] = 'rejected';
  const what = `quote signature, QE report, PCK chain to the ${root.kind === 'sandbox' ? 'sandbox' : 'Intel'} root, collateral windows, CRLs`;
  if (root.refused) {
    checks.skip('tdx.dcap', 'the PCK chain does not end at a trusted root');
  } else if (!input.collateral) {
    checks.unable('tdx.dcap', what, 'no TDX collateral supplied', 'fetch it for the quote\'s FMSPC (CVMFLOW_COLLATERAL_DIR, CVMFLOW_COLLATERAL_FETCH=true)');
    dcap = 'unavailable';
  } else {
    try {
      const verifier = root.der ? QuoteVerifier.newWithRootCa(root.der) : QuoteVerifier.newProd();
      // dcap-qvl takes whole seconds; the verification time is an input, never the clock
      const result = verifier.verify(input.quote, input.collateral, Math.floor(input.atMs / 1000));
      tcbStatus = result.status;
      advisories = [...result.advisory_ids];
      checks.add('tdx.dcap', true, what, 'verified');
      dcap = 'verified';
    } catch (err) {
      const message = errorMessage(err);
      if (isCollateralProblem(message)) {
        checks.unable('tdx.dcap', what, message, `no collateral usable at ${new Date(input.atMs).toISOString()}: fetch current collateral for this FMSPC`);
        dcap = 'unavailable';
      } else checks.fail('tdx.dcap', what, message);
    }
  }
  const tcbExpected = input.acceptedTcbStatuses.join(' | ');
  const tcbActual = advisories.length ? `${tcbStatus} (${advisories.join(', ')})` : tcbStatus;
  if (root.refused) checks.skip('tdx.tcb_status', 'DCAP did not run');
  else if (dcap === 'unavailable') checks.unable('tdx.tcb_status', tcbExpected, tcbActual, 'needs usable collateral');
  else checks.add('tdx.tcb_status', input.acceptedTcbStatuses.includes(tcbStatus), tcbExpected, tcbActual);

  const debug = (view.td.tdAttributes[0]! & 0x01) !== 0;
  checks.add('tdx.td_attributes.debug', !debug, 'TUD.DEBUG clear', debug ? `debug TD (td_attributes ${toHex(view.td.tdAttributes)})` : 'clear');
  if (view.mrServiceTd) checks.add('tdx.mr_service_td', view.mrServiceTd.every((b) => b === 0), 'all zero (no service TD binding supported)', toHex(view.mrServiceTd));
  return { quote: view, tcbStatus, advisories, keyChain, dcap, root: root.kind };
}

export function tdxMeasurements(view: TdxQuoteView): Record<string, string> {
  const t = view.td;
  const hex = (b: Uint8Array): string => toHex(b);
  return {
    mr_td: hex(t.mrTd),
    rtmr0: hex(t.rtMr0),
    rtmr1: hex(t.rtMr1),
    rtmr2: hex(t.rtMr2),
    rtmr3: hex(t.rtMr3),
    mr_seam: hex(t.mrSeam),
    mr_signer_seam: hex(t.mrSignerSeam),
    mr_config_id: hex(t.mrConfigId),
    mr_owner: hex(t.mrOwner),
    mr_owner_config: hex(t.mrOwnerConfig),
    td_attributes: hex(t.tdAttributes),
    xfam: hex(t.xfam),
    tee_tcb_svn: hex(t.teeTcbSvn),
    report_data: hex(t.reportData),
  };
}
