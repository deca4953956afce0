import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bin, Project, type RunningTask } from './cli-harness';

/** A `task scheduler` child process whose output is collected as it arrives (the harness's startTask). */
function startScheduler(project: Project, args: string[] = []): RunningTask {
  return project.start(['scheduler', ...args]);
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) =>
    child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code)),
  );

function countingProject(): Project {
  return new Project({
    'cascadence.config.mjs': `export default { tasks: ['./tasks.mjs'] };`,
    'tasks.mjs': `
      import { appendFileSync } from 'node:fs';
      export const tick = { kind: 'task', name: 'tick', run: () => { appendFileSync(new URL('./ticks.log', import.meta.url), Date.now() + '\\n'); return 'tick'; } };
      export const tock = { kind: 'task', name: 'tock', run: () => 'tock' };
    `,
  });
}

const ticks = (project: Project) => {
  try {
    return readFileSync(join(project.dir, 'ticks.log'), 'utf8').trim().split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
};

describe('task schedule / unschedule / schedules', () => {
  it('writes schedules.yml, keeps the short form and comments, upserts without duplicates', () => {
    const project = countingProject();
    try {
      project.write('schedules.yml', '# nightly things\ntock: "0 3 * * *" # keep me\n');
      expect(project.task(['schedule', 'tick', '*/5 * * * *']).stdout).toMatch(
        /^tick scheduled "\*\/5 \* \* \* \*" \(UTC\); next run \d{4}-/,
      );
      expect(project.task(['schedule', 'tick', '0 12 * * *', '--timezone', 'Europe/Paris']).code).toBe(0);
      const file = readFileSync(join(project.dir, 'schedules.yml'), 'utf8');
      expect(file).toContain('# nightly things\ntock: "0 3 * * *" # keep me\n');
      expect(file.match(/^tick:/gm)).toHaveLength(1);
      expect(file).toBe('# nightly things\ntock: "0 3 * * *" # keep me\ntick: { cron: "0 12 * * *", timezone: "Europe/Paris" }\n');
      const list = JSON.parse(project.task(['schedules', '--json']).stdout);
      expect(list).toEqual([
        expect.objectContaining({ task: 'tock', cron: '0 3 * * *', timezone: 'UTC', paused: false, known: true, enabled: true }),
        expect.objectContaining({ task: 'tick', cron: '0 12 * * *', timezone: 'Europe/Paris' }),
      ]);
      expect(project.task(['unschedule', 'tick'])).toMatchObject({ code: 0, stdout: 'tick unscheduled\n' });
      expect(readFileSync(join(project.dir, 'schedules.yml'), 'utf8')).toBe('# nightly things\ntock: "0 3 * * *" # keep me\n');
    } finally {
      project.remove();
    }
  });

  it('lists a 150,000-entry file (it overflowed the stack measuring column widths), edits it byte-preserving (issue 21)', () => {
    const project = countingProject();
    try {
      const lines = ['# many schedules'];
      for (let i = 0; i < 150_000; i++) lines.push(`job-${i}: "${i % 2 === 0 ? '0 3 * * *' : '*/5 * * * *'}"`);
      const original = `${lines.join('\n')}\n`;
      project.write('schedules.yml', original);
      const listed = project.task(['schedules']);
      expect(listed.code).toBe(0);
      const rows = listed.stdout.split('\n').filter(Boolean);
      expect(rows).toHaveLength(150_000);
      expect(rows[149_999]).toMatch(/^job-149999 {2}"\*\/5 \* \* \* \*" {2}UTC {2}next \d{4}-.* {2}last - {2}\(unknown task\)$/);
      expect(project.task(['schedule', 'tick', '0 4 * * *']).code).toBe(0);
      expect(readFileSync(join(project.dir, 'schedules.yml'), 'utf8')).toBe(`${original}tick: "0 4 * * *"\n`);
      expect(project.task(['unschedule', 'tick']).code).toBe(0);
      expect(readFileSync(join(project.dir, 'schedules.yml'), 'utf8')).toBe(original);
    } finally {
      project.remove();
    }
  });

  it('bad expressions, unknown tasks and corrupt files are refused and the file stays byte-for-byte the same', () => {
    const project = countingProject();
    try {
      const original = 'tock: "0 3 * * *"\n';
      project.write('schedules.yml', original);
      const cases: Array<[string[], RegExp]> = [
        [
          ['schedule', 'tick', '61 * * * *'],
          /^error: invalid cron expression "61 \* \* \* \*": minute field "61" is out of range \(0-59\)\n$/,
        ],
        [['schedule', 'tick', '* * *'], /^error: invalid cron expression "\* \* \*"/],
        [['schedule', 'tick', 'every day'], /^error: invalid cron expression "every day"/],
        [['schedule', 'tick', '0 1 * * *', '--timezone', 'Mars/Olympus'], /^error: .*Mars\/Olympus/],
        [['schedule', 'tik', '0 1 * * *'], /^error: unknown task "tik" \(did you mean "tick"\?\)\n$/],
        [['unschedule', 'tick'], /^error: no schedule for task "tick" in .*schedules\.yml/],
      ];
      for (const [args, message] of cases) {
        const { code, stderr } = project.task(args);
        expect({ args, code }).toEqual({ args, code: 1 });
        expect(stderr).toMatch(message);
        expect(readFileSync(join(project.dir, 'schedules.yml'), 'utf8')).toBe(original);
      }
      const corrupt = 'tock: "0 3 * * *"\nbad: [unclosed\n';
      project.write('schedules.yml', corrupt);
      const { code, stderr } = project.task(['schedule', 'tick', '0 1 * * *']);
      expect(code).toBe(1);
      expect(stderr).toMatch(
        /^error: .*schedules\.yml:3:1: cannot parse the schedules file: .*\(the file was not changed; fix it by hand\)\n$/,
      );
      expect(readFileSync(join(project.dir, 'schedules.yml'), 'utf8')).toBe(corrupt);
    } finally {
      project.remove();
    }
  });

  it('20 task schedule processes started at once all end up in the file', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `job${i}`);
    const project = new Project({
      'cascadence.config.mjs': `export default { tasks: ['./tasks.mjs'] };`,
      'tasks.mjs': names.map((n) => `export const ${n} = { kind: 'task', name: '${n}', run: () => 1 };`).join('\n'),
    });
    try {
      const codes = await Promise.all(
        names.map(
          (name, i) =>
            new Promise<number | null>((resolve) => {
              const child = spawn(process.execPath, [bin, 'schedule', name, `${i} * * * *`], { cwd: project.dir, stdio: 'ignore' });
              child.on('exit', resolve);
            }),
        ),
      );
      expect(codes).toEqual(names.map(() => 0));
      const list = JSON.parse(project.task(['schedules', '--json']).stdout) as Array<{ task: string; cron: string }>;
      expect(list.map((s) => s.task).sort()).toEqual([...names].sort());
      for (const [i, name] of names.entries()) expect(list.find((s) => s.task === name)?.cron).toBe(`${i} * * * *`);
    } finally {
      project.remove();
    }
  });
});

