/**
 * `task run --backend temporal` as its users meet it, with the built binary as a process against a
 * real dev server: the workflow id line at start, step lines from the workflow's state query while
 * it runs, no silent wait when no worker polls the queue, and a first Ctrl-C that cancels.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { TemporalBackend } from '@cascadence/temporal';
import { findTemporalBinary, startDevServer, type DevServer } from '@cascadence/temporal/testing';
import { bin, Project } from './cli-harness';

jest.setTimeout(180_000);

const binary = process.env.TEMPORAL_BIN ?? findTemporalBinary();
if (binary === undefined && process.env.CI === 'true') throw new Error('no temporal binary (CI=true: a missing server fails the run)');
const describeWithServer = binary === undefined ? describe.skip : describe;

const TASKS = `
  import { defineFlow, defineTask } from '@cascadence/core';
  export const double = defineTask({ name: 'double', run: (_ctx, n) => n * 2 });
  export const slow = defineFlow({
    name: 'slow',
    steps: {
      quick: { run: () => 'fast' },
      wait: { needs: ['quick'], run: (ctx) => new Promise((resolve, reject) => {
        const timer = setTimeout(() => resolve('late'), 60_000);
        ctx.signal.addEventListener('abort', () => { clearTimeout(timer); reject(ctx.signal.reason); });
      }) },
    },
  });
  export const chain = defineFlow({
    name: 'chain',
    steps: {
      one: { run: () => 1 },
      two: { needs: ['one'], run: (ctx) => ctx.results.one + 1 },
      bad: { run: () => { throw new Error('bad \\u001b[31mstep') } },
      after: { needs: ['bad'], run: () => 'never' },
      quiet: { run: (ctx) => ctx.skip('nothing \\u001b[2Jnew') },
    },
  });
`;

/** A running `task` process whose output can be waited on. */
class Running {
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (c) => (this.stdout += c));
    child.stderr!.on('data', (c) => (this.stderr += c));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  async waitFor(pattern: RegExp, stream: 'stdout' | 'stderr'): Promise<void> {
    for (let i = 0; i < 1200; i++) {
      if (pattern.test(this[stream])) return;
      if (this.child.exitCode !== null) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`never saw ${pattern} on ${stream}:\nstdout: ${this.stdout}\nstderr: ${this.stderr}`);
  }
}

function start(project: Project, args: string[], env: NodeJS.ProcessEnv = {}): Running {
  return new Running(spawn(process.execPath, [bin, ...args], { cwd: project.dir, env: { ...process.env, NO_COLOR: '1', ...env } }));
}

