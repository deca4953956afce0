import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CascadenceError, defineTask } from '@cascadence/core';
import {
  CronScheduler,
  inspectSchedules,
  readSchedules,
  readScheduleState,
  removeSchedule,
  ScheduleErrorCode,
  statePathFor,
  upsertSchedule,
  type CronSchedulerOptions,
} from '../src';
import { recordingLogger, silent, tempDir, thrown } from './helpers';

const DIST = resolve(__dirname, '../dist/index.cjs');
const FIXTURES = resolve(__dirname, 'fixtures');
const tasks = ['a', 'b', 'c', 'd', 'victim'].map((name) => defineTask({ name, run() {} }));

let cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.reverse()) await fn();
  cleanups = [];
});

function setup(initial?: string): { dir: string; path: string } {
  const temp = tempDir();
  cleanups.push(temp.cleanup);
  const path = join(temp.dir, 'schedules.yml');
  if (initial !== undefined) writeFileSync(path, initial);
  return { dir: temp.dir, path };
}

function make(path: string, extra: Partial<CronSchedulerOptions> = {}): CronScheduler {
  const scheduler = new CronScheduler({ storagePath: path, tasks, logger: silent, watch: false, ...extra });
  cleanups.push(() => scheduler.stop({ timeoutMs: 0 }));
  return scheduler;
}

