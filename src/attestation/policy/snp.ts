// Evaluate a go-sev-guest style policy against a parsed SNP report, one named check per policy field.
import { createHash } from 'node:crypto';
import { bytesEqual, isAllZero, toHex, u64Hex } from '../bytes';
import { type SnpReport, type TcbParts, decodeTcb, formatTcb, tcbComponents } from '../snp/report';
import type { CheckList } from '../verdict';
import type { ProductLine, SnpPolicy } from './types';

/** Guest policy bits (SNP ABI): "allow" bits may not be set unless the policy sets them; "require" bits must be set if it does. */
const ALLOW_BITS: Array<[string, number]> = [
  ['smt', 16],
  ['migrate_ma', 18],
  ['debug', 19],
  ['cxl_allow', 21],
];
const REQUIRE_BITS: Array<[string, number]> = [
  ['single_socket', 20],
  ['mem_aes_256_xts', 22],
  ['rapl_dis', 23],
  ['ciphertext_hiding', 24],
  ['page_swap_disable', 25],
];

const bit = (v: bigint, n: number): boolean => ((v >> BigInt(n)) & 1n) === 1n;

function tcbAtLeast(actual: TcbParts, minimum: TcbParts): boolean {
  return tcbComponents(actual).every((c) => c[1] >= (minimum[c[0] as keyof TcbParts] ?? 0));
}

function exact(checks: CheckList, name: string, expected: Buffer | undefined, actual: Buffer): void {
  if (expected) checks.add(name, bytesEqual(expected, actual), toHex(expected), toHex(actual));
}