describe('task scheduler', () => {
  jest.setTimeout(60_000);

  it('fires schedules, picks up edits and disables without a restart, survives a restart, and stops cleanly on SIGTERM', async () => {
    const project = countingProject();
    try {
      expect(project.task(['schedule', 'tick', '* * * * * *']).code).toBe(0);
      const first = startScheduler(project);
      await first.waitFor(/scheduler started with 1 schedule/);
      await first.waitFor(/tick succeeded[\s\S]*tick succeeded/);
      expect(ticks(project)).toBeGreaterThanOrEqual(2);

      // Disabled from another process: firing stops without a restart.
      expect(project.task(['disable', 'tick']).code).toBe(0);
      await new Promise((r) => setTimeout(r, 1500));
      const whileDisabled = ticks(project);
      await new Promise((r) => setTimeout(r, 2000));
      expect(ticks(project)).toBe(whileDisabled);
      expect(project.task(['enable', 'tick']).code).toBe(0);

      // A schedule added from another process is picked up.
      expect(project.task(['schedule', 'tock', '* * * * * *']).code).toBe(0);
      await first.waitFor(/tock succeeded/);
      first.child.kill('SIGTERM');
      expect(await exited(first.child)).toBe(0);
      expect(first.output()).toMatch(
        /SIGTERM received: stopping \(waiting up to 30\.00 s for running tasks — send SIGTERM again to force\)\n.*stopped cleanly\n/,
      );

      // A new scheduler process restores the schedules from the file.
      const before = ticks(project);
      const second = startScheduler(project);
      await second.waitFor(/scheduler started with 2 schedules/);
      await second.waitFor(/tick succeeded/);
      expect(ticks(project)).toBeGreaterThan(before);
      second.child.kill('SIGINT');
      expect(await exited(second.child)).toBe(0);

      // Every run the schedulers logged is in the run history, as fired by its schedule entry.
      const logged = (first.output() + second.output()).match(/^\S+ (tick|tock) succeeded in /gm) ?? [];
      const recorded = JSON.parse(project.task(['runs', '--trigger', 'schedule', '--json', '--limit', '1000']).stdout) as Array<{
        task: string;
        schedule: string;
        status: string;
      }>;
      expect(recorded).toHaveLength(logged.length);
      expect(recorded.every((run) => run.schedule === run.task && run.status === 'succeeded')).toBe(true);
    } finally {
      project.remove();
    }
  });

  it('serves Prometheus metrics while it runs', async () => {
    const project = countingProject();
    try {
      expect(project.task(['schedule', 'tick', '* * * * * *']).code).toBe(0);
      const scheduler = startScheduler(project, ['--metrics-port', '0']);
      const url = (await scheduler.waitFor(/metrics at http:\/\/[^\s]+/)).replace('metrics at ', '');
      await scheduler.waitFor(/tick succeeded[\s\S]*tick succeeded/);
      const text = await (await fetch(url)).text();
      expect(text).toMatch(/^task_success_total\{[^}]*task="tick"[^}]*\} [2-9]\d*$|^task_success_total\{[^}]*task="tick"[^}]*\} \d{2,}$/m);
      expect(text).toMatch(/^schedule_fires_total\{[^}]*task="tick"[^}]*\} \d+$/m);
      scheduler.child.kill('SIGTERM');
      expect(await exited(scheduler.child)).toBe(0);
      await expect(fetch(url)).rejects.toThrow();
    } finally {
      project.remove();
    }
  });
});