async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('file format and round trips', () => {
  it('writes the short form without options and the long form with them; restores jobs after a restart', async () => {
    const { path } = setup();
    const first = make(path);
    await first.schedule('a', '0 12 * * *');
    await first.schedule('b', '30 2 * * 1-5', { timezone: 'Europe/Paris', overlap: 'buffer-one' });
    await first.schedule('c', '@daily', { catchUp: { window: '2h' }, jitterMs: 500 });
    await first.pause('c');
    expect(readFileSync(path, 'utf8')).toBe(
      [
        'a: "0 12 * * *"',
        'b: { cron: "30 2 * * 1-5", timezone: "Europe/Paris", overlap: buffer-one }',
        'c: { cron: "@daily", catchUp: { window: "2h" }, jitterMs: 500, paused: true }',
        '',
      ].join('\n'),
    );
    await first.stop();
    const second = make(path);
    const strip = (jobs: ReturnType<CronScheduler['jobs']>): unknown => jobs.map(({ nextRun: _n, ...rest }) => rest);
    expect(strip(second.jobs())).toEqual(strip(first.jobs()));
    expect(second.jobs().map((j) => [j.task, j.cron, j.timezone, j.paused])).toEqual([
      ['a', '0 12 * * *', 'UTC', false],
      ['b', '30 2 * * 1-5', 'Europe/Paris', false],
      ['c', '@daily', 'UTC', true],
    ]);
    expect(readSchedules(path)).toEqual([
      { task: 'a', cron: '0 12 * * *', line: 1, column: 1 },
      { task: 'b', cron: '30 2 * * 1-5', timezone: 'Europe/Paris', overlap: 'buffer-one', line: 2, column: 1 },
      { task: 'c', cron: '@daily', catchUp: { window: '2h' }, jitterMs: 500, paused: true, line: 3, column: 1 },
    ]);
  });

  it('keeps comments, key order and untouched entries byte for byte; options left out are kept, null clears', async () => {
    const original = [
      '# Production schedules — edited by hand and by `task schedule`',
      '',
      '# runs at noon',
      'a: "0 12 * * *" # noon UTC',
      'ghost: "5 4 * * *"   # a task this process does not know',
      'b:',
      '  cron: "0 * * * *" # hourly',
      '  timezone: "Europe/Berlin"',
      'c: "*/5 * * * *"',
      '',
    ].join('\n');
    const { path } = setup(original);
    const scheduler = make(path);
    expect(scheduler.unknownTasks).toEqual(['ghost']);
    await scheduler.schedule('a', '0 13 * * *');
    await scheduler.schedule('b', '15 * * * *');
    await scheduler.schedule('d', '0 0 1 * *');
    await scheduler.unschedule('c');
    expect(readFileSync(path, 'utf8')).toBe(
      [
        '# Production schedules — edited by hand and by `task schedule`',
        '',
        '# runs at noon',
        'a: "0 13 * * *" # noon UTC',
        'ghost: "5 4 * * *"   # a task this process does not know',
        'b:',
        '  cron: "15 * * * *" # hourly',
        '  timezone: "Europe/Berlin"',
        'd: "0 0 1 * *"',
        '',
      ].join('\n'),
    );
    expect(scheduler.job('b')?.timezone).toBe('Europe/Berlin');
    await scheduler.schedule('b', '15 * * * *', { timezone: null });
    expect(readFileSync(path, 'utf8')).toContain('b: "15 * * * *"\n');
    expect(scheduler.job('b')?.timezone).toBe('UTC');
  });

  it('adds entries to a file that holds only comments, and creates a missing file and folder', async () => {
    const { path, dir } = setup('# nothing scheduled yet\n');
    const scheduler = make(path);
    await scheduler.schedule('a', '* * * * *');
    expect(readFileSync(path, 'utf8')).toBe('# nothing scheduled yet\na: "* * * * *"\n');
    const nested = join(dir, 'deeper', 'schedules.yml');
    await make(nested).schedule('b', '@hourly');
    expect(readFileSync(nested, 'utf8')).toBe('b: "@hourly"\n');
  });

  it('an unknown task in the file is reported and survives every rewrite', async () => {
    const { path } = setup('ghost: { cron: "0 0 * * *", timezone: "Asia/Tokyo" } # keep me\n');
    const logger = recordingLogger();
    const scheduler = make(path, { logger });
    expect(logger.warnings.join('\n')).toContain('ghost');
    await scheduler.schedule('a', '@daily');
    await scheduler.unschedule('a');
    expect(readFileSync(path, 'utf8')).toBe('ghost: { cron: "0 0 * * *", timezone: "Asia/Tokyo" } # keep me\n');
    expect(scheduler.jobs()).toEqual([]);
  });

  it('scheduleMany() writes many entries in one locked write', async () => {
    const { path } = setup('# header\n');
    const scheduler = make(path);
    const jobs = await scheduler.scheduleMany([
      { task: 'a', cron: '@hourly' },
      { task: 'b', cron: '0 0 * * *', options: { timezone: 'Asia/Tokyo' } },
    ]);
    expect(jobs.map((j) => [j.task, j.timezone])).toEqual([
      ['a', 'UTC'],
      ['b', 'Asia/Tokyo'],
    ]);
    expect(readFileSync(path, 'utf8')).toBe('# header\na: "@hourly"\nb: { cron: "0 0 * * *", timezone: "Asia/Tokyo" }\n');
    await expect(
      scheduler.scheduleMany([
        { task: 'c', cron: '@daily' },
        { task: 'd', cron: 'bad' },
      ]),
    ).rejects.toMatchObject({ code: ScheduleErrorCode.INVALID_CRON });
    expect(readSchedules(path).map((e) => e.task)).toEqual(['a', 'b']);
  });

  it('unschedule() of an entry for an unknown task removes it from the file', async () => {
    const { path } = setup('ghost: "0 0 * * *"\na: "0 1 * * *"\n');
    const scheduler = make(path);
    await scheduler.unschedule('ghost');
    expect(readFileSync(path, 'utf8')).toBe('a: "0 1 * * *"\n');
  });
});

