import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Project } from './cli-harness';

/** A project whose `etl` flow fails at `load` until the file `ok` exists. */
function etlProject(config = `export default { tasks: ['./tasks.mjs'] };\n`): Project {
  const project = new Project({
    'package.json': JSON.stringify({ name: 'hist', private: true, type: 'module' }),
    'cascadence.config.mjs': config,
    'tasks.mjs': `
      import { existsSync, appendFileSync } from 'node:fs';
      import { defineFlow, defineTask } from '@cascadence/core';
      const here = new URL('.', import.meta.url).pathname;
      export const etl = defineFlow({
        name: 'etl',
        steps: {
          extract: { run: () => { appendFileSync(here + 'calls.log', 'extract\\n'); return { rows: 3 }; } },
          load: {
            needs: ['extract'],
            run: (ctx) => {
              appendFileSync(here + 'calls.log', 'load\\n');
              if (!existsSync(here + 'ok')) throw new Error('warehouse down');
              return ctx.results.extract.rows * 2;
            },
          },
          report: { needs: ['load'], run: (ctx) => 'loaded ' + ctx.results.load },
        },
      });
      // Fails until the file \`ok\` exists; then waits for a minute unless cancelled.
      export const hang = defineFlow({
        name: 'hang',
        steps: {
          wait: {
            run: (ctx) => {
              if (!existsSync(here + 'ok')) throw new Error('not yet');
              ctx.log.info('wait started');
              return new Promise((resolve, reject) => {
                const timer = setTimeout(resolve, 60000);
                ctx.signal.addEventListener('abort', () => { clearTimeout(timer); reject(ctx.signal.reason); });
              });
            },
          },
        },
      });
      export const branchy = defineFlow({
        name: 'branchy',
        steps: {
          check: { run: (ctx) => ctx.skip('nothing new \u001b[2Jsince monday') },
          list: { run: () => [1, 2, 3] },
          each: {
            needs: ['list'],
            map: 'list',
            run: (ctx, n) => {
              if (n === 2) return ctx.skip('two is \u001b[31mboring');
              if (n === 3) throw new Error('three \u001b[2Jbroke');
              return n * 10;
            },
          },
        },
      });
      export const big = defineTask({ name: 'big', run: () => 10n });
      export const evil = defineTask({ name: 'evil', run: () => { throw new Error('\\u001b[2J\\u001b[31mscreen wiped'); } });
    `,
  });
  project.linkCore();
  return project;
}

const json = <T>(text: string): T => JSON.parse(text) as T;

