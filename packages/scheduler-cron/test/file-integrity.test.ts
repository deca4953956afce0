/**
 * schedules.yml is the user's file: symlinks, modes, encodings, line endings, comments and
 * anchors survive every edit, byte for byte outside the edited entry (issue 14).
 * Real temp folders, real symlinks, real file modes.
 */
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { CascadenceError, defineTask } from '@cascadence/core';
import {
  CronScheduler,
  inspectSchedules,
  readSchedules,
  readScheduleState,
  removeSchedule,
  ScheduleErrorCode,
  setSchedulePaused,
  upsertSchedule,
} from '../src';
import { recordingLogger, silent, tempDir, thrown } from './helpers';

let cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.reverse()) await fn();
  cleanups = [];
});

function folder(): string {
  const temp = tempDir();
  cleanups.push(temp.cleanup);
  return temp.dir;
}

async function rejection(promise: Promise<unknown>): Promise<CascadenceError> {
  try {
    await promise;
  } catch (error) {
    if (CascadenceError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

const bytes = (...parts: Array<string | number[]>): Buffer =>
  Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : Buffer.from(part))));

describe('symlinks (item 1)', () => {
  it('writes through a symlink to its target, atomically in the target folder; the link stays a link', async () => {
    const root = folder();
    mkdirSync(join(root, 'dotfiles'));
    mkdirSync(join(root, 'project'));
    const target = join(root, 'dotfiles', 'schedules.yml');
    const link = join(root, 'project', 'schedules.yml');
    writeFileSync(target, '# mine\na: "0 1 * * *"\n');
    symlinkSync('../dotfiles/schedules.yml', link);
    await upsertSchedule(link, 'b', '0 2 * * *');
    await removeSchedule(link, 'a');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe('../dotfiles/schedules.yml');
    expect(readFileSync(target, 'utf8')).toBe('# mine\nb: "0 2 * * *"\n');
    expect(readdirSync(join(root, 'project'))).toEqual(['schedules.yml']);
    expect(readdirSync(join(root, 'dotfiles'))).toEqual(['schedules.yml']);
  });

  it('a chain of links and a dangling link: the final target is written (and created)', async () => {
    const root = folder();
    const target = join(root, 'real.yml');
    symlinkSync(target, join(root, 'middle.yml'));
    symlinkSync(join(root, 'middle.yml'), join(root, 'schedules.yml'));
    await upsertSchedule(join(root, 'schedules.yml'), 'a', '@hourly');
    expect(lstatSync(join(root, 'schedules.yml')).isSymbolicLink()).toBe(true);
    expect(lstatSync(join(root, 'middle.yml')).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('a: "@hourly"\n');
  });

  it('a running scheduler notices edits made to the link target in another folder', async () => {
    const root = folder();
    mkdirSync(join(root, 'dotfiles'));
    mkdirSync(join(root, 'project'));
    const target = join(root, 'dotfiles', 'schedules.yml');
    writeFileSync(target, 'a: "0 1 * * *"\n');
    symlinkSync(target, join(root, 'project', 'schedules.yml'));
    const tasks = ['a', 'b'].map((name) => defineTask({ name, run() {} }));
    const scheduler = new CronScheduler({
      storagePath: join(root, 'project', 'schedules.yml'),
      tasks,
      logger: silent,
      watchDebounceMs: 10,
      maxSleepMs: 3_600_000,
    });
    cleanups.push(() => scheduler.stop({ timeoutMs: 0 }));
    scheduler.start();
    writeFileSync(target, 'a: "0 1 * * *"\nb: "0 2 * * *"\n');
    // Waits for the watcher (not a timing assertion: the deadline only bounds a hang).
    const deadline = Date.now() + 10_000;
    while (scheduler.job('b') === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(scheduler.job('b')?.cron).toBe('0 2 * * *');
  }, 20_000);
});

describe('permissions (item 2)', () => {
  it('a read-only schedules.yml is refused with its path and mode; nothing is written', async () => {
    const dir = folder();
    const path = join(dir, 'schedules.yml');
    writeFileSync(path, 'a: "0 1 * * *"\n');
    chmodSync(path, 0o444);
    const error = await rejection(upsertSchedule(path, 'b', '@daily'));
    // This package's code, not core's CASCADENCE_FILE_UNWRITABLE (the write itself is core's).
    expect(error.code).toBe(ScheduleErrorCode.SCHEDULES_INVALID);
    expect(error.message).toContain(path);
    expect(error.message).toContain('read-only (mode 0444)');
    expect(readFileSync(path, 'utf8')).toBe('a: "0 1 * * *"\n');
    expect(statSync(path).mode & 0o777).toBe(0o444);
    expect(readdirSync(dir)).toEqual(['schedules.yml']);
    await expect(removeSchedule(path, 'a')).rejects.toThrow('read-only');
    await expect(setSchedulePaused(path, 'a', true)).rejects.toThrow('read-only');
    expect(readFileSync(path, 'utf8')).toBe('a: "0 1 * * *"\n');
  });

  it('keeps the mode of a writable file', async () => {
    const path = join(folder(), 'schedules.yml');
    writeFileSync(path, 'a: "0 1 * * *"\n');
    chmodSync(path, 0o640);
    await upsertSchedule(path, 'b', '@daily');
    expect(statSync(path).mode & 0o777).toBe(0o640);
  });
});

describe('bytes outside the edited entry (item 3)', () => {
  const BOM = [0xef, 0xbb, 0xbf];
  it('keeps the BOM, CRLF line endings, non-UTF-8 bytes in comments and in an unknown entry key', async () => {
    const path = join(folder(), 'schedules.yml');
    const original = bytes(
      BOM,
      '# caf',
      [0xe9],
      ' (Latin-1)\r\n',
      'ghost',
      [0xff, 0xfe],
      ': "0 1 * * *"  # ',
      [0x80],
      '\r\n',
      'a: "0 2 * * *"\r\n',
    );
    writeFileSync(path, original);
    await upsertSchedule(path, 'a', '0 3 * * *');
    await upsertSchedule(path, 'b', '@hourly', { timezone: 'Europe/Paris' });
    expect(readFileSync(path)).toEqual(
      bytes(
        BOM,
        '# caf',
        [0xe9],
        ' (Latin-1)\r\n',
        'ghost',
        [0xff, 0xfe],
        ': "0 1 * * *"  # ',
        [0x80],
        '\r\n',
        'a: "0 3 * * *"\r\n',
        'b: { cron: "@hourly", timezone: "Europe/Paris" }\r\n',
      ),
    );
    await removeSchedule(path, 'b');
    await upsertSchedule(path, 'a', '0 2 * * *');
    expect(readFileSync(path)).toEqual(original);
    // The unknown entry is still there under its own (undecodable) name.
    expect(readSchedules(path).map((e) => e.task)).toEqual(['ghost\udcff\udcfe', 'a']);
  });

  it('keeps a file without a final line break as it is, apart from the new line', async () => {
    const path = join(folder(), 'schedules.yml');
    writeFileSync(path, 'a: "0 2 * * *" # no newline at the end');
    await upsertSchedule(path, 'b', '@daily');
    expect(readFileSync(path, 'utf8')).toBe('a: "0 2 * * *" # no newline at the end\nb: "@daily"\n');
  });

  it('refuses a UTF-16 file with a clear error and leaves it alone', async () => {
    const path = join(folder(), 'schedules.yml');
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a: "0 1 * * *"\n', 'utf16le')]);
    writeFileSync(path, utf16);
    const error = await rejection(upsertSchedule(path, 'b', '@daily'));
    expect(error.message).toContain(`${path}: the schedules file is UTF-16`);
    expect(readFileSync(path)).toEqual(utf16);
  });
});

describe('comments and layout (item 4)', () => {
  it('removing the first entry keeps the header comment above it; an emptied file keeps its comments; the next entry is block style', async () => {
    const path = join(folder(), 'schedules.yml');
    writeFileSync(path, '# Schedules of the reporting box\n# owner: ops\n\ntick: "0 2 * * *" # nightly\n');
    await removeSchedule(path, 'tick');
    expect(readFileSync(path, 'utf8')).toBe('# Schedules of the reporting box\n# owner: ops\n\n');
    expect(inspectSchedules(path).entries).toEqual([]);
    await upsertSchedule(path, 'tick', '0 2 * * *');
    await upsertSchedule(path, 'tock', '0 3 * * *', { overlap: 'allow' });
    expect(readFileSync(path, 'utf8')).toBe(
      '# Schedules of the reporting box\n# owner: ops\n\ntick: "0 2 * * *"\ntock: { cron: "0 3 * * *", overlap: allow }\n',
    );
  });

  it('a file left as "{}" by older versions gets block entries', async () => {
    const path = join(folder(), 'schedules.yml');
    writeFileSync(path, '# kept\n{}\n');
    await upsertSchedule(path, 'tick', '0 2 * * *');
    expect(readFileSync(path, 'utf8')).toBe('# kept\ntick: "0 2 * * *"\n');
  });

  it('edits a block long-form entry option by option, keeping its comments and other lines', async () => {
    const path = join(folder(), 'schedules.yml');
    writeFileSync(
      path,
      ['sync:', '  cron: "*/15 * * * *"   # every quarter', '  # keep this note', '  overlap: allow', 'other: "@daily"', ''].join('\n'),
    );
    await upsertSchedule(path, 'sync', '*/10 * * * *', { jitterMs: 500, overlap: null });
    expect(readFileSync(path, 'utf8')).toBe(
      ['sync:', '  cron: "*/10 * * * *"   # every quarter', '  # keep this note', '  jitterMs: 500', 'other: "@daily"', ''].join('\n'),
    );
    await setSchedulePaused(path, 'sync', true);
    expect(readSchedules(path)[0]).toMatchObject({ task: 'sync', cron: '*/10 * * * *', jitterMs: 500, paused: true });
    expect(readFileSync(path, 'utf8')).toContain('  jitterMs: 500\n  paused: true\nother: "@daily"\n');
  });

  it('a single-quoted or plain short entry keeps its quoting style', async () => {
    const path = join(folder(), 'schedules.yml');
    writeFileSync(path, "a: '0 1 * * *'\nb: '@daily'\n");
    await upsertSchedule(path, 'a', '0 4 * * *');
    await upsertSchedule(path, 'b', '@hourly');
    expect(readFileSync(path, 'utf8')).toBe("a: '0 4 * * *'\nb: '@hourly'\n");
  });
});

describe('anchors and aliases (item 5)', () => {
  const original = '# shared\ntick: &base { cron: "0 1 * * *", timezone: "Europe/Berlin" }\ntock: *base\nother: "@daily"\n';

  it('refuses to edit or remove an entry whose anchor another entry uses, naming the alias; the file is unchanged', async () => {
    const path = join(folder(), 'schedules.yml');
    writeFileSync(path, original);
    const edit = await rejection(upsertSchedule(path, 'tick', '0 5 * * *'));
    expect(edit.code).toBe(ScheduleErrorCode.SCHEDULES_INVALID);
    expect(edit.message).toContain(
      `${path}:2:1: cannot edit schedule "tick": its value carries the anchor &base, which "tock" uses through the alias *base (line 3)`,
    );
    const remove = await rejection(removeSchedule(path, 'tick'));
    expect(remove.message).toContain('cannot remove schedule "tick"');
    expect(remove.message).toContain('"tock"');
    await expect(setSchedulePaused(path, 'tick', true)).rejects.toThrow('*base');
    expect(readFileSync(path, 'utf8')).toBe(original);
  });

  it('editing the aliasing entry replaces only the alias (its options, read through the alias, are kept)', async () => {
    const path = join(folder(), 'schedules.yml');
    writeFileSync(path, original);
    await upsertSchedule(path, 'tock', '0 5 * * *');
    expect(readFileSync(path, 'utf8')).toBe(
      '# shared\ntick: &base { cron: "0 1 * * *", timezone: "Europe/Berlin" }\ntock: { cron: "0 5 * * *", timezone: "Europe/Berlin" }\nother: "@daily"\n',
    );
    expect(readSchedules(path).find((e) => e.task === 'tick')).toMatchObject({ cron: '0 1 * * *', timezone: 'Europe/Berlin' });
  });
});

describe('names such as __proto__ (item 6)', () => {
  it('a __proto__ entry is kept like any other in the file; a task cannot be named __proto__ (refused at definition, as in core)', async () => {
    const dir = folder();
    const path = join(dir, 'schedules.yml');
    await upsertSchedule(path, '__proto__', '0 1 * * *');
    await upsertSchedule(path, 'constructor', '0 2 * * *');
    expect(readFileSync(path, 'utf8')).toBe('__proto__: "0 1 * * *"\nconstructor: "0 2 * * *"\n');
    expect(readSchedules(path).map((e) => e.task)).toEqual(['__proto__', 'constructor']);
    expect(() => defineTask({ name: '__proto__', run() {} })).toThrow('"__proto__" is reserved');
    const tasks = [defineTask({ name: 'constructor', run() {} })];
    const scheduler = new CronScheduler({ storagePath: path, tasks, logger: silent, watch: false });
    scheduler.start();
    expect(scheduler.jobs().map((j) => j.task)).toEqual(['constructor']);
    // The __proto__ entry names no task this scheduler knows: reported, and left in the file untouched.
    expect(scheduler.unknownTasks).toEqual(['__proto__']);
    await scheduler.stop();
    expect([...readScheduleState(path).keys()].sort()).toEqual(['constructor']);
    expect(readFileSync(path, 'utf8')).toBe('__proto__: "0 1 * * *"\nconstructor: "0 2 * * *"\n');
    await removeSchedule(path, '__proto__');
    expect(readFileSync(path, 'utf8')).toBe('constructor: "0 2 * * *"\n');
  });
});

describe('messages (item 7)', () => {
  it('schedules.yml being a folder: every error names the path', async () => {
    const dir = folder();
    const path = join(dir, 'schedules.yml');
    mkdirSync(path);
    expect(thrown(() => readSchedules(path)).message).toBe(`${path}: cannot read the schedules file: it is a directory, not a file`);
    expect(thrown(() => inspectSchedules(path)).message).toContain(`${path}: cannot read`);
    expect(thrown(() => new CronScheduler({ storagePath: path, logger: silent, watch: false })).message).toContain(
      `${path}: cannot read the schedules file: it is a directory`,
    );
    expect((await rejection(upsertSchedule(path, 'a', '@daily'))).message).toContain(
      `${path}: cannot read the schedules file: it is a directory`,
    );
    expect(existsSync(join(path, 'schedules.yml'))).toBe(false);
  });

  it('a warning about many unknown entries stays short', () => {
    const path = join(folder(), 'schedules.yml');
    const lines: string[] = [];
    for (let i = 0; i < 20_000; i++) lines.push(`unknown-task-with-a-long-name-${i}: "0 1 * * *"`);
    writeFileSync(path, `${lines.join('\n')}\n`);
    const logger = recordingLogger();
    const scheduler = new CronScheduler({ storagePath: path, logger, watch: false });
    expect(scheduler.unknownTasks).toHaveLength(20_000);
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]).toContain('20000 tasks this scheduler does not know');
    expect(logger.warnings[0]).toContain('and 19980 more');
    expect((logger.warnings[0] as string).length).toBeLessThan(2_000);
  });

  it('a huge invalid expression in the file is shortened in the error', () => {
    const path = join(folder(), 'schedules.yml');
    writeFileSync(path, `a: "0 0 * * ${'1,'.repeat(500_000)}x"\n`);
    const problem = inspectSchedules(path).problems[0] as CascadenceError;
    expect(problem.message).toMatch(/invalid cron expression "0 0 \* \* 1,1,.*…" \(1000009 chars\)/);
    expect(problem.message.length).toBeLessThan(1_000);
  });
});

