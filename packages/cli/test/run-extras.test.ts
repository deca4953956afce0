import { spawn, spawnSync } from 'node:child_process';
import { bin, Project } from './cli-harness';

// `script` (util-linux) runs a command on a pseudo-terminal.
const hasScript = spawnSync('script', ['--version']).status === 0;
if (!hasScript) console.warn('the terminal progress test is skipped: no `script` (util-linux) here');
const itWithPty = hasScript ? it : it.skip;

describe('task run extras', () => {
  it('--metrics-port serves /metrics while the run lasts, then closes', async () => {
    const project = new Project({ 'cascadence.config.mjs': `export default { tasks: ['./tasks.mjs'] };` });
    project.write('tasks.mjs', `
      export const slow = { kind: 'task', name: 'slow', run: () => new Promise((resolve) => setTimeout(() => resolve('done'), 1500)) };
    `);
    try {
      const child = spawn(process.execPath, [bin, 'run', 'slow', '--metrics-port', '0'], { cwd: project.dir });
      let stderr = '';
      let stdout = '';
      child.stderr.on('data', (c) => (stderr += c));
      child.stdout.on('data', (c) => (stdout += c));
      const url = await new Promise<string>((resolve, reject) => {
        const poll = setInterval(() => {
          const match = /metrics: (http:\/\/\S+)/.exec(stderr);
          if (match) {
            clearInterval(poll);
            resolve(match[1] as string);
          } else if (child.exitCode !== null) {
            clearInterval(poll);
            reject(new Error(stderr));
          }
        }, 20);
      });
      const during = await (await fetch(url)).text();
      expect(during).toMatch(/^tasks_in_progress\{[^}]*task="slow"[^}]*\} 1$/m);
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code).toBe(0);
      expect(stdout).toContain('"done"');
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
      const result = spawnSync('script', ['-q', '-e', '-c', `${process.execPath} ${bin} run staged`, '/dev/null'], { cwd: project.dir, encoding: 'utf8', timeout: 30_000 });
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
      const result = spawnSync('script', ['-q', '-e', '-c', `${process.execPath} ${bin} run etl`, '/dev/null'], { cwd: project.dir, encoding: 'utf8', timeout: 30_000 });
      expect(result.status).toBe(0);
      // Before: "  … running: load[etl/load] total is 20" stayed on screen.
      expect(result.stdout).not.toMatch(/running: load[^\r\n]*total is 20/);
      expect(result.stdout).toContain('\r\x1b[K[etl/load] total is 20\r\n\r\x1b[K  … running: load');
    } finally {
      project.remove();
    }
  });
});
