import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findTemporalBinary, HOW_TO_GET_A_SERVER, startDevServer, type DevServer } from '@cascadence/temporal/testing';
import { bin, Project } from './cli-harness';

jest.setTimeout(120_000);

// A real Temporal dev server (scripts/ensure-temporal.sh builds one). Without one the tests say how
// to get it and are skipped — except under CI=true, where a missing server fails the run.
const binary = process.env.TEMPORAL_BIN ?? findTemporalBinary();
if (binary === undefined) {
  const message = `[cli temporal tests] no temporal binary: ${HOW_TO_GET_A_SERVER}`;
  if (process.env.CI === 'true') throw new Error(`${message} (CI=true: a missing server fails the run)`);
  console.warn(`${message}\nskipping.`);
}
const describeWithServer = binary === undefined ? describe.skip : describe;

function flowProject(address: string, taskQueue: string): Project {
  return new Project({
    'package.json': JSON.stringify({ name: 'temporal-cli-test', private: true, type: 'module' }),
    'cascadence.config.mjs': `export default { tasks: ['./tasks.mjs'], temporal: { address: ${JSON.stringify(address)}, taskQueue: ${JSON.stringify(taskQueue)} } };`,
    'tasks.mjs': `
      import { defineFlow, defineTask } from '@cascadence/core';
      export const double = defineTask({ name: 'double', run: (_ctx, n) => n * 2 });
      export const touch = defineTask({ name: 'touch', run: async () => { (await import('node:fs')).writeFileSync(new URL('./touched', import.meta.url), 'ran'); return 'touched'; } });
      export const slow = defineFlow({
        name: 'slow',
        steps: {
          wait: {
            run: async (ctx) => {
              (await import('node:fs')).writeFileSync(new URL('./slow-started', import.meta.url), 'yes');
              await new Promise((resolve) => { const timer = setTimeout(resolve, 120000); ctx.signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }); });
              return 'done';
            },
          },
        },
      });
      export const guarded = defineFlow({
        name: 'guarded',
        steps: {
          first: { task: touch },
          after: { needs: ['first'], run: () => 'after' },
          cleanup: { needs: ['first'], when: 'all-done', run: () => 'cleaned' },
        },
      });
      export const diamond = defineFlow({
        name: 'diamond',
        steps: {
          a: { run: () => 1 },
          b: { needs: ['a'], run: (ctx) => ctx.results.a + 10 },
          c: { needs: ['a'], run: async (ctx) => ctx.results.a + 100 },
          d: { needs: ['b', 'c'], run: (ctx) => ctx.results.b + ctx.results.c },
          bad: { run: () => { throw new Error('bad step'); } },
          skipped: { needs: ['bad'], run: () => 'never' },
          cleanup: { needs: ['bad'], when: 'all-done', run: () => 'cleaned' },
        },
      });
    `,
  });
}

function startWorker(project: Project, env: NodeJS.ProcessEnv): { child: ChildProcess; ready: Promise<void>; output: () => string } {
  const child = spawn(process.execPath, [bin, 'worker'], { cwd: project.dir, env: { ...process.env, ...env } });
  let text = '';
  child.stdout.on('data', (c) => (text += c));
  child.stderr.on('data', (c) => (text += c));
  const ready = new Promise<void>((resolve, reject) => {
    const poll = setInterval(() => {
      if (/worker polling task queue/.test(text)) {
        clearInterval(poll);
        resolve();
      } else if (child.exitCode !== null) {
        clearInterval(poll);
        reject(new Error(`worker exited: ${text}`));
      }
    }, 50);
  });
  return { child, ready, output: () => text };
}

