import { spawnSync } from 'node:child_process';
import { bin, Project } from './cli-harness';

// `script` (util-linux) runs a command on a pseudo-terminal.
const hasScript = spawnSync('script', ['--version']).status === 0;
if (!hasScript) console.warn('the terminal progress test is skipped: no `script` (util-linux) here');
const itWithPty = hasScript ? it : it.skip;

/** Runs the `task` binary on a pseudo-terminal (`script`); colour off unless `env` says otherwise. */
function onTerminal(args: string, cwd: string, env: NodeJS.ProcessEnv = { NO_COLOR: '1' }) {
  const { FORCE_COLOR: _force, NO_COLOR: _no, ...rest } = process.env;
  return spawnSync('script', ['-q', '-e', '-c', `${process.execPath} ${bin} ${args}`, '/dev/null'], {
    cwd,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...rest, ...env },
  });
}

describe('task run extras', () => {
  it('--metrics-port serves /metrics while the run lasts, then closes', async () => {
    const project = new Project({ 'cascadence.config.mjs': `export default { tasks: ['./tasks.mjs'] };` });
    project.write(
      'tasks.mjs',
      `
      export const slow = { kind: 'task', name: 'slow', run: () => new Promise((resolve) => setTimeout(() => resolve('done'), 1500)) };
    `,
    );
    try {
      const run = project.start(['run', 'slow', '--metrics-port', '0']);
      const url = (await run.waitFor(/metrics: http:\/\/\S+/)).replace('metrics: ', '');
      // The server listens (and its URL is printed) before history and tracing are opened and the
      // run starts: scrape until the run shows, as Prometheus would, within the task's 1.5 s.
      const inProgress = /^tasks_in_progress\{[^}]*task="slow"[^}]*\} 1$/m;
      let during = '';
      for (let tries = 0; tries < 60 && !inProgress.test(during); tries++) {
        if (tries > 0) await new Promise((r) => setTimeout(r, 25));
        during = await (await fetch(url)).text();
      }
      expect(during).toMatch(inProgress);
      expect(await run.exited()).toBe(0);
      expect(run.stdout()).toContain('"done"');
      await expect(fetch(url)).rejects.toThrow();
    } finally {
      project.remove();
    }
  });

  itWithPty('shows live progress on a terminal (run under `script`, which gives it a pty)', () => {
    const project = new Project({
      'cascadence.config.mjs': `export default { tasks: ['./tasks.mjs'] };`,
      'tasks.mjs': `
        import { defineFlow } from '@cascadence/core';
        const wait = (ms) => new Promise((r) => setTimeout(r, ms));
        export const staged = defineFlow({ name: 'staged', steps: {
          one: { run: async () => { await wait(150); return 1; } },
          two: { needs: ['one'], run: async () => { await wait(150); return 2; } },
        } });
      `,
    });
    project.linkCore();
    try {
      const result = onTerminal('run staged', project.dir);
      expect(result.status).toBe(0);
      expect(result.stdout).toContain('\r\x1b[K  … running: one');
      expect(result.stdout).toContain('\r\x1b[K  … running: two');
      expect(result.stdout).toMatch(/✓ one \(/);
      expect(result.stdout).toContain('staged succeeded in');
    } finally {
      project.remove();
    }
  });

  itWithPty('task log lines on a terminal are printed above the live status line, never glued onto it (issue 15 item 7)', () => {
    const project = new Project({
      'cascadence.config.mjs': `export default { tasks: ['./tasks.mjs'] };`,
      'tasks.mjs': `
        import { defineFlow } from '@cascadence/core';
        const wait = (ms) => new Promise((r) => setTimeout(r, ms));
        export const etl = defineFlow({ name: 'etl', steps: {
          load: { run: async (ctx) => { await wait(200); ctx.log.info('total is 20'); await wait(200); return 20; } },
        } });
      `,
    });
    project.linkCore();
    try {
      const result = onTerminal('run etl', project.dir);
      expect(result.status).toBe(0);
      // Before: "  … running: load[etl/load] total is 20" stayed on screen.
      expect(result.stdout).not.toMatch(/running: load[^\r\n]*total is 20/);
      expect(result.stdout).toContain('\r\x1b[K[etl/load] total is 20\r\n\r\x1b[K  … running: load');
    } finally {
      project.remove();
    }
  });

  describe('colour (issue 15 item 8)', () => {
    const failing = () => {
      const project = new Project({
        'cascadence.config.mjs': `export default { tasks: ['./tasks.mjs'] };`,
        'tasks.mjs': `
          import { defineFlow } from '@cascadence/core';
          export const mixed = defineFlow({ name: 'mixed', steps: { good: { run: () => 1 }, bad: { run: () => { throw new Error('bad step'); } } } });
        `,
      });
      project.linkCore();
      return project;
    };
    const RED_CROSS = '\x1b[31m✗\x1b[39m';
    const GREEN_TICK = '\x1b[32m✓\x1b[39m';

    itWithPty('on a terminal: ✓ green, ✗ red, error: red; NO_COLOR turns it off', () => {
      const project = failing();
      try {
        const coloured = onTerminal('run mixed', project.dir, {});
        expect(coloured.status).toBe(1);
        expect(coloured.stdout).toContain(RED_CROSS);
        expect(coloured.stdout).toContain(GREEN_TICK);
        expect(coloured.stdout).toContain('\x1b[31merror:\x1b[39m flow "mixed" failed');
        const off = onTerminal('run mixed', project.dir, { NO_COLOR: '1' });
        expect(off.stdout).toContain('✗ bad failed: bad step');
        expect(off.stdout).not.toMatch(/\x1b\[(3\d|2|1)m/);
      } finally {
        project.remove();
      }
    });

    it('in a pipe: none; FORCE_COLOR turns it on; never in --json; NO_COLOR wins over FORCE_COLOR', () => {
      const project = failing();
      try {
        const piped = project.task(['run', 'mixed'], { NO_COLOR: '', FORCE_COLOR: '' });
        expect(piped.code).toBe(1);
        expect(piped.stdout + piped.stderr).not.toContain('\x1b');
        const forced = project.task(['run', 'mixed'], { NO_COLOR: '', FORCE_COLOR: '1' });
        expect(forced.stdout).toContain(RED_CROSS);
        expect(forced.stderr).toMatch(/^\x1b\[31merror:\x1b\[39m /);
        const json = project.task(['run', 'mixed', '--json'], { NO_COLOR: '', FORCE_COLOR: '1' });
        expect(json.stdout).not.toContain('\x1b');
        expect(JSON.parse(json.stdout).status).toBe('failed');
        const both = project.task(['run', 'mixed'], { NO_COLOR: '1', FORCE_COLOR: '1' });
        expect(both.stdout + both.stderr).not.toContain('\x1b');
      } finally {
        project.remove();
      }
    });
  });
});
