import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export const cliRoot = resolve(__dirname, '..');
export const bin = join(cliRoot, 'bin', 'run.js');
const coreDir = resolve(cliRoot, '..', 'core');

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `task` binary as a child process, as a user would. */
export function task(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; input?: string }): Result {
  const child = spawnSync(process.execPath, [bin, ...args], {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    encoding: 'utf8',
    input: options.input,
    timeout: 60_000,
  });
  return { code: child.status, stdout: child.stdout, stderr: child.stderr };
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
    mkdirSync(join(this.dir, 'node_modules', '@cascadence'), { recursive: true });
    symlinkSync(coreDir, join(this.dir, 'node_modules', '@cascadence', 'core'), 'dir');
  }

  task(args: string[], env?: NodeJS.ProcessEnv): Result {
    return task(args, { cwd: this.dir, env });
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
