import { formatDuration, parseDurationMs } from '../../src/common/duration';

test.each([
  ['250ms', 250],
  ['30s', 30_000],
  ['5m', 300_000],
  ['1h30m', 5_400_000],
  ['2d', 172_800_000],
  ['1.5s', 1_500],
  ['1500', 1_500],
])('parses %s', (text, ms) => expect(parseDurationMs(text)).toBe(ms));

test.each(['', '5 minutes', '10x', '-5s', 's', '5m garbage'])('rejects %j', (text) => expect(parseDurationMs(text)).toBeUndefined());

test('formats durations for people', () => {
  expect(formatDuration(5_400_000)).toBe('1h30m');
  expect(formatDuration(250)).toBe('250ms');
  expect(formatDuration(90_061_000)).toBe('1d1h1m1s');
});