describe('bad input never changes the file', () => {
  it('a file that does not parse is never overwritten; the error names path, line and column', async () => {
    const broken = 'a: "0 12 * * *"\nb: [oops\nc: "* * * * *"\n';
    const { path } = setup(broken);
    const error = thrown(() => make(path));
    expect(error.code).toBe(ScheduleErrorCode.SCHEDULES_PARSE);
    expect(error.message).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: cannot parse`));
    expect(error.details).toMatchObject({ path, line: expect.any(Number), column: expect.any(Number) });
    expect((error.details.line as number) >= 2).toBe(true);
    await expect(upsertSchedule(path, 'a', '0 1 * * *')).rejects.toMatchObject({ code: ScheduleErrorCode.SCHEDULES_PARSE });
    await expect(removeSchedule(path, 'a')).rejects.toMatchObject({ code: ScheduleErrorCode.SCHEDULES_PARSE });
    expect(readFileSync(path, 'utf8')).toBe(broken);
  });

  it('duplicate keys are a parse error with their position', () => {
    const { path } = setup('a: "0 12 * * *"\na: "0 13 * * *"\n');
    const error = thrown(() => readSchedules(path));
    expect(error.code).toBe(ScheduleErrorCode.SCHEDULES_PARSE);
    expect(error.message).toContain(`${path}:2:1:`);
  });

  it('an invalid expression leaves the file byte-for-byte unchanged (not even rewritten)', async () => {
    const original = '# keep\na: "0 12 * * *"   # spacing kept too\n';
    const { path } = setup(original);
    const before = statSync(path);
    const scheduler = make(path);
    await expect(scheduler.schedule('a', '0 12 * *')).rejects.toMatchObject({ code: ScheduleErrorCode.INVALID_CRON });
    await expect(scheduler.schedule('a', '0 24 * * *')).rejects.toMatchObject({
      message: expect.stringContaining('hour field "24" is out of range'),
    });
    await expect(scheduler.schedule('a', '0 12 * * *', { timezone: 'Mars/Base' })).rejects.toMatchObject({
      code: ScheduleErrorCode.INVALID_TIMEZONE,
    });
    await expect(upsertSchedule(path, 'a', 'nope')).rejects.toMatchObject({ code: ScheduleErrorCode.INVALID_CRON });
    expect(readFileSync(path, 'utf8')).toBe(original);
    const after = statSync(path);
    expect([after.mtimeMs, after.ino]).toEqual([before.mtimeMs, before.ino]);
    // a no-op upsert does not rewrite either
    await scheduler.schedule('a', '0 12 * * *');
    expect(statSync(path).ino).toBe(before.ino);
  });

  it('invalid entries name path:line:column; inspectSchedules() collects them instead of throwing', () => {
    const text = 'a: "61 * * * *"\nb:\n  cron: "* * * * *"\n  timeZone: "UTC"\nc: 42\nd: "@hourly"\n';
    const { path } = setup(text);
    const error = thrown(() => make(path));
    expect(error.code).toBe(ScheduleErrorCode.SCHEDULES_INVALID);
    expect(error.message).toBe(`${path}:1:4: schedule "a": invalid cron expression "61 * * * *": minute field "61" is out of range (0-59)`);
    const { entries, problems } = inspectSchedules(path);
    expect(entries.map((e) => e.task)).toEqual(['d']);
    expect(problems.map((p) => p.message.replace(`${path}:`, ''))).toEqual([
      '1:4: schedule "a": invalid cron expression "61 * * * *": minute field "61" is out of range (0-59)',
      '3:3: schedule "b": unknown option "timeZone" (did you mean "timezone"?); known: cron, timezone, overlap, catchUp, jitterMs, paused',
      '5:4: schedule "c": expected a cron expression string (e.g. "0 12 * * *") or a mapping { cron, timezone, overlap, catchUp, jitterMs, paused }',
    ]);
  });

  it('a top level that is not a mapping is refused with its position', async () => {
    const { path } = setup('- a\n- b\n');
    expect(thrown(() => readSchedules(path)).message).toBe(
      `${path}:1:1: the schedules file must be a mapping from task name to cron expression (e.g. example: "0 12 * * *"), found a list`,
    );
    await expect(upsertSchedule(path, 'a', '* * * * *')).rejects.toMatchObject({ code: ScheduleErrorCode.SCHEDULES_INVALID });
    expect(readFileSync(path, 'utf8')).toBe('- a\n- b\n');
  });
});

describe('state folder', () => {
  it('keeps lastRun in .cascadence/ beside the schedules file and restores it', async () => {
    const { path, dir } = setup('a: "* * * * * *"\n');
    const first = make(path, { stateFlushMs: 50 });
    first.start();
    await until(() => first.job('a')?.lastRun !== null, 'a first run', 4_000);
    await first.stop();
    expect(statePathFor(path)).toBe(join(dir, '.cascadence', 'schedules.state.json'));
    const state = JSON.parse(readFileSync(statePathFor(path), 'utf8'));
    expect(state.schedules.a.lastRun).toBe(first.job('a')?.lastRun?.toISOString());
    const second = make(path);
    expect(second.job('a')?.lastRun).toEqual(first.job('a')?.lastRun);
    expect(readScheduleState(path).get('a')?.lastRun).toBe(first.job('a')?.lastRun?.getTime());
  });

  it('a corrupt state file is reported and never overwritten', async () => {
    const { path } = setup('a: "* * * * * *"\n');
    mkdirSync(join(path, '..', '.cascadence'));
    writeFileSync(statePathFor(path), '{ "version": 1, oops');
    const logger = recordingLogger();
    const scheduler = make(path, { logger, stateFlushMs: 10 });
    expect(logger.warnings.join('\n')).toContain(`${statePathFor(path)}:1:`);
    scheduler.start();
    await until(() => scheduler.job('a')?.lastRun !== null, 'a run', 4_000);
    await scheduler.stop();
    expect(readFileSync(statePathFor(path), 'utf8')).toBe('{ "version": 1, oops');
  });
});

describe('changes by other processes', () => {
  it('picks up edits made while it runs (fs.watch), and keeps its jobs when the file is broken', async () => {
    const { path } = setup('a: "0 0 1 1 *"\n');
    const errors: string[] = [];
    const scheduler = make(path, { watch: true, watchDebounceMs: 20, onError: (e) => void errors.push(e.message) });
    scheduler.start();
    await upsertSchedule(path, 'b', '0 0 * * *'); // as the CLI would, from another process
    await upsertSchedule(path, 'a', '0 6 * * *');
    await until(() => scheduler.jobs().length === 2 && scheduler.job('a')?.cron === '0 6 * * *', 'the edits to be applied');
    await removeSchedule(path, 'b');
    await until(() => scheduler.job('b') === undefined, 'b to be removed');
    writeFileSync(path, 'a: [broken\n');
    await until(() => errors.length > 0, 'the parse error to be reported');
    expect(errors[0]).toContain(`${path}:`);
    expect(scheduler.jobs().map((j) => j.task)).toEqual(['a']);
    await scheduler.reload().catch(() => undefined);
    expect(readFileSync(path, 'utf8')).toBe('a: [broken\n');
  });

  it('reload() applies the file now', async () => {
    const { path } = setup('a: "0 0 1 1 *"\n');
    const scheduler = make(path);
    writeFileSync(path, 'a: "0 0 1 1 *"\nc: "@weekly"\n');
    await scheduler.reload();
    expect(scheduler.jobs().map((j) => j.task)).toEqual(['a', 'c']);
  });
});

describe('locking', () => {
  it('takes over a lock left by a dead process once it is stale', async () => {
    const { path } = setup('a: "0 0 * * *"\n');
    mkdirSync(`${path}.lock`);
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${path}.lock`, old, old);
    await upsertSchedule(path, 'b', '0 1 * * *');
    expect(readFileSync(path, 'utf8')).toBe('a: "0 0 * * *"\nb: "0 1 * * *"\n');
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('gives up on a lock held by a live writer with CASCADENCE_SCHEDULES_LOCKED and writes nothing', async () => {
    const { path } = setup('a: "0 0 * * *"\n');
    mkdirSync(`${path}.lock`);
    const error = await upsertSchedule(path, 'b', '0 1 * * *', {}, { timeoutMs: 300 }).catch((e: unknown) => e);
    // This package's code, not core's CASCADENCE_FILE_LOCKED (the lock itself is core's).
    expect(CascadenceError.isInstance(error, ScheduleErrorCode.SCHEDULES_LOCKED)).toBe(true);
    expect((error as Error).message).toContain(`${path}.lock`);
    expect(readFileSync(path, 'utf8')).toBe('a: "0 0 * * *"\n');
    rmSync(`${path}.lock`, { recursive: true });
  });
});

function run(args: string[]): {
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
  kill: () => void;
  ready: Promise<void>;
} {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let markReady!: () => void;
  const ready = new Promise<void>((r) => (markReady = r));
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.includes('ready')) markReady();
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolveDone) =>
    child.on('close', (code) => {
      markReady();
      resolveDone({ code, stdout, stderr });
    }),
  );
  return { done, ready, kill: () => child.kill('SIGKILL') };
}