describe('run history through the task binary', () => {
  let project: Project;
  afterEach(() => project.remove());

  it('records `task run` with no setup: task runs lists it, task show shows it by the short id listed', () => {
    project = etlProject();
    expect(project.task(['run', 'example']).code).toBe(0);
    expect(existsSync(join(project.dir, '.cascadence', 'history.db'))).toBe(true);
    const failed = project.task(['run', 'etl', '--input', '{"day":"mon"}']);
    expect(failed.code).toBe(1);

    const runs = project.task(['runs']);
    expect(runs.code).toBe(0);
    const lines = runs.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^RUN\s+TASK\s+STATUS\s+STARTED\s+DURATION\s+TRIGGER\s+DETAIL$/);
    expect(lines[1]).toMatch(/^\w{8}\s+etl\s+failed\s+.*cli\s+step load: warehouse down$/);
    expect(lines[2]).toMatch(/^\w{8}\s+example\s+succeeded/);

    const listed = json<Array<{ id: string; status: string; input: unknown }>>(
      project.task(['runs', '--status', 'failed', '--json']).stdout,
    );
    expect(listed).toHaveLength(1);
    const id = listed[0]!.id;
    // The short id in the table is the id's end (its start is the time, shared by both runs here).
    const shortId = lines[1]!.split(/\s+/)[0]!;
    expect(shortId).toBe(id.slice(-8));
    const show = project.task(['show', shortId, '--outputs']);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(`run ${id}`);
    expect(show.stdout).toContain('input {"day":"mon"}');
    expect(show.stdout).toMatch(/extract\s+succeeded\s+1\s+/);
    expect(show.stdout).toMatch(/load\s+failed\s+1\s+.*warehouse down/);
    expect(show.stdout).toMatch(/report\s+skipped\s+0\s+-\s+upstream-failed/);
    expect(show.stdout).toContain('extract: {"rows":3}');

    const detail = json<{ run: { id: string }; steps: unknown[]; attempts: unknown[] }>(project.task(['show', id, '--json']).stdout);
    expect(detail.run.id).toBe(id);
    expect(detail.steps).toHaveLength(3);
  });

  it('task cancel stops a run another `task run` process is running (exit 0, that run ends cancelled with exit 1); an ended run is refused', async () => {
    project = etlProject();
    writeFileSync(
      join(project.dir, 'tasks.mjs'),
      `import { defineTask } from '@cascadence/core';\nexport const waits = defineTask({ name: 'waits', run: (ctx) => new Promise((resolve) => { ctx.log.info('waiting'); const keep = setInterval(() => {}, 1000); ctx.signal.addEventListener('abort', () => { clearInterval(keep); resolve('stopped'); }); }) });\n`,
    );
    const running = project.start(['run', 'waits']);
    await running.waitFor(/waiting/);
    // The run is in the history once its first batch is written (within 50 ms).
    let id = '';
    for (let i = 0; i < 100 && id === ''; i++) {
      const listed = json<Array<{ id: string; status: string }>>(project.task(['runs', '--json']).stdout);
      id = listed.find((r) => r.status === 'running')?.id ?? '';
      if (id === '') await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(id).not.toBe('');
    const cancelled = project.task(['cancel', id.slice(-8)]);
    expect(cancelled).toMatchObject({ code: 0, stdout: `run ${id} (waits) cancelled\n` });
    expect(await running.exited()).toBe(1);
    expect(running.stderr()).toMatch(/^error: task "waits" was cancelled: cancelled with task cancel$/m);
    expect(json<{ run: { status: string } }>(project.task(['show', id, '--json']).stdout).run.status).toBe('cancelled');

    const again = project.task(['cancel', id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(new RegExp(`^error: run ${id} \\(waits\\) cannot be cancelled: it ended cancelled`));
    expect(project.task(['cancel', 'nope-nope']).code).toBe(1);
  });

  it('task retry reruns only the failed step and what follows, linked to the original run', () => {
    project = etlProject();
    project.task(['run', 'etl']);
    const [original] = json<Array<{ id: string }>>(project.task(['runs', '--json']).stdout);
    writeFileSync(join(project.dir, 'ok'), '');
    writeFileSync(join(project.dir, 'calls.log'), '');

    const retry = project.task(['retry', original!.id.slice(-8)]);
    expect(retry.stderr).toContain(`retrying run ${original!.id} (etl): reusing extract; running load, report`);
    expect(retry.code).toBe(0);
    expect(retry.stdout).toContain('✓ extract (reused from the earlier run)');
    expect(retry.stdout).toContain('"report": "loaded 6"');
    expect(readFileSync(join(project.dir, 'calls.log'), 'utf8')).toBe('load\n');

    const [latest] = json<Array<{ id: string; trigger: string; retryOf: string; status: string }>>(
      project.task(['runs', '--json', '--limit', '1']).stdout,
    );
    expect(latest).toMatchObject({ trigger: 'retry', retryOf: original!.id, status: 'succeeded' });
    expect(project.task(['runs', '--trigger', 'retry']).stdout).toContain(`retry of ${original!.id.slice(-8)}`);

    // A succeeded run has nothing to retry unless everything reruns.
    const again = project.task(['retry', latest!.id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('succeeded: nothing to retry');
    expect(project.task(['retry', latest!.id, '--rerun-all']).code).toBe(0);
  });

  it('task retry stops like task run: Ctrl-C cancels the retry and exits 130', async () => {
    project = etlProject();
    expect(project.task(['run', 'hang']).code).toBe(1);
    const [failed] = json<Array<{ id: string }>>(project.task(['runs', '--json', '--limit', '1']).stdout);
    writeFileSync(join(project.dir, 'ok'), '');

    const retry = project.start(['retry', failed!.id]);
    await retry.waitFor(/wait started/);
    retry.child.kill('SIGINT');
    // The old retry ignored the signal's meaning: it ended with exit 1, like a failed task.
    expect(await retry.exited()).toBe(130);
    expect(retry.stderr()).toMatch(/^SIGINT received: cancelling flow "hang" — press Ctrl-C again to force$/m);
    expect(retry.stderr()).toMatch(/^error: flow "hang" was cancelled: interrupted by SIGINT$/m);
    const [latest] = json<Array<{ trigger: string; status: string }>>(project.task(['runs', '--json', '--limit', '1']).stdout);
    expect(latest).toMatchObject({ trigger: 'retry', status: 'cancelled' });
  });

  it('refuses a retry whose input was not recorded, and unknown or ambiguous ids, each with a clear error', () => {
    project = etlProject(`export default { tasks: ['./tasks.mjs'], history: { values: false } };\n`);
    project.task(['run', 'etl']);
    const [run] = json<Array<{ id: string }>>(project.task(['runs', '--json']).stdout);
    const refused = project.task(['retry', run!.id]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('its input was not recorded: recording of inputs and outputs was off (history.values: false)');

    const unknown = project.task(['show', `${run!.id.slice(0, 30)}zzzzzz`]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`did you mean ${run!.id}?`);
  });

  it('turns recording off with history: false, and says so to the reading commands', () => {
    project = etlProject(`export default { tasks: ['./tasks.mjs'], history: false };\n`);
    expect(project.task(['run', 'example']).code).toBe(0);
    expect(existsSync(join(project.dir, '.cascadence', 'history.db'))).toBe(false);
    const runs = project.task(['runs']);
    expect(runs.code).toBe(1);
    expect(runs.stderr).toContain('run history is turned off in the config (history: false)');
  });

  it('still runs the task when the history file is corrupt, warns with its path, and leaves the file alone', () => {
    project = etlProject();
    const db = project.write('.cascadence/history.db', 'this is not a database'.repeat(100));
    const before = readFileSync(db);
    const run = project.task(['run', 'example']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`warning: run history is off for this run: ${db} is not a readable run history`);
    expect(readFileSync(db).equals(before)).toBe(true);
    const runs = project.task(['runs']);
    expect(runs.code).toBe(1);
    expect(runs.stderr).toContain(`${db} is not a readable run history`);
  });

  it('records a value that cannot be serialised as such, and escapes untrusted text in tables', () => {
    project = etlProject();
    project.task(['run', 'big']); // its exit code is the CLI's business (BigInt printing), not history's
    const [run] = json<Array<{ id: string; status: string }>>(project.task(['runs', '--json']).stdout);
    expect(run!.status).toBe('succeeded');
    const show = project.task(['show', run!.id, '--outputs']);
    expect(show.stdout).toMatch(/big: \(not recorded: TypeError: Do not know how to serialize a BigInt\)/);
    project.task(['run', 'evil']);
    const runs = project.task(['runs']).stdout;
    expect(runs).not.toContain('\u001b');
    expect(runs).toContain('\\e[2J');
    expect(project.task(['runs', '--since', 'soon']).stderr).toContain('--since "soon" is not a duration');
  });

  it('shows a self-skipped step with its reason and a map step with its items, live, in the summary and in task show (escaped)', () => {
    project = etlProject();
    const run = project.task(['run', 'branchy']);
    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).not.toContain('\u001b');
    expect(run.stdout).toContain('check skipped (self: nothing new \\e[2Jsince monday)');
    const [listed] = json<Array<{ id: string }>>(project.task(['runs', '--json']).stdout);
    const show = project.task(['show', listed!.id]);
    expect(show.code).toBe(0);
    expect(show.stdout).not.toContain('\u001b');
    expect(show.stdout).toMatch(/check\s+skipped\s+1\s+.*self: nothing new \\e\[2Jsince monday/);
    expect(show.stdout).toContain('items of each: 3 (1 succeeded, 1 skipped, 1 failed)');
    expect(show.stdout).toContain('  [1] skipped: two is \\e[31mboring');
    expect(show.stdout).toContain('  [2] failed: three \\e[2Jbroke');
    expect(show.stdout).not.toContain('[0] succeeded');
    expect(project.task(['show', listed!.id, '--outputs']).stdout).toContain('  [0] succeeded: 10');
  });
});