describeWithServer('task run --backend temporal: id, progress, no silent waits, Ctrl-C', () => {
  let server: DevServer;
  let project: Project;
  let worker: Running;
  const queue = `run-${process.pid}`;
  const nobody = `nobody-polls-${process.pid}`;

  beforeAll(async () => {
    server = await startDevServer({ binary });
    project = new Project({
      'package.json': JSON.stringify({ name: 'temporal-run-test', private: true, type: 'module' }),
      'cascadence.config.mjs': `export default { tasks: ['./tasks.mjs'], temporal: { address: ${JSON.stringify(server.address)}, taskQueue: ${JSON.stringify(queue)} } };`,
      'tasks.mjs': TASKS,
    });
    project.linkCore();
    worker = start(project, ['worker']);
    await worker.waitFor(/worker polling task queue/, 'stdout');
  });

  afterAll(async () => {
    // `task worker` without --verbose: the SDK's INFO blocks ("Worker state changed {...}") are gone;
    // anything it still says is one escaped `[temporal] warn|error:` line.
    expect(worker.stdout + worker.stderr).not.toContain('Worker state changed');
    for (const line of worker.stderr.split('\n').filter(Boolean)) expect(line).toMatch(/^\[temporal\] (warn|error): /);
    worker?.child.kill('SIGTERM');
    await worker?.exited;
    project?.remove();
    await server?.stop();
  });

  async function status(workflowId: string): Promise<string> {
    const backend = new TemporalBackend({ address: server.address, taskQueue: queue });
    try {
      return (await (await backend.getHandle(workflowId)).describe()).status;
    } finally {
      await backend.close();
    }
  }

  it('prints the workflow id line at start and one line per step; --json stays the RunResult', () => {
    const run = project.task(['run', 'chain', '--backend', 'temporal']);
    expect(run.code).toBe(1);
    const idLine =
      /^temporal: workflow "(cascadence-chain-[0-9a-f-]+)" run "([0-9a-f-]+)" in namespace "default" on task queue "run-\d+" \(127\.0\.0\.1:\d+\)$/m.exec(
        run.stderr,
      );
    expect(idLine).not.toBeNull();
    // Each step exactly once; the untrusted error text is escaped.
    // A step that skipped itself shows its reason, escaped (issue 19); the others their skip reason.
    for (const line of [
      '  ✓ one',
      '  ✓ two',
      '  ✗ bad failed: bad \\e[31mstep',
      '  - after skipped (upstream-failed)',
      '  - quiet skipped (self: nothing \\e[2Jnew)',
    ]) {
      expect(run.stdout.split('\n').filter((l) => l.startsWith(line))).toHaveLength(1);
    }
    expect(run.stdout).not.toContain('\x1b');
    expect(run.stderr).toMatch(/^error: flow "chain" failed: bad \\e\[31mstep$/m);
    const runId = /\(run ([0-9a-f-]+)\)/.exec(run.stdout)?.[1];
    expect(idLine?.[1]).toBe(`cascadence-chain-${runId}`);

    // Findable with Temporal's own CLI by flow name (search attribute CascadenceTask).
    let listed = '';
    for (let i = 0; i < 100 && !listed.includes(idLine?.[1] as string); i++) {
      listed = spawnSync(
        binary as string,
        ['workflow', 'list', '--address', server.address, '-q', 'CascadenceTask="chain"', '--output', 'json'],
        { encoding: 'utf8' },
      ).stdout;
      spawnSync('sleep', ['0.2']);
    }
    expect(listed).toContain(idLine?.[1] as string);

    const json = project.task(['run', 'chain', '--backend', 'temporal', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({
      status: 'failed',
      steps: { one: { status: 'succeeded', output: 1 }, after: { status: 'skipped' } },
    });
    expect(json.stdout).not.toContain('✓');
  });

  it('shows step lines while the flow runs, and the first Ctrl-C cancels the workflow and says so', async () => {
    const run = start(project, ['run', 'slow', '--backend', 'temporal']);
    await run.waitFor(/✓ quick/, 'stdout'); // printed while `wait` still runs: live, from the state query
    const workflowId = /temporal: workflow "([^"]+)"/.exec(run.stderr)?.[1] as string;
    expect(await status(workflowId)).toBe('RUNNING');
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(130); // interrupted, not failed (exit codes: packages/cli/README.md)
    expect(run.stderr).toContain(`temporal: cancelling workflow "${workflowId}"`);
    expect(run.stdout).toMatch(/⊘ wait cancelled/);
    expect(run.stderr).toMatch(/^error: flow "slow" (was )?cancelled/m);
    expect(await status(workflowId)).toBe('CANCELLED');
    expect(run.stderr).not.toContain('no worker'); // it ran past the grace period with a worker polling
  });

  it('says when no worker polls the queue, and --wait-for-worker gives up (terminating the run)', async () => {
    const run = project.task(['run', 'double', '--input', '2', '--backend', 'temporal', '--wait-for-worker', '3'], {
      TEMPORAL_TASK_QUEUE: nobody,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `temporal: no worker is polling task queue "${nobody}" — start \`task worker\` (with --task-queue ${nobody}); waiting up to 3 s (--wait-for-worker)`,
    );
    expect(run.stderr).toMatch(
      new RegExp(
        `^error: task "double" did not start: no worker polled task queue "${nobody}" within 3 s \\(--wait-for-worker\\); workflow "cascadence-double-[0-9a-f-]+" terminated`,
        'm',
      ),
    );
    const workflowId = /temporal: workflow "([^"]+)"/.exec(run.stderr)?.[1] as string;
    expect(await status(workflowId)).toBe('TERMINATED');
  });

  it('without --wait-for-worker it keeps waiting (saying so) until Ctrl-C, which cancels', async () => {
    const run = start(project, ['run', 'double', '--input', '2', '--backend', 'temporal'], { TEMPORAL_TASK_QUEUE: nobody });
    await run.waitFor(/no worker is polling task queue .* waiting for one \(Ctrl-C cancels\)/, 'stderr');
    expect(run.child.exitCode).toBeNull();
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(1);
    const workflowId = /temporal: workflow "([^"]+)"/.exec(run.stderr)?.[1] as string;
    expect(run.stderr).toContain(`temporal: cancelling workflow "${workflowId}"`);
    expect(run.stderr).toMatch(/^error: task "double" cancelled before any worker picked it up: workflow "[^"]+" stays cancel-requested/m);
    // A worker that starts later finds the cancel request and ends the run as cancelled.
    const late = start(project, ['worker', '--task-queue', nobody]);
    try {
      await late.waitFor(/worker polling task queue/, 'stdout');
      let last = '';
      for (let i = 0; i < 100 && last !== 'CANCELLED'; i++) {
        last = await status(workflowId);
        if (last !== 'CANCELLED') await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(last).toBe('CANCELLED');
    } finally {
      late.child.kill('SIGTERM');
      await late.exited;
    }
  });

  it('task replay prints its verdict alone; --verbose adds the SDK logs, one line each', () => {
    const fixture = path.resolve(__dirname, '..', '..', 'temporal', 'test', 'fixtures', 'histories', 'diamond.json');
    const quiet = project.task(['replay', fixture]);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
    expect(quiet.stdout).toMatch(/^replay ok: .*diamond\.json \(cascadenceFlow\), \d+ events replayed deterministically[^\n]*\n$/);
    const verbose = project.task(['replay', '--verbose', fixture]);
    expect(verbose.code).toBe(0);
    expect(verbose.stderr).toMatch(/^\[temporal\] info: Worker state changed sdkComponent=worker taskQueue=\S+ state=RUNNING$/m);
    for (const line of verbose.stderr.split('\n').filter(Boolean)) expect(line).toMatch(/^\[temporal\] (debug|info|warn|error): /);
  });

  it('task worker --verbose logs worker state changes as single lines', async () => {
    const verbose = start(project, ['worker', '--verbose', '--task-queue', `verbose-${process.pid}`]);
    await verbose.waitFor(/^\[temporal\] info: Worker state changed .*state=RUNNING$/m, 'stderr');
    verbose.child.kill('SIGTERM');
    expect(await verbose.exited).toBe(0);
    expect(verbose.stderr).toMatch(/state=STOPPED$/m);
    for (const line of verbose.stderr.split('\n').filter(Boolean)) expect(line).toMatch(/^\[temporal\] (debug|info|warn|error): /);
  });
});