describe('more layouts', () => {
  it('edits inside a flow-style top-level mapping, and one task requested twice in one write', async () => {
    const path = join(folder(), 'schedules.yml');
    writeFileSync(path, '{ a: "0 1 * * *", b: "0 2 * * *" } # all on one line\n');
    const { upsertSchedules } = await import('../src');
    await upsertSchedules(path, [
      { task: 'c', cron: '0 3 * * *' },
      { task: 'a', cron: '0 4 * * *' },
      { task: 'c', cron: '0 5 * * *' },
    ]);
    expect(readFileSync(path, 'utf8')).toBe('{ a: "0 4 * * *", b: "0 2 * * *", c: "0 5 * * *" } # all on one line\n');
    await removeSchedule(path, 'b');
    await removeSchedule(path, 'a');
    expect(readFileSync(path, 'utf8')).toBe('{ c: "0 5 * * *" } # all on one line\n');
  });

  it('short <-> long form of a block entry; a quoted key; an entry with a null value', async () => {
    const path = join(folder(), 'schedules.yml');
    writeFileSync(path, '"my task": "0 1 * * *" # q\nempty:\nz: "@daily"\n');
    await upsertSchedule(path, 'my task', '0 1 * * *', { timezone: 'Asia/Tokyo' });
    expect(readFileSync(path, 'utf8')).toBe('"my task": { cron: "0 1 * * *", timezone: "Asia/Tokyo" } # q\nempty:\nz: "@daily"\n');
    await upsertSchedule(path, 'my task', '0 1 * * *', { timezone: null });
    expect(readFileSync(path, 'utf8')).toBe('"my task": "0 1 * * *" # q\nempty:\nz: "@daily"\n');
    await upsertSchedule(path, 'empty', '@hourly');
    expect(readFileSync(path, 'utf8')).toBe('"my task": "0 1 * * *" # q\nempty: "@hourly"\nz: "@daily"\n');
  });
});
