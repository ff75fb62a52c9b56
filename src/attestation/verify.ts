// verifyEvidence: deterministic (evidence, policy, collateral, trust, time) → Verdict. Bad evidence never throws.
import { asBuffer, bytesEqual, digest, errorMessage, hexOfParts, sha256Hex, toHex, u64Hex } from './bytes';
import { checkReportDataBinding, describeBinding, expectationFrom } from './binding';
import { type DecodedEvidence, EvidenceFormatError, decodeEvidence } from './evidence';
import { type VerifyInput, timeOf } from './input';
import { evaluateSnpPolicy } from './policy/snp';
import { evaluateTdxPolicy } from './policy/tdx';
import { parsePolicy } from './policy/parse';
import { type AttestationPolicy, type SnpPolicy } from './policy/types';
import { crlsFrom } from './snp/crl';
import { type SourcedCert, verifyEndorsement } from './snp/endorsement';
import { type SnpReport, parseSnpReport, tcbComponents } from './snp/report';
import { tdxMeasurements, verifyTdxQuote } from './tdx/verify';
import { evaluatePcrPolicy, verifyVtpmQuotes } from './tpm/verify';
import { resolveTrust } from './trust';
import { type CertInfo, CheckList, type EvidenceFormat, type Platform, type Verdict } from './verdict';
import { certificateBundle } from './x509';

interface Outcome {
  platform: Platform;
  formatChain: EvidenceFormat[];
  keyChain: CertInfo[];
  measurements: Record<string, string>;
  tcb: Verdict['tcb'];
  hardwareRoot: string[];
  reportData?: Buffer;
  bindingProven?: boolean;
  inner: string[];
}

const EMPTY_SNP_POLICY: SnpPolicy = { kind: 'snp', rootOfTrust: { checkCrl: false, disallowNetwork: false, cabundles: [] } };

/** A policy without any SNP field (e.g. "{}") constrains nothing platform-specific, so it suits TDX evidence too. */
function isNeutral(p: AttestationPolicy): boolean {
  if (p.kind !== 'snp') return false;
  const { kind: _k, rootOfTrust, ...fields } = p;
  return Object.values(fields).every((v) => v === undefined) && !rootOfTrust.productLine && !rootOfTrust.checkCrl && rootOfTrust.cabundles.length === 0;
}

function snpMeasurements(r: SnpReport): Record<string, string> {
  // indexed, not destructured: array destructuring runs the iterator protocol until the optimizing compiler takes over
  const hex = hexOfParts([
    r.measurement,
    r.hostData,
    r.reportData,
    r.chipId,
    r.familyId,
    r.imageId,
    r.idKeyDigest,
    r.authorKeyDigest,
    r.reportId,
    r.reportIdMa,
  ]);
  return {
    measurement: hex[0]!,
    host_data: hex[1]!,
    report_data: hex[2]!,
    chip_id: hex[3]!,
    family_id: hex[4]!,
    image_id: hex[5]!,
    id_key_digest: hex[6]!,
    author_key_digest: hex[7]!,
    report_id: hex[8]!,
    report_id_ma: hex[9]!,
    guest_policy: u64Hex(r.policy),
    vmpl: String(r.vmpl),
    guest_svn: String(r.guestSvn),
    platform_info: u64Hex(r.platformInfo),
    reported_tcb: u64Hex(r.reportedTcb),
    current_tcb: u64Hex(r.currentTcb),
    committed_tcb: u64Hex(r.committedTcb),
    launch_tcb: u64Hex(r.launchTcb),
    firmware: `${r.current.major}.${r.current.minor}.${r.current.build}`,
    report_version: String(r.version),
  };
}