describe('real processes', () => {
  beforeAll(() => {
    if (!existsSync(DIST)) throw new Error(`build the package first: ${DIST} is missing`);
  });

  it('10 processes scheduling different tasks at the same instant all end up in the file', async () => {
    const { path } = setup('# shared by many writers\nexisting: "0 0 * * *"\n');
    const startAt = Date.now() + 1_500;
    const children = Array.from({ length: 10 }, (_, i) =>
      run([join(FIXTURES, 'writer.cjs'), path, `task-${i}`, `${i} * * * *`, String(startAt)]),
    );
    const results = await Promise.all(children.map((c) => c.done));
    for (const result of results) expect(result).toMatchObject({ code: 0, stdout: 'ok\n' });
    const entries = readSchedules(path);
    expect(entries.map((e) => e.task).sort()).toEqual(['existing', ...Array.from({ length: 10 }, (_, i) => `task-${i}`)].sort());
    for (let i = 0; i < 10; i++) expect(entries.find((e) => e.task === `task-${i}`)?.cron).toBe(`${i} * * * *`);
    expect(readFileSync(path, 'utf8').startsWith('# shared by many writers\nexisting: "0 0 * * *"\n')).toBe(true);
    expect(readdirSync(join(path, '..')).filter((n) => n.endsWith('.tmp') || n.endsWith('.lock'))).toEqual([]);
  }, 60_000);

  it('a writer killed with SIGKILL at a random moment never leaves a broken or half-written file (30 rounds)', async () => {
    const others = Array.from(
      { length: 300 },
      (_, i) => `other-${i}: { cron: "${i % 60} ${i % 24} * * *", timezone: "Europe/Berlin" } # entry ${i}`,
    );
    const header = '# many entries so that each write takes a while\n';
    const A = '0 1 * * *';
    const B = '0 2 * * *';
    const { path } = setup(`${header}victim: "${A}"\n${others.join('\n')}\n`);
    let killedWhileLocked = 0;
    for (let round = 0; round < 30; round++) {
      const child = run([join(FIXTURES, 'flipper.cjs'), path, A, B]);
      await child.ready;
      await new Promise((r) => setTimeout(r, Math.random() * 30));
      child.kill();
      const result = await child.done;
      expect(result.stderr).toBe('');
      const text = readFileSync(path, 'utf8');
      const entries = readSchedules(path); // parses, and every entry is valid
      expect([A, B]).toContain(entries.find((e) => e.task === 'victim')?.cron);
      expect(entries).toHaveLength(301);
      expect(text.startsWith(header)).toBe(true);
      expect(text.endsWith(`${others[299]}\n`)).toBe(true);
      // A writer killed while holding the lock leaves `<file>.lock`; the next writer takes it
      // over after `staleMs` (tested above). Remove it here so 30 rounds don't wait 2 s each.
      if (existsSync(`${path}.lock`)) {
        killedWhileLocked++;
        rmSync(`${path}.lock`, { recursive: true, force: true });
      }
      // temp files of killed writers are swept by the next writer: never more than one left
      expect(readdirSync(join(path, '..')).filter((n) => n.endsWith('.tmp')).length).toBeLessThanOrEqual(1);
    }
    expect(killedWhileLocked).toBeGreaterThan(0);
  }, 120_000);
});
