import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export const cliRoot = resolve(__dirname, '..');
export const bin = join(cliRoot, 'bin', 'run.js');
/** Workspace packages a test project can link into its node_modules, as `npm install` would. */
const packageDirs: Record<string, string> = {
  '@cascadence/core': resolve(cliRoot, '..', 'core'),
  '@cascadence/plugin-shell': resolve(cliRoot, '..', '..', 'plugins', 'plugin-shell'),
  '@cascadence/otel': resolve(cliRoot, '..', 'otel'),
};

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `task` binary as a child process, as a user would. */
export function task(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number }): Result {
  const child = spawnSync(process.execPath, [bin, ...args], {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    encoding: 'utf8',
    input: options.input,
    timeout: options.timeoutMs ?? 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: child.status, stdout: child.stdout, stderr: child.stderr };
}

/** A `task` process running in the background, for signals and long-running commands. */
export interface RunningTask {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** stdout and stderr, interleaved as they arrived. */
  output: () => string;
  /** Resolves with the first match of `pattern` in the output; rejects after `ms` or if the process ends first. */
  waitFor: (pattern: RegExp, ms?: number) => Promise<string>;
  /** Resolves with the exit code (null: killed by a signal); rejects if the process is still alive after `ms`. */
  exited: (ms?: number) => Promise<number | null>;
}

export function startTask(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): RunningTask {
  const child = spawn(process.execPath, [bin, ...args], { cwd: options.cwd, env: { ...process.env, NO_COLOR: '1', ...options.env } });
  let out = '';
  let err = '';
  let all = '';
  child.stdout?.on('data', (chunk) => ((out += chunk), (all += chunk)));
  child.stderr?.on('data', (chunk) => ((err += chunk), (all += chunk)));
  const waitFor = (pattern: RegExp, ms = 15_000) =>
    new Promise<string>((resolvePromise, reject) => {
      const started = Date.now();
      const poll = setInterval(() => {
        const match = all.match(pattern);
        if (match) {
          clearInterval(poll);
          resolvePromise(match[0]);
        } else if (Date.now() - started > ms || child.exitCode !== null || child.signalCode !== null) {
          clearInterval(poll);
          reject(new Error(`timed out waiting for ${pattern}; output so far:\n${all}`));
        }
      }, 25);
    });
  const exited = (ms = 30_000) =>
    new Promise<number | null>((resolvePromise, reject) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolvePromise(child.exitCode);
      const timer = setTimeout(() => reject(new Error(`still running after ${ms} ms; output so far:\n${all}`)), ms);
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolvePromise(code);
      });
    });
  return { child, stdout: () => out, stderr: () => err, output: () => all, waitFor, exited };
}

/** Whether process `pid` is alive (a zombie waiting to be reaped does not count). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Polls until `pid` is gone; false if it is still alive after `ms`. */
export async function waitUntilGone(pid: number, ms = 10_000): Promise<boolean> {
  const started = Date.now();
  while (Date.now() - started < ms) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !isAlive(pid);
}

/** A real project folder in the temp dir. */
export class Project {
  readonly dir = mkdtempSync(join(tmpdir(), 'cascadence-cli-'));

  constructor(files: Record<string, string> = {}) {
    for (const [path, content] of Object.entries(files)) this.write(path, content);
  }

  write(path: string, content: string): string {
    const file = join(this.dir, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
    return file;
  }

  /** Makes `@cascadence/core` resolvable from the project, as `npm install` would. */
  linkCore(): void {
    this.link('@cascadence/core');
  }

  /** Makes a workspace package resolvable from the project (a symlink in node_modules). */
  link(name: keyof typeof packageDirs): void {
    const target = join(this.dir, 'node_modules', ...name.split('/'));
    mkdirSync(dirname(target), { recursive: true });
    symlinkSync(packageDirs[name] as string, target, 'dir');
  }

  task(args: string[], env?: NodeJS.ProcessEnv, timeoutMs?: number): Result {
    return task(args, { cwd: this.dir, env, ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
  }

  start(args: string[], env?: NodeJS.ProcessEnv): RunningTask {
    return startTask(args, { cwd: this.dir, env });
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A project with a config, two tasks (one fails), a YAML flow and a plugin package. */
export function sampleProject(): Project {
  const project = new Project({
    'package.json': JSON.stringify({ name: 'sample', private: true, type: 'module', dependencies: { 'cascadence-plugin-greet': '1.0.0' } }),
    'cascadence.config.mjs': `export default { tasks: ['./tasks.mjs'] };\n`,
    'tasks.mjs': `
      import { defineTask, defineFlow } from '@cascadence/core';
      export const add = defineTask({ name: 'add', description: 'adds a and b', run: (_ctx, input) => (input?.a ?? 1) + (input?.b ?? 2) });
      export const boom = defineTask({ name: 'boom', description: 'always fails', run: () => { throw new Error('the boom task exploded'); } });
      export const pipeline = defineFlow({
        name: 'pipeline',
        description: 'adds, then doubles',
        steps: {
          first: { task: add },
          second: { task: 'add', with: { a: 10, b: 20 } },
          double: { needs: ['first', 'second'], run: (ctx) => (ctx.results.first + ctx.results.second) * 2 },
        },
      });
    `,
    'flows/report.yml': [
      '# a YAML flow using the plugin processor and a project task',
      'name: report',
      'description: shouts a greeting after adding',
      'steps:',
      '  sum:',
      '    task: add',
      '  shout:',
      '    uses: shout',
      '    with: { text: "report ready" }',
      '    needs: [sum]',
      '  broken-branch:',
      '    task: boom',
      '  cleanup:',
      '    task: add',
      '    needs: [broken-branch]',
      '    when: all-done',
      '',
    ].join('\n'),
    'node_modules/cascadence-plugin-greet/package.json': JSON.stringify({
      name: 'cascadence-plugin-greet',
      version: '1.0.0',
      type: 'module',
      main: 'index.js',
      cascadence: { apiVersion: 1, provides: ['task', 'processor'] },
    }),
    'node_modules/cascadence-plugin-greet/index.js': `
      import { definePlugin, defineTask, defineProcessor } from '@cascadence/core';
      export default definePlugin({
        name: 'cascadence-plugin-greet',
        apiVersion: 1,
        tasks: [defineTask({ name: 'greet', description: 'from a plugin', run: (_ctx, input) => 'hello ' + (input?.who ?? 'plugin') })],
        processors: [defineProcessor({ name: 'shout', options: { text: { type: 'string', required: true } }, run: (_ctx, o) => o.text.toUpperCase() + '!' })],
      });
    `,
  });
  project.linkCore();
  return project;
}