function verifySnp(decoded: DecodedEvidence, input: VerifyInput, policy: AttestationPolicy | undefined, checks: CheckList, atMs: number, atIso: string, out: Outcome): void {
  const snp = decoded.snp!;
  let report: SnpReport;
  try {
    report = parseSnpReport(snp.report);
  } catch (err) {
    checks.fail('snp.report.parse', 'an SEV-SNP report v2-v5', errorMessage(err));
    return;
  }
  checks.add('snp.report.parse', true, 'an SEV-SNP report v2-v5', `version ${report.version}`);
  out.reportData = report.reportData;
  out.measurements = snpMeasurements(report);

  const snpPolicy = policy?.kind === 'snp' ? policy : EMPTY_SNP_POLICY;
  // candidates in order: the evidence's own, the collateral's, the policy's CA bundles (plain loops: this runs per report)
  const certs: SourcedCert[] = snp.certs.slice();
  const addBundles = (bundles: ReadonlyArray<string | Uint8Array>, source: string): void => {
    for (const b of bundles) for (const parsed of certificateBundle(b)) certs.push({ der: parsed.der, source, parsed });
  };
  addBundles(input.collateral?.certificates ?? [], 'collateral');
  addBundles(snpPolicy.rootOfTrust.cabundles, 'policy:cabundles');
  const crls: SourcedCert[] = snp.crls.slice();
  for (const c of input.collateral?.crls ?? []) for (const der of crlsFrom(c)) crls.push({ der, source: 'collateral' });
  const endorsement = verifyEndorsement(
    {
      report,
      certs,
      crls,
      trust: resolveTrust(input.trust),
      productLineHint: snpPolicy.rootOfTrust.productLine ?? (snpPolicy.product !== 'Unknown' ? snpPolicy.product : undefined),
      checkCrl: snpPolicy.rootOfTrust.checkCrl,
      atMs,
      atIso,
    },
    checks,
  );
  out.keyChain = endorsement.keyChain;
  out.hardwareRoot = ['snp.signature', 'snp.chain.root_trusted'];
  out.tcb = {
    status: 'NotEvaluated',
    advisories: [],
    reported: Object.fromEntries(tcbComponents(endorsement.reportedTcb).map((c) => [c[0], String(c[1])])),
  };
  if (endorsement.productLine) out.measurements.product_line = endorsement.productLine;

  evaluateSnpPolicy(report, snpPolicy, endorsement.productLine, checks);
  if (snpPolicy.minimumTcb !== undefined) out.tcb.status = checks.passed('snp.policy.minimum_tcb') ? 'MeetsPolicyMinimum' : 'BelowPolicyMinimum';

  if (decoded.hcl) {
    // Azure: REPORT_DATA[0:n] = hash of the runtime claims, which carry the vTPM AK (HCLAkPub)
    const alg = decoded.hcl.hashAlgorithm;
    const claimsDigest = alg ? digest(alg, decoded.hcl.runtimeData) : undefined;
    const digestHex = claimsDigest && toHex(claimsDigest);
    const ok = !!claimsDigest && bytesEqual(report.reportData.subarray(0, claimsDigest.length), claimsDigest);
    checks.add('azure.hcl.runtime_data', ok, claimsDigest ? `REPORT_DATA[0:${claimsDigest.length}] = ${alg}(runtime claims) ${digestHex}` : 'a supported hash type', toHex(report.reportData.subarray(0, claimsDigest?.length ?? 32)));
    out.inner.push(ok ? 'azure-hcl-runtime-data' : 'azure-hcl-runtime-data (NOT proven)');
    out.measurements.hcl_runtime_data_sha256 = alg === 'sha256' ? digestHex! : sha256Hex(decoded.hcl.runtimeData);
  }
}

function verifyVtpmPart(decoded: DecodedEvidence, policy: AttestationPolicy | undefined, checks: CheckList, out: Outcome, exp: ReturnType<typeof expectationFrom>): void {
  const v = decoded.vtpm!;
  const vt = verifyVtpmQuotes(v, checks, exp.vtpmNonce);
  for (const [bank, pcrs] of vt.pcrs) for (const [i, value] of pcrs) out.measurements[`pcr.${bank}.${i}`] = toHex(value);
  if (!decoded.snp) {
    checks.fail('vtpm.tee_report', v.hasTdx ? 'an SEV-SNP report (embedded TDX quote protos are not supported)' : 'an SEV-SNP or TDX report bound to the AK', v.hasTdx ? 'tdx_attestation proto present' : 'none: a bare vTPM quote has no hardware root of trust');
  }
  // The AK is only trustworthy if REPORT_DATA commits to it: SHA3-512(teeNonce ‖ ak_pub)
  let akBound = false;
  if (decoded.snp && out.reportData && exp.teeNonce) {
    akBound = checkReportDataBinding(exp, out.reportData, v.akPub, checks) === true;
    out.bindingProven = akBound;
    if (akBound) out.inner.push('vtpm-ak');
  }
  const pcrPolicy = policy?.kind === 'snp' ? policy.pcrValues : undefined;
  if (pcrPolicy) {
    if (decoded.snp && !exp.teeNonce) checks.fail('vtpm.ak_binding', 'REPORT_DATA = SHA3-512(teeNonce ‖ ak_pub)', 'cannot check: no nonce or agent certificate given, so the vTPM PCRs are not bound to the TEE');
    evaluatePcrPolicy(pcrPolicy, vt.pcrs, checks);
  }
}

