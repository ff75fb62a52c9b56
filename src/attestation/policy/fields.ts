// The keys of the attestation policy JSON that cvmflow reads: go-sev-guest's check.Config with Cocos' pcr_values
// (SEV-SNP), or go-tdx-guest's checkconfig.Config (TDX), each in protojson snake_case or camelCase. A policy someone
// pins is checked against this tree before it is used: a misspelt key would otherwise be skipped and the check it
// names never made. Pure: the contract's input schemas use it as well as the parser.
import { closestField } from '../../common/closest-field';

/** `true`: a field the verifier checks; a tree: its sub-fields; `'not-checked'`: a block cvmflow knows and does not check. */
type FieldTree = { readonly [key: string]: FieldTree | true | 'not-checked' };

const SNP_POLICY: FieldTree = Object.fromEntries(
  [
    'minimum_guest_svn', 'policy', 'family_id', 'image_id', 'vmpl', 'minimum_tcb', 'minimum_launch_tcb', 'platform_info',
    'require_author_key', 'require_id_block', 'report_data', 'measurement', 'host_data', 'report_id', 'report_id_ma', 'chip_id',
    'minimum_build', 'minimum_version', 'permit_provisional_firmware', 'trusted_author_keys', 'trusted_author_key_hashes',
    'trusted_id_keys', 'trusted_id_key_hashes', 'product',
  ].map((k) => [k, true]),
);

const TDX_POLICY: FieldTree = {
  header_policy: { minimum_qe_svn: true, minimum_pce_svn: true, qe_vendor_id: true },
  td_quote_body_policy: Object.fromEntries(
    [
      ...['minimum_tee_tcb_svn', 'mr_seam', 'td_attributes', 'xfam', 'mr_td', 'mr_config_id', 'mr_owner', 'mr_owner_config', 'rtmrs', 'report_data', 'any_mr_td'].map((k) => [k, true]),
      // Cocos' 2026-03 TDX file nests these under the body; neither is a quote check (an EAT token's rules, and a
      // block of zeroed placeholders), so a pinned Cocos file is accepted as it is and they are not checked.
      ['policy', 'not-checked'],
      ['eat_validation', 'not-checked'],
    ],
  ),
};

/** Top-level trees, by platform; the parser tells them apart by `policy.header_policy`/`td_quote_body_policy`. */
export const POLICY_FIELDS = {
  snp: {
    policy: SNP_POLICY,
    root_of_trust: { product_line: true, product: true, check_crl: true, disallow_network: true, cabundles: true },
    pcr_values: { sha1: true, sha256: true, sha384: true },
  },
  tdx: {
    policy: TDX_POLICY,
    root_of_trust: { check_crl: true, get_collateral: true },
  },
} as const satisfies Record<'snp' | 'tdx', FieldTree>;

const snake = (key: string): string => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A key that is none of the policy's fields: where it is, and what to write instead. */
export interface UnknownPolicyKey {
  path: string[];
  message: string;
}

function walk(value: Record<string, unknown>, tree: FieldTree, path: string[], out: UnknownPolicyKey[]): void {
  for (const [key, child] of Object.entries(value)) {
    const known = tree[key] ?? tree[snake(key)];
    if (known === undefined) {
      const near = closestField(key, Object.keys(tree)); // ignores case, - and _: camelCase typos match too
      const hint = near ? `did you mean ${near}? ` : '';
      out.push({ path: [...path, key], message: `not a policy field (${hint}a check cvmflow does not know would be skipped, so the key is refused)` });
    } else if (typeof known === 'object' && isObject(child)) walk(child, known, [...path, key], out);
  }
}

/** The keys of a policy object that are none of its fields; empty when all are known. Values are the parser's. */
export function unknownPolicyKeys(policy: unknown): UnknownPolicyKey[] {
  if (!isObject(policy)) return [];
  const inner = policy.policy;
  const tdx = isObject(inner) && ['header_policy', 'headerPolicy', 'td_quote_body_policy', 'tdQuoteBodyPolicy'].some((k) => k in inner);
  const out: UnknownPolicyKey[] = [];
  walk(policy, POLICY_FIELDS[tdx ? 'tdx' : 'snp'], [], out);
  return out;
}
