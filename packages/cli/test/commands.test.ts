import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { cliRoot, Project, sampleProject } from './cli-harness';

let project: Project;
beforeAll(() => {
  project = sampleProject();
});
afterAll(() => project.remove());

describe('task list', () => {
  it('lists config tasks, YAML flows, plugin tasks and the built-in example, one per line', () => {
    const { code, stdout, stderr } = project.task(['list']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(['add', 'boom', 'example', 'greet', 'pipeline', 'report']);
    expect(lines[0]).toMatch(/^add\s+task\s+enabled\s+adds a and b$/);
    expect(lines[4]).toMatch(/^pipeline\s+flow\s+enabled\s+adds, then doubles$/);
  });

  it('--json prints { name, kind, enabled, description, source }', () => {
    const { code, stdout } = project.task(['list', '--json']);
    expect(code).toBe(0);
    const entries = JSON.parse(stdout) as Array<Record<string, unknown>>;
    expect(entries).toContainEqual({
      name: 'example',
      kind: 'task',
      enabled: true,
      description: expect.stringContaining('Built-in example'),
      source: 'builtin',
    });
    expect(entries).toContainEqual({
      name: 'greet',
      kind: 'task',
      enabled: true,
      description: 'from a plugin',
      source: 'cascadence-plugin-greet',
    });
    expect(entries).toContainEqual({
      name: 'report',
      kind: 'flow',
      enabled: true,
      description: 'shouts a greeting after adding',
      source: join('flows', 'report.yml'),
    });
    expect(entries).toContainEqual({ name: 'add', kind: 'task', enabled: true, description: 'adds a and b', source: 'tasks.mjs' });
  });
});

describe('task run', () => {
  it('runs the built-in example and prints its result and run id', () => {
    const { code, stdout, stderr } = project.task(['run', 'example', '--input', '{"name":"Ada"}']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^example succeeded in [\d.]+ ms \(run [0-9a-f-]{36}\)\n/);
    expect(stdout).toContain('"message": "Hello, Ada!"');
  });

  it('--json prints the whole RunResult', () => {
    const { code, stdout } = project.task(['run', 'add', '--input', '{"a": 40, "b": 2}', '--json']);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({
      task: 'add',
      status: 'succeeded',
      output: 42,
      steps: { add: { status: 'succeeded', attempts: 1, output: 42 } },
    });
  });

  it('reads --input-file and runs a flow, printing one line per step when stdout is not a terminal', () => {
    project.write('input.json', '{"a": 5, "b": 5}');
    const { code, stdout } = project.task(['run', 'pipeline', '--input-file', 'input.json']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/✓ first \(/);
    expect(stdout).toMatch(/✓ second \(/);
    expect(stdout).toMatch(/✓ double \(/);
    expect(stdout).toContain('pipeline succeeded in');
    expect(stdout).toContain('"double": 80');
  });

  it('a failing task exits 1 with one error line on stderr', () => {
    const { code, stdout, stderr } = project.task(['run', 'boom']);
    expect(code).toBe(1);
    expect(stderr).toBe('error: task "boom" failed: the boom task exploded\n');
    expect(stdout).toContain('boom failed in');
  });

  it('a YAML flow uses the plugin processor; a failing branch fails the run but cleanup still runs', () => {
    const { code, stdout, stderr } = project.task(['run', 'report', '--json']);
    expect(code).toBe(1);
    expect(stderr).toBe('error: flow "report" failed: the boom task exploded\n');
    const result = JSON.parse(stdout);
    expect(result.steps.shout).toMatchObject({ status: 'succeeded', output: 'REPORT READY!' });
    expect(result.steps['broken-branch']).toMatchObject({ status: 'failed', error: { message: 'the boom task exploded' } });
    expect(result.steps.cleanup).toMatchObject({ status: 'succeeded', output: 3 });
  });

  it('runs a plugin task', () => {
    const { code, stdout } = project.task(['run', 'greet', '--input', '{"who":"you"}']);
    expect(code).toBe(0);
    expect(stdout).toContain('"hello you"');
  });

  it.each([
    [['run', 'exampel'], 1, 'error: unknown task "exampel" (did you mean "example"?)'],
    [['run', 'add', '--input', '{oops'], 1, 'error: --input is not valid JSON:'],
    [['run', 'add', '--input-file', 'missing.json'], 1, 'error: --input-file missing.json: no such file'],
    [['run', 'add', '--backend', 'lokal'], 1, 'error: unknown backend "lokal" (did you mean "local"?)'],
    [['run'], 2, 'error: Missing 1 required arg: name Task or flow name'],
    [
      ['run', 'add', '--input', '1', '--input-file', 'x.json'],
      2,
      'error: The following errors occurred: --input-file=x.json cannot also be provided when using --input',
    ],
    [['run', 'add', '--nope'], 2, 'error: unknown flag "--nope"; run "task run --help" for the flags'],
    [['runn', 'add'], 2, 'error: unknown command "runn" (did you mean "run"?)'],
  ])('%j exits %i with "%s"', (args, exitCode, message) => {
    const { code, stderr } = project.task(args as string[]);
    expect(code).toBe(exitCode);
    expect(stderr.startsWith(message)).toBe(true);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('refuses an oversized input file without reading it into the task', () => {
    project.write('big.json', `"${'x'.repeat(10 * 1024 * 1024 + 10)}"`);
    const { code, stderr } = project.task(['run', 'add', '--input-file', 'big.json']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^error: --input-file big.json is \d+ bytes; the limit is 10485760 bytes/);
  });
});

describe('task disable / enable', () => {
  it('persists in .cascadence/, so the next process refuses to run the task until enabled', () => {
    expect(project.task(['disable', 'add'])).toMatchObject({ code: 0, stdout: 'add disabled\n' });
    const state = JSON.parse(readFileSync(join(project.dir, '.cascadence', 'tasks.json'), 'utf8'));
    expect(state).toEqual({ disabled: ['add'] });
    expect(project.task(['list']).stdout).toMatch(/^add\s+task\s+disabled/m);
    expect(project.task(['run', 'add'])).toMatchObject({ code: 1, stderr: 'error: task "add" is disabled\n' });
    expect(project.task(['enable', 'add'])).toMatchObject({ code: 0, stdout: 'add enabled\n' });
    expect(project.task(['run', 'add']).code).toBe(0);
  });

  it('unknown names are refused with a suggestion and the state file is untouched', () => {
    const file = join(project.dir, '.cascadence', 'tasks.json');
    const before = statSync(file).mtimeMs;
    expect(project.task(['disable', 'ad'])).toMatchObject({ code: 1, stderr: 'error: unknown task "ad" (did you mean "add"?)\n' });
    expect(statSync(file).mtimeMs).toBe(before);
  });

  it('a task-state lock held by another process: CASCADENCE_FILE_LOCKED naming .cascadence/tasks.json, exit 1, file untouched', async () => {
    const file = join(project.dir, '.cascadence', 'tasks.json');
    const before = readFileSync(file, 'utf8');
    // Another process (a `task disable` elsewhere, the UI) holding the lock for longer than the CLI waits (20 s).
    const files = resolve(cliRoot, '..', 'core', 'dist', 'files', 'index.cjs');
    const holder = spawn(process.execPath, [
      '-e',
      `require(${JSON.stringify(files)}).withFileLock(${JSON.stringify(file)}, async () => { console.log('held'); await new Promise((r) => setTimeout(r, 60000)); })`,
    ]);
    try {
      await new Promise<void>((resolveHeld, reject) => {
        holder.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('held') && resolveHeld());
        holder.on('exit', (code) => reject(new Error(`the holder exited (${code}) before taking the lock`)));
      });
      const { code, stdout, stderr } = project.task(['disable', 'add'], { CASCADENCE_DEBUG: '1' });
      expect(code).toBe(1);
      expect(stdout).toBe('');
      const lines = stderr.split('\n');
      const errorLine = lines.find((line) => line.startsWith('error: '));
      expect(errorLine).toMatch(
        new RegExp(
          `^error: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is locked by process ${holder.pid} on ${hostname()} \\(since [^)]+\\) \\(lock: .*tasks\\.json\\.lock\\); gave up after 20000 ms`,
        ),
      );
      // The code (printed with CASCADENCE_DEBUG): the file lock's, not the schedules file's CASCADENCE_SCHEDULES_LOCKED.
      expect(lines).toContain('code: CASCADENCE_FILE_LOCKED');
    } finally {
      holder.kill('SIGKILL');
    }
    expect(readFileSync(file, 'utf8')).toBe(before);
  }, 90_000);
});

describe('task graph', () => {
  it('prints Mermaid by default and DOT on request', () => {
    const mermaid = project.task(['graph', 'report']);
    expect(mermaid.code).toBe(0);
    expect(mermaid.stdout).toBe(
      [
        'flowchart TD',
        '  s0["sum<br/>task add"]',
        '  s1["shout<br/>uses shout"]',
        '  s2["broken-branch<br/>task boom"]',
        '  s3["cleanup<br/>task add"]',
        '  s0 --> s1',
        '  s2 -. all-done .-> s3',
        '',
      ].join('\n'),
    );
    const dot = project.task(['graph', 'pipeline', '--format', 'dot']);
    expect(dot.stdout).toContain('digraph "pipeline" {');
    expect(dot.stdout).toContain('"first" -> "double";');
    expect(project.task(['graph', 'pipeline', '--format', 'svg']).code).toBe(2);
  });
});

describe('help, version, plugins', () => {
  it('task --help lists the commands; task --version prints the version', () => {
    const help = project.task(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['list', 'run', 'enable', 'disable', 'graph', 'plugins'])
      expect(help.stdout).toMatch(new RegExp(`^  ${command}\\s`, 'm'));
    expect(project.task(['run', '--help']).stdout).toContain('--input-file');
    expect(project.task(['--version']).stdout).toMatch(/^@cascadence\/cli\/0\.1\.0 /);
  });

  it('task plugins works through @oclif/plugin-plugins', () => {
    const { code, stdout } = project.task(['plugins']);
    expect(code).toBe(0);
    expect(stdout).toContain('No plugins installed.');
  });
});