export function verifyEvidence(input: VerifyInput): Verdict {
  const atMs = timeOf(input.at);
  const evidence = asBuffer(input.evidence);
  const checks = new CheckList();
  const exp = expectationFrom(input.binding);
  const verifiedAt = new Date(atMs).toISOString();
  const policyText = input.policy === undefined ? undefined : typeof input.policy === 'string' ? input.policy : Buffer.from(input.policy).toString('utf8');

  let policy: AttestationPolicy | undefined;
  if (policyText !== undefined) {
    try {
      policy = parsePolicy(policyText);
      checks.add('policy.parse', true, 'a Cocos/go-sev-guest or go-tdx-guest policy', policy.kind === 'snp' ? 'SEV-SNP policy' : 'TDX policy');
    } catch (err) {
      checks.fail('policy.parse', 'a Cocos/go-sev-guest or go-tdx-guest policy', errorMessage(err));
    }
  }

  const out: Outcome = { platform: 'unknown', formatChain: [], keyChain: [], measurements: {}, tcb: { status: 'Unknown', advisories: [], reported: {} }, hardwareRoot: [], inner: [] };
  let decoded: DecodedEvidence | undefined;
  try {
    decoded = decodeEvidence(evidence);
    out.formatChain = decoded.formatChain;
    out.platform = decoded.platform;
    checks.add('evidence.format', true, 'a supported evidence format', decoded.formatChain.join(' → '));
  } catch (err) {
    out.formatChain = err instanceof EvidenceFormatError ? err.formatChain : ['unknown'];
    checks.unable('evidence.format', 'raw SEV-SNP report, Azure HCL report, vTPM attestation, TDX quote v4/v5 or EAT token', errorMessage(err));
  }

  if (decoded) {
    const policyPlatform = !policy || isNeutral(policy) ? undefined : policy.kind === 'snp' ? 'sev-snp' : 'tdx';
    if (policyPlatform && decoded.platform !== 'vtpm' && policyPlatform !== decoded.platform) {
      checks.fail('policy.platform', `evidence for a ${policyPlatform} policy`, `${decoded.platform} evidence`);
    }
    if (decoded.snp) verifySnp(decoded, input, policy, checks, atMs, verifiedAt, out);
    if (decoded.tdxQuote) {
      const trust = resolveTrust(input.trust);
      const tdx = verifyTdxQuote(
        { quote: decoded.tdxQuote, collateral: input.collateral?.tdx, atMs, intelRootCaDer: trust.intelRootCaDer, acceptedTcbStatuses: trust.acceptedTdxTcbStatuses, sandboxRoots: trust.extraArks, ignoredSandboxRoots: trust.ignoredExtraArks },
        checks,
      );
      out.keyChain = tdx.keyChain;
      out.hardwareRoot = ['tdx.dcap'];
      out.tcb = { status: tdx.tcbStatus, advisories: tdx.advisories, reported: tdx.quote ? { tee_tcb_svn: toHex(tdx.quote.td.teeTcbSvn) } : {} };
      if (tdx.quote) {
        out.measurements = tdxMeasurements(tdx.quote);
        out.reportData = Buffer.from(tdx.quote.td.reportData);
        if (policy?.kind === 'tdx') evaluateTdxPolicy(tdx.quote, policy, checks);
      }
    }
    if (decoded.vtpm) verifyVtpmPart(decoded, policy, checks, out, exp);
    else if (policy?.kind === 'snp' && policy.pcrValues) evaluatePcrPolicy(policy.pcrValues, undefined, checks, 'pcr_values apply only to evidence with a vTPM quote');
    if (decoded.eat) {
      checks.skip('eat.signature', 'the EAT signing key is ephemeral (no root of trust): the embedded raw_report is verified instead');
      if (decoded.eat.nonce) out.measurements.eat_nonce = toHex(decoded.eat.nonce);
    }
    if (out.reportData && !decoded.vtpm && out.bindingProven === undefined) {
      if (decoded.hcl && exp.kind === 'certificate') checks.skip('binding.report_data', 'Azure binds the agent certificate through the MAA token, not the HCL report');
      else out.bindingProven = checkReportDataBinding(exp, out.reportData, undefined, checks);
    }
  }

  const failures = checks.failures();
  const hardwareOk = out.hardwareRoot.length > 0 && out.hardwareRoot.every((n) => checks.passed(n));
  const verified = failures.length === 0 && hardwareOk;
  const result = checks.result(out.hardwareRoot);
  const policyPins = policy?.kind === 'snp' ? !!policy.reportData : policy?.kind === 'tdx' ? !!policy.body.reportData : false;
  const binding = describeBinding(exp, out.bindingProven, policyPins && failures.every((f) => !f.endsWith('report_data')), out.inner);
  const counted = checks.items.filter((c) => c.result !== 'skip').length;
  const format = out.formatChain.find((f) => f !== 'base64') ?? 'unknown';
  const summary = verified
    ? `verified: ${out.platform} ${out.formatChain.join(' → ')}, ${counted} checks passed; binding: ${binding.kind}${binding.fresh ? ' (fresh)' : ''}`
    : `NOT verified${result === 'undetermined' ? ' (undetermined)' : ''}: ${failures.length ? `${failures.length} of ${counted} checks failed (${failures.join(', ')})` : 'no hardware root of trust was checked'}`;

  return {
    verified,
    result,
    platform: out.platform,
    format,
    formatChain: out.formatChain,
    verifiedAt,
    evidenceSha256: sha256Hex(evidence),
    policySha256: policyText === undefined ? null : sha256Hex(Buffer.from(policyText, 'utf8')),
    keyChain: out.keyChain,
    checks: checks.items,
    failures,
    measurements: out.measurements,
    tcb: out.tcb,
    binding,
    summary,
  };
}
