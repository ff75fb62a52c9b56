// TDX quote v4/v5: signature, PCK chain, QE identity and TCB via @phala/dcap-qvl (offline, explicit time), plus our own checks.
import { type Collateral, Quote, QuoteVerifier, type TDReport10, constants as dcapConstants } from '@phala/dcap-qvl';
import { errorMessage, toHex } from '../bytes';
import type { CertInfo, CheckList } from '../verdict';
import { certificatesFrom, parseCertificate } from '../x509';

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
}

export function verifyTdxQuote(input: TdxVerifyInput, checks: CheckList): TdxResult {
  let view: TdxQuoteView | undefined;
  try {
    view = parseTdxQuote(input.quote);
  } catch (err) {
    checks.fail('tdx.quote.parse', 'a TDX quote v4 or v5', errorMessage(err));
    return { tcbStatus: 'Unknown', advisories: [], keyChain: [] };
  }
  checks.add('tdx.quote.version', view.version === 4 || view.version === 5, '4 or 5', String(view.version));
  const keyChain = pckChain(input.quote, input.collateral);

  let tcbStatus = 'Unknown';
  let advisories: string[] = [];
  if (!input.collateral) {
    checks.fail('tdx.dcap', 'quote verified against Intel collateral (TCB info, QE identity, CRLs)', 'no TDX collateral supplied');
  } else {
    try {
      const verifier = input.intelRootCaDer ? QuoteVerifier.newWithRootCa(input.intelRootCaDer) : QuoteVerifier.newProd();
      // dcap-qvl takes whole seconds; the verification time is an input, never the clock
      const result = verifier.verify(input.quote, input.collateral, Math.floor(input.atMs / 1000));
      tcbStatus = result.status;
      advisories = [...result.advisory_ids];
      checks.add('tdx.dcap', true, 'quote signature, QE report, PCK chain to the Intel root, collateral windows, CRLs', 'verified');
    } catch (err) {
      checks.fail('tdx.dcap', 'quote signature, QE report, PCK chain to the Intel root, collateral windows, CRLs', errorMessage(err));
    }
  }
  checks.add('tdx.tcb_status', input.acceptedTcbStatuses.includes(tcbStatus), input.acceptedTcbStatuses.join(' | '), advisories.length ? `${tcbStatus} (${advisories.join(', ')})` : tcbStatus);

  const debug = (view.td.tdAttributes[0]! & 0x01) !== 0;
  checks.add('tdx.td_attributes.debug', !debug, 'TUD.DEBUG clear', debug ? `debug TD (td_attributes ${toHex(view.td.tdAttributes)})` : 'clear');
  if (view.mrServiceTd) checks.add('tdx.mr_service_td', view.mrServiceTd.every((b) => b === 0), 'all zero (no service TD binding supported)', toHex(view.mrServiceTd));
  return { quote: view, tcbStatus, advisories, keyChain };
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
