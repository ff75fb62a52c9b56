import { isValidPhalaCvmName as isValidCvmName } from '../../../../src/contract/rules/phala';
import { canonicalAppId, normalizeCvmId, resolveCvmRef } from '../../../../src/providers/phala/identifiers';

const HEX40 = 'a'.repeat(8) + '0123456789abcdef0123456789abcdef';

describe('normalizeCvmId (SDK CvmIdSchema rules)', () => {
  test.each([
    ['550e8400-e29b-41d4-a716-446655440000', '550e8400e29b41d4a716446655440000'],
    ['550E8400-E29B-41D4-A716-446655440000', '550E8400E29B41D4A716446655440000'],
    ['550e8400e29b41d4a716446655440000', '550e8400e29b41d4a716446655440000'],
    [HEX40, `app_${HEX40}`],
    [`app_${HEX40}`, `app_${HEX40}`],
    ['cvm_ykL5lbAn', 'cvm_ykL5lbAn'],
    ['instance_abc', 'instance_abc'],
    ['my-app', 'my-app'],
    ['1234', '1234'],
    [42, '42'],
  ])('%s -> %s', (input, out) => expect(normalizeCvmId(input)).toBe(out));
});

describe('resolveCvmRef', () => {
  test('takes the first present field in documented order', () => {
    expect(resolveCvmRef({ name: 'web-one', id: 'cvm_x1' })).toBe('cvm_x1');
    expect(resolveCvmRef({ cvm_id: 'my-app' })).toBe('my-app');
    expect(resolveCvmRef({ uuid: '550e8400-e29b-41d4-a716-446655440000' })).toBe('550e8400e29b41d4a716446655440000');
    expect(resolveCvmRef({ app_id: HEX40 })).toBe(`app_${HEX40}`);
    expect(resolveCvmRef({ app_id: `0x${HEX40}` })).toBe(`app_${HEX40}`);
    expect(resolveCvmRef({ id: 7 })).toBe('7');
    expect(resolveCvmRef('  web-one ')).toBe('web-one');
  });
  test('a bare 40-hex instance_id becomes instance_<hex>, not app_<hex>', () => {
    expect(resolveCvmRef({ instance_id: HEX40 })).toBe(`instance_${HEX40}`);
    expect(resolveCvmRef({ instance_id: `instance_${HEX40}` })).toBe(`instance_${HEX40}`);
  });
  test('empty references are rejected', () => {
    expect(() => resolveCvmRef({})).toThrow(/one of id, cvm_id/);
    expect(() => resolveCvmRef({ id: '  ' })).toThrow(/required/);
    expect(() => resolveCvmRef('')).toThrow(/empty/);
  });
});

test('CVM names follow the RFC 1123 rule of the SDK', () => {
  for (const ok of ['web01', 'my-app', 'A1234', 'a'.repeat(63)]) expect(isValidCvmName(ok)).toBe(true);
  for (const bad of ['abcd', '1abcde', 'my--app', 'my_app', 'ends-', 'a'.repeat(64), 'has space']) expect(isValidCvmName(bad)).toBe(false);
});

test('canonicalAppId accepts bare, 0x and app_ forms', () => {
  expect(canonicalAppId(HEX40.toUpperCase())).toBe(HEX40);
  expect(canonicalAppId(`0x${HEX40}`)).toBe(HEX40);
  expect(canonicalAppId(`app_${HEX40}`)).toBe(HEX40);
  expect(canonicalAppId('app-123')).toBeUndefined();
  expect(canonicalAppId(null)).toBeUndefined();
});
