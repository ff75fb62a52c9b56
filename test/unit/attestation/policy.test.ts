// Policy parsing: both protojson spellings, lossless uint64, base64 and hex bytes, unknown keys ignored, clear errors.
import { PolicyError, type SnpPolicy, type TdxPolicy, parsePolicy } from '../../../src/attestation';
import { POLICY_FIELDS, unknownPolicyKeys } from '../../../src/attestation/policy/fields';
import { JsonNumber, parseJsonLossless, rawTopLevelMember } from '../../../src/attestation/policy/json';
import { readVectorText } from './vectors';

describe('lossless JSON', () => {
  test('keeps big integers exactly and rejects malformed text', () => {
    const v = parseJsonLossless('{"a": 18446744073709551615, "b": [1, -2.5e3, "x\\u0041"], "__proto__": {"c": null}}') as Map<string, unknown>;
    expect((v.get('a') as JsonNumber).raw).toBe('18446744073709551615');
    expect((v.get('b') as unknown[])[2]).toBe('xA');
    expect(v.get('__proto__')).toBeInstanceOf(Map);
    for (const bad of ['{"a":}', '{"a":1,}', '[1 2]', '{"a":1} x', '"\u0001"', '01']) expect(() => parseJsonLossless(bad)).toThrow(/invalid JSON/);
  });

  test('returns the exact source text of a top-level member (for signed sub-documents)', () => {
    const text = '{"tcbInfo":{"id":"TDX", "v" :3},"signature":"ab"}';
    expect(rawTopLevelMember(text, 'tcbInfo')).toBe('{"id":"TDX", "v" :3}');
    expect(rawTopLevelMember(text, 'missing')).toBeUndefined();
  });
});

describe('SNP policy', () => {
  const snake = parsePolicy(readVectorText('cocos', 'attestation_policy.v0.8.2.json')) as SnpPolicy;
  const camel = parsePolicy(readVectorText('cocos', 'attestation_policy.2026-03.json')) as SnpPolicy;

  test('snake_case v0.8.2 and camelCase 2026-03 files normalise to the same policy', () => {
    expect(snake.kind).toBe('snp');
    expect(snake.minimumTcb).toBe(15352208179752599555n);
    expect(camel.minimumTcb).toBe(15352208179752599555n);
    expect(snake.policy).toBe(0x30000n);
    expect(snake.product).toBe('Milan');
    expect(camel.product).toBe('Milan');
    expect(snake.rootOfTrust).toEqual({ productLine: 'Milan', checkCrl: true, disallowNetwork: false, cabundles: [] });
    const strip = (p: SnpPolicy): unknown => ({ ...p, pcrValues: undefined, requireAuthorKey: undefined, requireIdBlock: undefined, rootOfTrust: { ...p.rootOfTrust, disallowNetwork: undefined } });
    expect(strip(camel)).toEqual(strip(snake));
    expect(snake.measurement!.toString('hex').startsWith('a03628e1')).toBe(true);
    expect(snake.minimumVersion).toEqual({ major: 1, minor: 55 });
    expect([...snake.pcrValues!.sha256!.keys()]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 9]);
    expect(camel.pcrValues!.sha256!.has(16)).toBe(true);
    expect(camel.pcrValues!.sha1).toBeUndefined(); // "sha1": null
  });

  test('accepts hex for fixed-size bytes, wrapper objects, hex and decimal uint64; ignores unknown keys', () => {
    const p = parsePolicy(JSON.stringify({ policy: { measurement: 'ab'.repeat(48), vmpl: { value: 1 }, platformInfo: '0x3', unknownField: [1, 2], policy: 196608 }, extra: true })) as SnpPolicy;
    expect(p.measurement).toEqual(Buffer.alloc(48, 0xab));
    expect(p.vmpl).toBe(1);
    expect(p.platformInfo).toBe(3n);
  });

  test.each([
    ['{"policy":{"measurement":"AAAA"}}', /policy\.measurement: expected 48 bytes, got 3/],
    ['{"policy":{"vmpl":-1}}', /policy\.vmpl: not an unsigned integer/],
    ['{"policy":{"minimum_tcb":18446744073709551616}}', /policy\.minimum_tcb: .* out of range/],
    ['{"policy":{"minimum_tcb":1.5}}', /not an unsigned integer/],
    ['{"policy":{"chip_id":"@@@"}}', /policy\.chip_id: not base64/],
    ['{"policy":{"product":{"name":"SEV_PRODUCT_ROME"}}}', /unknown product/],
    ['{"root_of_trust":{"product_line":"Naples"}}', /unknown product line/],
    ['{"pcr_values":{"sha256":{"0":"abcd"}}}', /pcr_values\.sha256\.0: expected 32-byte hex/],
    ['[]', /expected a JSON object/],
    ['{"policy":', /invalid JSON/],
  ])('rejects %s', (text, message) => {
    expect(() => parsePolicy(text)).toThrow(PolicyError);
    expect(() => parsePolicy(text)).toThrow(message);
  });
});

