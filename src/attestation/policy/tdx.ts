// Evaluate a go-tdx-guest checkconfig policy against a parsed TDX quote: our layer over what dcap-qvl verified.
import { bytesEqual, toHex } from '../bytes';
import type { TdxQuoteView } from '../tdx/verify';
import type { CheckList } from '../verdict';
import type { TdxPolicy } from './types';

function exact(checks: CheckList, name: string, expected: Buffer | undefined, actual: Uint8Array): void {
  if (expected) checks.add(name, bytesEqual(expected, actual), toHex(expected), toHex(actual));
}

export function evaluateTdxPolicy(view: TdxQuoteView, policy: TdxPolicy, checks: CheckList): void {
  const { header, body } = policy;
  const td = view.td;
  exact(checks, 'tdx.policy.qe_vendor_id', header.qeVendorId, view.header.qeVendorId);
  if (header.minimumQeSvn !== undefined) checks.add('tdx.policy.minimum_qe_svn', view.header.qeSvn >= header.minimumQeSvn, `≥ ${header.minimumQeSvn}`, String(view.header.qeSvn));
  if (header.minimumPceSvn !== undefined) checks.add('tdx.policy.minimum_pce_svn', view.header.pceSvn >= header.minimumPceSvn, `≥ ${header.minimumPceSvn}`, String(view.header.pceSvn));
  if (body.minimumTeeTcbSvn) {
    // TEE_TCB_SVN is 16 independent SVN bytes: compare each component
    const min = body.minimumTeeTcbSvn;
    const ok = [...min].every((m, i) => td.teeTcbSvn[i]! >= m);
    checks.add('tdx.policy.minimum_tee_tcb_svn', ok, `≥ ${toHex(min)} per byte`, toHex(td.teeTcbSvn));
  }
  exact(checks, 'tdx.policy.mr_seam', body.mrSeam, td.mrSeam);
  exact(checks, 'tdx.policy.td_attributes', body.tdAttributes, td.tdAttributes);
  exact(checks, 'tdx.policy.xfam', body.xfam, td.xfam);
  exact(checks, 'tdx.policy.mr_td', body.mrTd, td.mrTd);
  exact(checks, 'tdx.policy.mr_config_id', body.mrConfigId, td.mrConfigId);
  exact(checks, 'tdx.policy.mr_owner', body.mrOwner, td.mrOwner);
  exact(checks, 'tdx.policy.mr_owner_config', body.mrOwnerConfig, td.mrOwnerConfig);
  if (body.rtmrs) [td.rtMr0, td.rtMr1, td.rtMr2, td.rtMr3].forEach((actual, i) => exact(checks, `tdx.policy.rtmr${i}`, body.rtmrs![i], actual));
  exact(checks, 'tdx.policy.report_data', body.reportData, td.reportData);
  if (body.anyMrTd && body.anyMrTd.length > 0) {
    checks.add('tdx.policy.any_mr_td', body.anyMrTd.some((m) => bytesEqual(m, td.mrTd)), `one of ${body.anyMrTd.map((m) => toHex(m).slice(0, 16) + '…').join(', ')}`, toHex(td.mrTd));
  }
}