describe('schedules.yml integrity through the CLI (issue 14)', () => {
  it("prints the entry's own zone and real next run; follows symlinks; keeps BOM, CRLF and comments", () => {
    const project = countingProject();
    try {
      project.write('schedules.yml', 'tick: { cron: "0 10 1 1 *", timezone: "America/New_York" }\n');
      const out = project.task(['schedule', 'tick', '0 10 1 1 *']);
      expect(out.code).toBe(0);
      // 10:00 in New York on 1 January is 15:00Z (not 10:00Z in UTC).
      expect(out.stdout).toMatch(/^tick scheduled "0 10 1 1 \*" \(America\/New_York\); next run \d{4}-01-01T15:00:00\.000Z\n$/);

      // A symlinked schedules.yml (dotfile manager): written at the target, the link stays.
      mkdirSync(join(project.dir, 'dotfiles'));
      const target = join(project.dir, 'dotfiles', 'schedules.yml');
      writeFileSync(target, Buffer.from('\uFEFF# managed elsewhere\r\ntock: "0 3 * * *"\r\n', 'utf8'));
      rmSync(join(project.dir, 'schedules.yml'));
      symlinkSync('dotfiles/schedules.yml', join(project.dir, 'schedules.yml'));
      expect(project.task(['schedule', 'tick', '*/5 * * * *']).code).toBe(0);
      expect(lstatSync(join(project.dir, 'schedules.yml')).isSymbolicLink()).toBe(true);
      expect(readFileSync(target, 'utf8')).toBe('\uFEFF# managed elsewhere\r\ntock: "0 3 * * *"\r\ntick: "*/5 * * * *"\r\n');
      expect(project.task(['unschedule', 'tick']).code).toBe(0);
      expect(readFileSync(target, 'utf8')).toBe('\uFEFF# managed elsewhere\r\ntock: "0 3 * * *"\r\n');
    } finally {
      project.remove();
    }
  });

  it('refuses read-only files, folders, shared anchors and bad steps with one error line naming the problem; nothing changes', () => {
    const project = countingProject();
    try {
      const path = join(project.dir, 'schedules.yml');
      project.write('schedules.yml', 'tock: "0 3 * * *"\n');
      chmodSync(path, 0o444);
      let result = project.task(['schedule', 'tick', '0 1 * * *']);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `error: ${path} is read-only (mode 0444); nothing was written. Make it writable (chmod u+w) to let Cascadence edit it\n`,
      );
      expect(readFileSync(path, 'utf8')).toBe('tock: "0 3 * * *"\n');
      chmodSync(path, 0o644);

      const anchored = 'tick: &base { cron: "0 1 * * *" }\ntock: *base\n';
      project.write('schedules.yml', anchored);
      result = project.task(['unschedule', 'tick']);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /^error: .*schedules\.yml:1:1: cannot remove schedule "tick": its value carries the anchor &base, which "tock" uses through the alias \*base \(line 2\)/,
      );
      result = project.task(['schedule', 'tick', '*/60 * * * * *']);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^error: invalid cron expression "\*\/60 \* \* \* \* \*": second field "\*\/60" has a step of 60/);
      expect(readFileSync(path, 'utf8')).toBe(anchored);

      rmSync(path);
      mkdirSync(path);
      for (const args of [['schedule', 'tick', '0 1 * * *'], ['schedules'], ['unschedule', 'tick']]) {
        result = project.task(args);
        expect({ args, code: result.code }).toEqual({ args, code: 1 });
        expect(result.stderr).toBe(`error: ${path}: cannot read the schedules file: it is a directory, not a file\n`);
      }
    } finally {
      project.remove();
    }
  });

  it('task schedules warns about a corrupt state file and still lists the schedules (like task scheduler)', () => {
    const project = countingProject();
    try {
      project.write('schedules.yml', 'tock: "0 3 * * *"\n');
      project.write('.cascadence/schedules.state.json', '{ "version": 1, "schedules": { oops');
      const result = project.task(['schedules', '--json']);
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(
        /^warning: .*schedules\.state\.json:1:\d+: cannot parse the schedule state file: .*; last runs are not shown\n$/,
      );
      expect(JSON.parse(result.stdout)).toEqual([expect.objectContaining({ task: 'tock', cron: '0 3 * * *', lastRun: null })]);
    } finally {
      project.remove();
    }
  });
});