export function evaluateSnpPolicy(report: SnpReport, policy: SnpPolicy, productLine: ProductLine | undefined, checks: CheckList): void {
  const p = policy;
  if (p.vmpl !== undefined) checks.add('snp.policy.vmpl', report.vmpl === p.vmpl, String(p.vmpl), String(report.vmpl));
  if (p.minimumGuestSvn !== undefined) checks.add('snp.policy.minimum_guest_svn', report.guestSvn >= p.minimumGuestSvn, `≥ ${p.minimumGuestSvn}`, String(report.guestSvn));

  if (p.policy === undefined) {
    // No guest policy to compare with: still never accept a debug guest (its memory is readable by the host)
    const debug = bit(report.policy, 19);
    checks.add('snp.policy.debug', !debug, 'not set', debug ? 'set' : 'not set', debug ? `guest policy ${u64Hex(report.policy)} sets DEBUG (bit 19)` : undefined);
  } else {
    const required = p.policy;
    const abi = (v: bigint): [number, number] => [Number((v >> 8n) & 0xffn), Number(v & 0xffn)];
    const [reqMajor, reqMinor] = abi(required);
    const [repMajor, repMinor] = abi(report.policy);
    checks.add('snp.policy.abi_version', repMajor > reqMajor || (repMajor === reqMajor && repMinor >= reqMinor), `≥ ${reqMajor}.${reqMinor}`, `${repMajor}.${repMinor}`);
    for (const [name, n] of ALLOW_BITS) {
      const ok = !bit(report.policy, n) || bit(required, n);
      checks.add(`snp.policy.${name}`, ok, bit(required, n) ? 'allowed' : 'not set', bit(report.policy, n) ? 'set' : 'not set', ok ? undefined : `guest policy ${u64Hex(report.policy)} sets ${name.toUpperCase()} (bit ${n}) which the policy ${u64Hex(required)} does not allow`);
    }
    for (const [name, n] of REQUIRE_BITS) {
      if (bit(required, n)) checks.add(`snp.policy.${name}`, bit(report.policy, n), 'set', bit(report.policy, n) ? 'set' : 'not set');
    }
  }

  exact(checks, 'snp.policy.report_data', p.reportData, report.reportData);
  exact(checks, 'snp.policy.host_data', p.hostData, report.hostData);
  exact(checks, 'snp.policy.measurement', p.measurement, report.measurement);
  exact(checks, 'snp.policy.family_id', p.familyId, report.familyId);
  exact(checks, 'snp.policy.image_id', p.imageId, report.imageId);
  exact(checks, 'snp.policy.report_id', p.reportId, report.reportId);
  exact(checks, 'snp.policy.report_id_ma', p.reportIdMa, report.reportIdMa);
  exact(checks, 'snp.policy.chip_id', p.chipId, report.chipId);

  // TCB values are compared per component, never as one uint64
  const reported = decodeTcb(report.reportedTcb, productLine);
  const current = decodeTcb(report.currentTcb, productLine);
  checks.add('snp.tcb.reported_not_above_current', tcbAtLeast(current, reported), `REPORTED_TCB ≤ CURRENT_TCB ${formatTcb(current)}`, formatTcb(reported));
  if (p.minimumTcb !== undefined) {
    const min = decodeTcb(p.minimumTcb, productLine);
    checks.add('snp.policy.minimum_tcb', tcbAtLeast(reported, min), `≥ ${formatTcb(min)} (${p.minimumTcb})`, `${formatTcb(reported)} (${report.reportedTcb})`);
  }
  if (p.minimumLaunchTcb !== undefined) {
    const min = decodeTcb(p.minimumLaunchTcb, productLine);
    const launch = decodeTcb(report.launchTcb, productLine);
    checks.add('snp.policy.minimum_launch_tcb', tcbAtLeast(launch, min), `≥ ${formatTcb(min)} (${p.minimumLaunchTcb})`, `${formatTcb(launch)} (${report.launchTcb})`);
  }
  if (p.permitProvisionalFirmware === false) {
    const committed = decodeTcb(report.committedTcb, productLine);
    const same = report.committedTcb === report.currentTcb && report.committed.build === report.current.build && report.committed.major === report.current.major && report.committed.minor === report.current.minor;
    checks.add('snp.policy.permit_provisional_firmware', same, 'committed firmware = current firmware', `committed ${formatTcb(committed)} ${report.committed.major}.${report.committed.minor}.${report.committed.build}, current ${formatTcb(current)} ${report.current.major}.${report.current.minor}.${report.current.build}`);
  }
  if (p.minimumBuild !== undefined) checks.add('snp.policy.minimum_build', report.current.build >= p.minimumBuild, `≥ ${p.minimumBuild}`, String(report.current.build));
  if (p.minimumVersion) {
    const { major, minor } = p.minimumVersion;
    const ok = report.current.major > major || (report.current.major === major && report.current.minor >= minor);
    checks.add('snp.policy.minimum_version', ok, `≥ ${major}.${minor}`, `${report.current.major}.${report.current.minor}`);
  }
  if (p.platformInfo !== undefined) {
    const extra = report.platformInfo & ~p.platformInfo;
    checks.add('snp.policy.platform_info', extra === 0n, `bits within ${u64Hex(p.platformInfo)}`, u64Hex(report.platformInfo));
  }
  if (p.requireAuthorKey) checks.add('snp.policy.require_author_key', report.authorKeyEn, 'AUTHOR_KEY_EN set', report.authorKeyEn ? 'set' : 'not set');
  if (p.requireIdBlock) checks.add('snp.policy.require_id_block', !isAllZero(report.idKeyDigest), 'non-zero ID_KEY_DIGEST', toHex(report.idKeyDigest));
  idKeyCheck(checks, 'snp.policy.trusted_id_keys', p.trustedIdKeys, p.trustedIdKeyHashes, report.idKeyDigest);
  if (report.authorKeyEn) idKeyCheck(checks, 'snp.policy.trusted_author_keys', p.trustedAuthorKeys, p.trustedAuthorKeyHashes, report.authorKeyDigest);
  if (p.product && p.product !== 'Unknown' && productLine) checks.add('snp.policy.product', p.product === productLine, p.product, productLine);
}

/** ID/author key pinning: the report's digest (SHA-384 of the key) must be one of the trusted keys or hashes. */
function idKeyCheck(checks: CheckList, name: string, keys: Buffer[] | undefined, hashes: Buffer[] | undefined, digest: Buffer): void {
  const allowed = [...(hashes ?? []), ...(keys ?? []).map((k) => createHash('sha384').update(k).digest())];
  if (allowed.length === 0) return;
  checks.add(name, allowed.some((h) => bytesEqual(h, digest)), `one of ${allowed.map((h) => toHex(h).slice(0, 16) + '…').join(', ')}`, toHex(digest));
}