describeWithServer('task CLI on a real Temporal dev server', () => {
  let server: DevServer;
  let project: Project;
  let worker: ReturnType<typeof startWorker>;

  beforeAll(async () => {
    server = await startDevServer({ binary });
    project = flowProject(server.address, `cli-${process.pid}`);
    project.linkCore();
    worker = startWorker(project, {});
    await worker.ready;
  });

  afterAll(async () => {
    worker?.child.kill('SIGTERM');
    project?.remove();
    await server?.stop();
  });

  it('task run --backend temporal gives the same result as the local backend', () => {
    const local = project.task(['run', 'diamond', '--json']);
    const remote = project.task(['run', 'diamond', '--json', '--backend', 'temporal']);
    expect(local.code).toBe(1);
    expect(remote.code).toBe(1);
    // stderr: the workflow id line (temporal-run.test.ts), then the error.
    expect(remote.stderr).toMatch(
      /^temporal: workflow "cascadence-diamond-[^"]+" run "[^"]+" in namespace "default" on task queue "[^"]+" \([^)]+\)\nerror: flow "diamond" failed: bad step\n$/,
    );
    const shape = (stdout: string) => {
      const result = JSON.parse(stdout);
      return {
        status: result.status,
        steps: Object.fromEntries(
          Object.entries(
            result.steps as Record<string, { status: string; output: unknown; attempts: number; error?: { message: string } }>,
          ).map(([id, s]) => [id, { status: s.status, output: s.output, attempts: s.attempts, error: s.error?.message }]),
        ),
      };
    };
    expect(shape(remote.stdout)).toEqual(shape(local.stdout));
    expect(shape(remote.stdout).steps.d).toEqual({ status: 'succeeded', output: 112, attempts: 1, error: undefined });

    const task = project.task(['run', 'double', '--input', '21', '--backend', 'temporal', '--json']);
    expect(task.code).toBe(0);
    expect(JSON.parse(task.stdout).output).toBe(42);
  });

  it('records Temporal runs in the run history, and task retry reruns only the failed steps on Temporal', () => {
    const remote = project.task(['run', 'diamond', '--backend', 'temporal', '--json']);
    expect(remote.code).toBe(1);
    const runId = JSON.parse(remote.stdout).runId as string;
    const show = JSON.parse(project.task(['show', runId, '--json']).stdout);
    expect(show.run).toMatchObject({
      id: runId,
      backend: 'temporal',
      workflowId: `cascadence-diamond-${runId}`,
      status: 'failed',
      failedStep: 'bad',
      trigger: 'cli',
    });
    expect(show.run.workflowRunId).toMatch(/\S+/);
    const steps = Object.fromEntries(show.steps.map((s: { step: string }) => [s.step, s]));
    expect(steps.d).toMatchObject({ status: 'succeeded', output: { state: 'ok', json: '112' } });
    expect(steps.skipped).toMatchObject({ status: 'skipped' });

    // The retry starts a new workflow seeded with the recorded outputs: a-d do not run again.
    const retry = project.task(['retry', runId, '--json']);
    expect(retry.code).toBe(1);
    const result = JSON.parse(retry.stdout);
    expect(result.steps.a).toMatchObject({ status: 'succeeded', output: 1, attempts: 0 });
    expect(result.steps.d).toMatchObject({ status: 'succeeded', output: 112, attempts: 0 });
    expect(result.steps.bad).toMatchObject({ status: 'failed', attempts: 1 });
    expect(result.steps.cleanup).toMatchObject({ status: 'succeeded', output: 'cleaned', attempts: 1 });
    const recorded = JSON.parse(project.task(['show', result.runId, '--json']).stdout);
    expect(recorded.run).toMatchObject({ backend: 'temporal', trigger: 'retry', retryOf: runId });
  });

  it('a history exported with the temporal CLI replays cleanly with task replay', () => {
    const run = JSON.parse(project.task(['run', 'double', '--input', '2', '--backend', 'temporal', '--json']).stdout);
    const workflowId = `cascadence-double-${run.runId}`;
    const show = spawnSync(
      binary as string,
      ['workflow', 'show', '--workflow-id', workflowId, '--address', server.address, '--output', 'json'],
      { encoding: 'utf8' },
    );
    expect(show.status).toBe(0);
    writeFileSync(join(project.dir, 'history.json'), show.stdout);
    const replay = project.task(['replay', 'history.json']);
    expect(replay.stderr).not.toMatch(/error/i);
    expect(replay.code).toBe(0);
    expect(replay.stdout).toMatch(/^replay ok: /);
    expect(project.task(['replay', 'nope.json'])).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^error: no such history file: .*nope\.json\n$/),
    });
  });

  it('a server that is down fails fast with an error naming the address', () => {
    const started = Date.now();
    const { code, stderr } = project.task(['run', 'double', '--input', '1', '--backend', 'temporal'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^error: cannot connect to Temporal at 127\.0\.0\.1:1 /);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('a disabled task as a flow step is skipped with reason disabled, never run, as on the local backend', () => {
    expect(project.task(['disable', 'touch']).code).toBe(0);
    try {
      for (const backend of ['temporal', 'local']) {
        const { code, stdout, stderr } = project.task(['run', 'guarded', '--backend', backend, '--json']);
        // On Temporal the first stderr line names the workflow (and nothing else is said).
        expect({ backend, code, stderr: stderr.replace(/^temporal: workflow "cascadence-guarded-[^\n]*\n/, '') }).toEqual({
          backend,
          code: 0,
          stderr: '',
        });
        const steps = JSON.parse(stdout).steps;
        expect({
          backend,
          steps: Object.fromEntries(
            Object.entries(steps).map(([id, step]: [string, any]) => [id, [step.status, step.skipReason ?? null, step.output ?? null]]),
          ),
        }).toEqual({
          backend,
          steps: {
            first: ['skipped', 'disabled', null],
            after: ['skipped', 'trigger-rule', null],
            cleanup: ['succeeded', null, 'cleaned'],
          },
        });
      }
      expect(existsSync(join(project.dir, 'touched'))).toBe(false);
    } finally {
      expect(project.task(['enable', 'touch']).code).toBe(0);
    }
  });

  it('Ctrl-C cancels a run on Temporal and exits 130 (issue 15)', async () => {
    const run = project.start(['run', 'slow', '--backend', 'temporal']);
    const started = Date.now();
    while (!existsSync(join(project.dir, 'slow-started')) && Date.now() - started < 60_000 && run.child.exitCode === null)
      await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(join(project.dir, 'slow-started'))).toBe(true);
    run.child.kill('SIGINT');
    expect(await run.exited(60_000)).toBe(130);
    expect(run.stderr()).toMatch(/^SIGINT received: cancelling flow "slow" — press Ctrl-C again to force$/m);
    expect(run.stderr()).toMatch(/^error: flow "slow" was cancelled/m);
  });

  it('task cancel stops a run on Temporal started by another task run process (through Temporal), exit 0; that process ends with the cancelled run', async () => {
    rmSync(join(project.dir, 'slow-started'), { force: true });
    const run = project.start(['run', 'slow', '--backend', 'temporal']);
    const started = Date.now();
    while (!existsSync(join(project.dir, 'slow-started')) && Date.now() - started < 60_000 && run.child.exitCode === null)
      await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(join(project.dir, 'slow-started'))).toBe(true);
    let id = '';
    for (let i = 0; i < 100 && id === ''; i++) {
      const listed = JSON.parse(project.task(['runs', 'slow', '--status', 'running', '--json']).stdout) as Array<{
        id: string;
        backend: string;
        workflowId?: string;
      }>;
      id = listed.find((r) => r.backend === 'temporal' && r.workflowId !== undefined)?.id ?? '';
      if (id === '') await new Promise((r) => setTimeout(r, 100));
    }
    expect(id).not.toBe('');
    const cancelled = project.task(['cancel', id, '--wait', '30000']);
    expect(cancelled).toMatchObject({ code: 0, stdout: `run ${id} (slow) cancelled\n` });
    expect(await run.exited(60_000)).toBe(1);
    expect(run.stderr()).toMatch(/^error: flow "slow" was cancelled/m);
  });

  it('task worker stops cleanly on SIGTERM, and on SIGHUP (a closed terminal) too', async () => {
    for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
      const second = startWorker(project, {});
      await second.ready;
      second.child.kill(signal);
      const code = await new Promise<number | null>((resolve) => second.child.once('exit', resolve));
      expect({ signal, code }).toEqual({ signal, code: 0 });
      expect(second.output()).toContain(`${signal} received: stopping`);
      expect(second.output()).toContain('worker stopped');
    }
  });
});
