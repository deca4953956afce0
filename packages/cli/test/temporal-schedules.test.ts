/**
 * `task schedule | schedules | unschedule --backend temporal` manage Temporal Schedules with the
 * local scheduler's options and defaults (no catch-up), checked with Temporal's own CLI.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { findTemporalBinary, startDevServer, type DevServer } from '@cascadence/temporal/testing';
import { Project } from './cli-harness';

jest.setTimeout(180_000);

const binary = process.env.TEMPORAL_BIN ?? findTemporalBinary();
if (binary === undefined && process.env.CI === 'true') throw new Error('no temporal binary (CI=true: a missing server fails the run)');
const describeWithServer = binary === undefined ? describe.skip : describe;

describeWithServer('task schedule --backend temporal', () => {
  let server: DevServer;
  let project: Project;

  beforeAll(async () => {
    server = await startDevServer({ binary });
    project = new Project({
      'package.json': JSON.stringify({ name: 'temporal-schedules-test', private: true, type: 'module' }),
      'cascadence.config.mjs': `export default { tasks: ['./tasks.mjs'], timezone: 'Europe/Paris', temporal: { address: ${JSON.stringify(server.address)}, taskQueue: 'sched' } };`,
      'tasks.mjs': `
        import { defineTask } from '@cascadence/core';
        export const report = defineTask({ name: 'report', run: () => 'ok' });
        export const other = defineTask({ name: 'other', run: () => 'ok' });
      `,
    });
    project.linkCore();
  });

  afterAll(async () => {
    project?.remove();
    await server?.stop();
  });

  /** The schedule as Temporal's own CLI describes it. */
  function described(scheduleId: string): {
    schedule: { spec: Record<string, any>; policies: Record<string, any>; state?: Record<string, any> };
  } {
    const out = spawnSync(
      binary as string,
      ['schedule', 'describe', '--schedule-id', scheduleId, '--address', server.address, '--output', 'json'],
      { encoding: 'utf8' },
    );
    if (out.status !== 0) throw new Error(`temporal schedule describe: ${out.stderr}`);
    return JSON.parse(out.stdout);
  }

  it('creates a Temporal Schedule with the options given, and no catch-up by default', () => {
    const created = project.task([
      'schedule',
      'report',
      '30 2 * * 1-5',
      '--backend',
      'temporal',
      '--overlap',
      'buffer-one',
      '--jitter',
      '1500',
      '--paused',
    ]);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout).toBe(
      'report scheduled "30 2 * * 1-5" (Europe/Paris) as Temporal schedule cascadence-report; next run none (paused)\n',
    );
    const schedule = described('cascadence-report').schedule;
    expect(schedule.spec.timezoneName).toBe('Europe/Paris');
    expect(schedule.spec.jitter).toBe('1.500s');
    expect(schedule.policies.overlapPolicy).toBe('SCHEDULE_OVERLAP_POLICY_BUFFER_ONE');
    // Temporal's own default would be 365 days; the local scheduler's is none (Temporal's minimum: 10 s).
    expect(schedule.policies.catchupWindow).toBe('10s');
    expect(schedule.state?.paused).toBe(true);
    expect(JSON.stringify(schedule)).toContain('CascadenceTask'); // the runs it starts are findable by task name
    expect(existsSync(join(project.dir, 'schedules.yml'))).toBe(false);

    // Upsert, with a catch-up window this time; allow is every scheduler's name (Temporal's ALLOW_ALL).
    const updated = project.task(['schedule', 'report', '0 12 * * *', '--backend', 'temporal', '--catch-up', '1h', '--overlap', 'allow']);
    expect(updated.code).toBe(0);
    expect(updated.stdout).toMatch(
      /^report scheduled "0 12 \* \* \*" \(Europe\/Paris\) as Temporal schedule cascadence-report; next run \d{4}-\d\d-\d\dT/,
    );
    const after = described('cascadence-report').schedule;
    expect(after.policies.catchupWindow).toBe('3600s');
    expect(after.policies.overlapPolicy).toBe('SCHEDULE_OVERLAP_POLICY_ALLOW_ALL');
    expect(after.state?.paused ?? false).toBe(false);
  });

  it('task schedules --backend temporal lists them', () => {
    expect(project.task(['schedule', 'other', '@daily', '--backend', 'temporal']).code).toBe(0);
    let rows: Array<{ task: string; cron: string; catchUpWindowMs: number; scheduleId: string; known: boolean }> = [];
    // Listing goes through Temporal's visibility store, which lags a moment behind.
    for (let i = 0; i < 100 && rows.length < 2; i++) {
      const listed = project.task(['schedules', '--backend', 'temporal', '--json']);
      expect(listed.code).toBe(0);
      rows = JSON.parse(listed.stdout);
      if (rows.length < 2) spawnSync('sleep', ['0.2']);
    }
    expect(rows.map((r) => [r.task, r.cron, r.scheduleId, r.known, r.catchUpWindowMs])).toEqual([
      ['other', '@daily', 'cascadence-other', true, 10_000],
      ['report', '0 12 * * *', 'cascadence-report', true, 3_600_000],
    ]);
    const text = project.task(['schedules', '--backend', 'temporal']);
    expect(text.stdout).toMatch(/^other +"@daily" +Europe\/Paris {2}next \S+ {2}\(overlap skip, 0 runs\)$/m);
  });

  it('unschedules, and an unknown name is an error; bad input is refused with a clear message', () => {
    expect(project.task(['unschedule', 'other', '--backend', 'temporal'])).toMatchObject({
      code: 0,
      stdout: 'other unscheduled (Temporal schedule deleted; runs already started keep going)\n',
    });
    expect(project.task(['unschedule', 'other', '--backend', 'temporal'])).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^error: task "other" has no Temporal schedule in namespace "default"/),
    });
    expect(project.task(['schedule', 'report', '61 * * * *', '--backend', 'temporal'])).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^error: .*61 \* \* \* \*/),
    });
    expect(project.task(['schedule', 'nope', '@daily', '--backend', 'temporal'])).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^error: .*"nope"/),
    });
    expect(project.task(['schedule', 'report', '@daily', '--backend', 'temporal', '--catch-up', 'soon'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^error: .*--catch-up/),
    });
    expect(project.task(['schedule', 'report', '@daily', '--backend', 'elsewhere']).code).toBe(2);
  });

  it('temporal.searchAttributes in the config: false starts runs without them; anything but a boolean is refused', () => {
    const config = (value: string) =>
      `export default { tasks: ['./tasks.mjs'], temporal: { address: ${JSON.stringify(server.address)}, taskQueue: 'sched', searchAttributes: ${value} } };`;
    project.write('cascadence.config.mjs', config('false'));
    expect(project.task(['schedule', 'report', '@daily', '--backend', 'temporal']).code).toBe(0);
    const described = spawnSync(
      binary as string,
      ['schedule', 'describe', '--schedule-id', 'cascadence-report', '--address', server.address, '--output', 'json'],
      { encoding: 'utf8' },
    );
    expect(described.stdout).not.toContain('CascadenceTask');
    project.write('cascadence.config.mjs', config('"no"'));
    expect(project.task(['schedule', 'report', '@daily', '--backend', 'temporal'])).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^error: .*cascadence\.config\.mjs: "temporal\.searchAttributes" must be true or false \(got "no"\)/),
    });
  });
});
