// The schedules file format: YAML or JSON, checked with zod; errors name the entry and field.
import { parseScheduleConfig, scheduleHash, ScheduleConfigError } from '../../../src/client/schedules';

const yaml = `
schedules:
  - id: reconcile
    workflow: reconcileFleet
    interval: 10m
    args: { providers: [cudo], teardownExpired: true }
    overlap: skip
    catchupWindow: 5m
    note: tear down expired leases
  - id: reattest
    workflow: reattestCvms
    cron: "0 * * * *"
    args: { teardownOnChange: true }
    paused: true
`;

test('a valid file parses with defaults filled in', () => {
  const c = parseScheduleConfig(yaml);
  expect(c.schedules).toHaveLength(2);
  expect(c.schedules[0]).toMatchObject({ id: 'reconcile', workflow: 'reconcileFleet', interval: 600_000, overlap: 'skip', catchupWindow: 300_000, paused: false });
  expect(c.schedules[1]).toMatchObject({ cron: '0 * * * *', paused: true, overlap: 'skip', note: '' });
  expect(parseScheduleConfig(JSON.stringify({ schedules: [{ id: 'x', workflow: 'collectCvmStatistics', interval: 60000 }] })).schedules[0]!.interval).toBe(60_000);
});

test.each([
  ['schedules:\n  - id: a\n    workflow: nope\n    interval: 1m\n', /schedules\.0\.workflow: expected one of reconcileFleet, collectCvmStatistics, reattestCvms/],
  ['schedules:\n  - id: a\n    workflow: reconcileFleet\n', /schedules\.0\.interval: give exactly one of interval or cron/],
  ['schedules:\n  - id: a\n    workflow: reconcileFleet\n    interval: 1m\n    cron: "* * * * *"\n', /give exactly one of interval or cron/],
  ['schedules:\n  - id: a\n    workflow: reconcileFleet\n    interval: soon\n', /schedules\.0\.interval: expected a duration/],
  ['schedules:\n  - id: a\n    workflow: reconcileFleet\n    interval: 1m\n    args: { providers: [aws] }\n', /schedules\.0\.args\.providers\.0: expected one of phala, prism, cudo/],
  ['schedules:\n  - id: a\n    workflow: reconcileFleet\n    interval: 1m\n    overlap: sometimes\n', /schedules\.0\.overlap: expected one of skip/],
  ['schedules:\n  - id: a\n    workflow: reconcileFleet\n    interval: 1m\n    typo: 1\n', /schedules\.0: unknown field typo \(known fields: id, workflow, interval/],
  ['schedules:\n  - id: a\n    workflow: reconcileFleet\n    intervall: 1m\n', /schedules\.0: unknown field intervall: did you mean interval\?/],
  ['schedules:\n  - id: a\n    workflow: reconcileFleet\n    interval: 1m\n  - id: a\n    workflow: reattestCvms\n    interval: 1m\n', /schedule ids must be unique/],
  ['schedules: [\n', /not valid YAML\/JSON/],
])('a bad file gives one clear line: %#', (text, message) => {
  let err: unknown;
  try {
    parseScheduleConfig(text, 'f.yaml');
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ScheduleConfigError);
  expect((err as Error).message).toMatch(message);
  expect((err as Error).message).not.toMatch(/\n/);
  expect((err as Error).message.startsWith('f.yaml: ')).toBe(true);
});

test('the hash changes with what apply sets, not with paused', () => {
  const [a] = parseScheduleConfig(yaml).schedules;
  expect(scheduleHash(a!, 'q')).toBe(scheduleHash({ ...a!, paused: true }, 'q'));
  expect(scheduleHash(a!, 'q')).not.toBe(scheduleHash({ ...a!, interval: 1000 }, 'q'));
  expect(scheduleHash(a!, 'q')).not.toBe(scheduleHash(a!, 'other-queue'));
  expect(scheduleHash(a!, 'q')).toBe(scheduleHash({ ...a!, args: { teardownExpired: true, providers: ['cudo'] } }, 'q'));
});