describe('pinned policies: unknown keys refused', () => {
  test('the shared Cocos policies (both spellings, SNP and TDX) have no key outside the field table', () => {
    for (const f of ['attestation_policy.v0.8.2.json', 'attestation_policy.2026-03.json', 'attestation_policy_tdx.v0.8.2.json', 'attestation_policy_tdx.2026-03.json']) {
      const text = readVectorText('cocos', f);
      expect([f, unknownPolicyKeys(JSON.parse(text))]).toEqual([f, []]);
      expect(() => parsePolicy(text, { unknownKeys: 'refuse' })).not.toThrow();
    }
  });

  test('a misspelt key is named with the field meant, at any depth, in both platforms; ignored only when asked', () => {
    const snp = JSON.stringify({ policy: { measurment: 'AAAA', chipId: Buffer.alloc(64).toString('base64') }, rootOfTrust: { productLine: 'Milan', chekCrl: true } });
    expect(() => parsePolicy(snp, { unknownKeys: 'refuse' })).toThrow(
      new PolicyError('policy.measurment: not a policy field (did you mean measurement? a check cvmflow does not know would be skipped, so the key is refused); rootOfTrust.chekCrl: not a policy field (did you mean check_crl? a check cvmflow does not know would be skipped, so the key is refused)'),
    );
    expect((parsePolicy(snp) as SnpPolicy).measurement).toBeUndefined(); // what the lenient parse of a served policy makes of it
    const tdx = { policy: { header_policy: { minimum_qe_svn: 1 }, td_quote_body_policy: { mr_td_x: 'AA' } } };
    expect(unknownPolicyKeys(tdx)).toEqual([{ path: ['policy', 'td_quote_body_policy', 'mr_td_x'], message: expect.stringMatching(/^not a policy field \(did you mean mr_td\?/) }]);
    expect(unknownPolicyKeys({ pcr_values: { sha512: {} } }).map((u) => u.path.join('.'))).toEqual(['pcr_values.sha512']);
  });

  test('every field in the table is one the parser reads: a bad value in it is an error', () => {
    const accepted: string[] = [];
    for (const [platform, tree] of Object.entries(POLICY_FIELDS)) {
      for (const [section, fields] of Object.entries(tree)) {
        if (section === 'pcr_values') continue; // banks: checked above
        for (const [key, sub] of Object.entries(fields as Record<string, unknown>)) {
          if (sub === 'not-checked') continue;
          const leaves = sub === true ? [[key]] : Object.entries(sub as object).filter(([, v]) => v !== 'not-checked').map(([k]) => [key, k]);
          for (const leaf of leaves) {
            const body: Record<string, unknown> = platform === 'tdx' ? { policy: { header_policy: {}, td_quote_body_policy: {} } } : { policy: {} };
            let at = ((body[section] ??= {}) as Record<string, unknown>);
            for (const k of leaf.slice(0, -1)) at = (at[k] ??= {}) as Record<string, unknown>;
            at[leaf.at(-1)!] = [{ not: 'a value' }];
            try {
              parsePolicy(JSON.stringify(body));
              accepted.push([platform, section, ...leaf].join('.'));
            } catch (err) {
              expect(err).toBeInstanceOf(PolicyError);
            }
          }
        }
      }
    }
    expect(accepted).toEqual([]);
  });
});

describe('TDX policy', () => {
  test('v0.8.2 and the 2026-03 file with non-standard nested blocks parse to the same policy', () => {
    const a = parsePolicy(readVectorText('cocos', 'attestation_policy_tdx.v0.8.2.json')) as TdxPolicy;
    const b = parsePolicy(readVectorText('cocos', 'attestation_policy_tdx.2026-03.json')) as TdxPolicy;
    expect(a.kind).toBe('tdx');
    expect(b).toEqual(a);
    expect(a.body.rtmrs).toHaveLength(4);
    expect(a.body.mrTd!.toString('hex').startsWith('91eb2b44')).toBe(true);
    expect(a.header.qeVendorId!.toString('hex')).toBe('939a7233f79c4ca9940a0db3957f0607');
    expect(a.rootOfTrust).toEqual({ checkCrl: true, getCollateral: true });
  });

  test('snake_case spelling works too', () => {
    const p = parsePolicy('{"policy":{"header_policy":{"minimum_qe_svn":2},"td_quote_body_policy":{"xfam":"5wIGAAAAAAA="}}}') as TdxPolicy;
    expect(p.header.minimumQeSvn).toBe(2);
    expect(p.body.xfam!.toString('hex')).toBe('e702060000000000');
  });
});
