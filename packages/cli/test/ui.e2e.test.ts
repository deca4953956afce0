/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { Project, type RunningTask } from './cli-harness';
import {
  closeDashboard,
  findChromium,
  launch,
  present,
  ready,
  screenshot,
  startDashboard,
  watchedPage,
  type PageWatch,
} from './ui-browser';

// The dashboard end to end: the built `task ui` on a real project, driven by a real Chromium.
// Steps wait on files the test creates, never on time, so "running" can be seen for sure.
const tasks = `
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defineFlow } from '@cascadence/core';
const gate = (name) => new Promise((resolve) => {
  const timer = setInterval(() => { if (existsSync(join(process.cwd(), name))) { clearInterval(timer); resolve(); } }, 20);
});
export const gated = defineFlow({
  name: 'gated',
  description: 'waits for the test to open its gate',
  steps: {
    prepare: { run: () => 'ready' },
    wait: { needs: ['prepare'], run: async () => { await gate('gate-open'); return 'opened'; } },
    finish: { needs: ['wait'], run: () => 'done' },
  },
});
export const fragile = defineFlow({
  name: 'fragile',
  description: 'fails while the file "broken" exists',
  steps: {
    fetch: { run: () => ({ rows: 3 }) },
    load: { needs: ['fetch'], run: () => { if (existsSync(join(process.cwd(), 'broken'))) throw new Error('the load step failed: database <b>unreachable</b>'); return 'loaded'; } },
  },
});
export const hold = defineFlow({
  name: 'hold',
  description: 'waits until cancelled',
  steps: {
    start: { run: () => 'started' },
    // The interval keeps a \`task run\` process alive while it waits (nothing else would).
    block: { needs: ['start'], run: (ctx) => new Promise((_, reject) => { const keep = setInterval(() => {}, 1000); ctx.signal.addEventListener('abort', () => { clearInterval(keep); reject(ctx.signal.reason); }); }) },
  },
});
const bigSteps = {};
for (let i = 0; i < 1000; i++) bigSteps['s' + i] = i === 0 ? { run: () => 0 } : { needs: ['s' + Math.floor((i - 1) / 4)], run: () => i };
export const big = defineFlow({ name: 'big', description: '1,000 steps, each needing one earlier step', steps: bigSteps });
`;

const chromium = findChromium();

if (chromium === undefined && process.env.CI === 'true') {
  test('a chromium binary is available (required under CI=true)', () => {
    throw new Error('CI=true but no chromium (CASCADENCE_CHROMIUM_BIN or PATH): run scripts/ensure-chromium.sh');
  });
} else if (chromium === undefined) {
  console.log('dashboard e2e: skipped, no chromium (run scripts/ensure-chromium.sh)');
  test.skip('task ui in a real browser (no chromium)', () => {});
} else {
  describe('task ui in a real browser', () => {
    let project: Project;
    let ui: RunningTask;
    let url: string;
    let browser: Browser;
    let page: Page;
    let watch: PageWatch;
    let failedRunId: string;

    beforeAll(async () => {
      project = new Project({
        'cascadence.config.mjs': `export default { tasks: ['./tasks.mjs'] };\n`,
        'tasks.mjs': tasks,
        'schedules.yml': 'gated:\n  cron: "30 2 * * *"\n  timezone: Europe/Paris\n',
        broken: 'yes',
      });
      project.linkCore();
      const failed = project.task(['run', 'fragile']);
      expect(failed.code).toBe(1);
      const runs = JSON.parse(project.task(['runs', '--json']).stdout) as Array<{ id: string; task: string; status: string }>;
      failedRunId = (runs.find((r) => r.task === 'fragile') as { id: string }).id;
      ({ ui, url } = await startDashboard(project));
      browser = await launch(chromium);
      ({ page, watch } = await watchedPage(browser));
    }, 90_000);

    afterAll(() => closeDashboard(browser, ui, project));

    afterEach(() => {
      // No step of the dashboard may raise a dialog or log an error.
      expect(watch.dialogs).toEqual([]);
      expect(watch.errors).toEqual([]);
    });

    test('the runs page lists the recorded run; first paint is measured', async () => {
      await page.goto(url);
      await ready(page, 'runs');
      const row = await page.$eval(`tr[data-run="${failedRunId}"]`, (tr) => tr.textContent ?? '');
      expect(row).toContain('fragile');
      expect(row).toContain('failed');
      const paint = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null);
      expect(paint).not.toBeNull();
      console.log(`dashboard first contentful paint: ${Math.round(paint as number)} ms (runs page, local Chromium)`);
    });

    test('a flow started from the CLI appears without a reload and its nodes change state live', async () => {
      await page.goto(`${url}#/runs`);
      await ready(page, 'runs');
      await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1)); // gone if the page reloaded
      const cli = project.start(['run', 'gated']);
      try {
        const rowSelector = 'tr[data-run] td a[href^="#/run/"]';
        const link = await page.waitForFunction(
          () =>
            [...document.querySelectorAll('tr[data-run]')]
              .find((tr) => tr.textContent?.includes('gated'))
              ?.querySelector('a')
              ?.getAttribute('href') ?? null,
          undefined,
          { timeout: 20_000 },
        );
        const href = (await link.jsonValue()) as string;
        expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);
        expect(await page.$(rowSelector)).not.toBeNull();
        await page.goto(`${url}${href}`);
        await ready(page, 'run');
        await present(page, 'g.node[data-step="wait"][data-status="running"]', 20_000);
        expect(await page.$eval('g.node[data-step="prepare"]', (g) => g.getAttribute('data-status'))).toBe('succeeded');
        // Labelled, not only coloured: the node's text says its status.
        expect(await page.$eval('g.node[data-step="wait"] .node-status', (t) => t.textContent)).toBe('running');
        await screenshot(page, 'run-live');
        const opened = Date.now();
        writeFileSync(join(project.dir, 'gate-open'), '');
        await present(page, 'g.node[data-step="wait"][data-status="succeeded"]', 20_000);
        // Measured, not asserted: the other process's recorder flush (50 ms), the dashboard's
        // 50 ms poll, then the event stream (sent at once after a quiet spell).
        console.log(
          `live: node "wait" shown succeeded ${Date.now() - opened} ms after its gate opened (run owned by a separate task run process)`,
        );
        await present(page, 'g.node[data-step="finish"][data-status="succeeded"]', 20_000);
        await present(page, 'h1 .badge[data-status="succeeded"]', 20_000);
        expect(await cli.exited(20_000)).toBe(0);
      } finally {
        if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
      }
    });

    test('a failed run shows its error as text, and Retry reruns only the failed step', async () => {
      await page.goto(`${url}#/run/${failedRunId}`);
      await ready(page, 'run');
      const message = await page.$eval('details.step[data-step="load"] .error-message', (e) => e.textContent);
      expect(message).toBe('the load step failed: database <b>unreachable</b>');
      expect(await page.$('details.step[data-step="load"] b')).toBeNull(); // the <b> stayed text
      await present(page, 'g.node[data-step="load"][data-status="failed"]');
      await screenshot(page, 'run-failed');
      rmSync(join(project.dir, 'broken'));
      await page.click('button[data-action="retry"]');
      await page.waitForFunction((old) => location.hash.startsWith('#/run/') && !location.hash.endsWith(old), failedRunId, {
        timeout: 20_000,
      });
      await present(page, 'h1 .badge[data-status="succeeded"]', 30_000);
      const newId = decodeURIComponent((await page.evaluate(() => location.hash)).slice('#/run/'.length));
      const shown = JSON.parse(project.task(['show', newId, '--json']).stdout) as {
        run: { trigger: string; retryOf: string };
        steps: Array<{ step: string; reused: boolean; status: string }>;
      };
      expect(shown.run.trigger).toBe('retry');
      expect(shown.run.retryOf).toBe(failedRunId);
      expect(shown.steps.find((s) => s.step === 'fetch')).toMatchObject({ reused: true, status: 'succeeded' });
      expect(shown.steps.find((s) => s.step === 'load')).toMatchObject({ reused: false, status: 'succeeded' });
    });

    test('pausing a schedule on the page writes schedules.yml; resuming undoes it', async () => {
      await page.goto(`${url}#/schedules`);
      await ready(page, 'schedules');
      const row = 'tr[data-schedule="gated"]';
      expect(await page.$eval(row, (tr) => tr.textContent)).toContain('Europe/Paris');
      await screenshot(page, 'schedules');
      await page.click(`${row} button[data-action="pause"]`);
      await present(page, `${row} button[data-action="resume"]`, 20_000);
      expect(readFileSync(join(project.dir, 'schedules.yml'), 'utf8')).toMatch(/paused: true/);
      await page.click(`${row} button[data-action="resume"]`);
      await present(page, `${row} button[data-action="pause"]`, 20_000);
      expect(readFileSync(join(project.dir, 'schedules.yml'), 'utf8')).not.toMatch(/paused: true/);
    });

    test('Run now on the tasks page starts a run in the dashboard, and Cancel stops it', async () => {
      await page.goto(`${url}#/tasks`);
      await ready(page, 'tasks');
      await page.click('tr[data-task="hold"] button[data-action="run"]');
      await ready(page, 'run');
      await present(page, 'g.node[data-step="block"][data-status="running"]');
      await page.click('button[data-action="cancel"]');
      await present(page, 'h1 .badge[data-status="cancelled"]');
      const runId = decodeURIComponent((await page.evaluate(() => location.hash)).slice('#/run/'.length));
      const shown = JSON.parse(project.task(['show', runId, '--json']).stdout) as { run: { status: string; trigger: string } };
      expect(shown.run).toMatchObject({ status: 'cancelled', trigger: 'api' });
      expect(await page.$('button[data-action="cancel"]')).toBeNull();
    });

    test('Cancel on the page stops a run owned by a separate `task run` process (through the history)', async () => {
      await page.goto(`${url}#/runs`);
      await ready(page, 'runs');
      const cli = project.start(['run', 'hold']);
      try {
        const link = await page.waitForFunction(
          () =>
            [...document.querySelectorAll('tr[data-run]')]
              .find((tr) => tr.textContent?.includes('hold') && tr.textContent?.includes('running'))
              ?.querySelector('a')
              ?.getAttribute('href') ?? null,
          undefined,
          { timeout: 20_000 },
        );
        await page.goto(`${url}${(await link.jsonValue()) as string}`);
        await ready(page, 'run');
        await present(page, 'g.node[data-step="block"][data-status="running"]', 20_000);
        await page.click('button[data-action="cancel"]');
        await present(page, 'h1 .badge[data-status="cancelled"]', 20_000);
        expect(await cli.exited(20_000)).toBe(1);
        expect(cli.stderr()).toMatch(/cancelled from the dashboard/);
      } finally {
        if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
      }
    });

    test('a 1,000-step flow run page draws every node with its status (render time printed)', async () => {
      expect(project.task(['run', 'big', '--json']).code).toBe(0);
      const runs = JSON.parse(project.task(['runs', 'big', '--json']).stdout) as Array<{ id: string }>;
      await page.goto(`${url}#/run/${(runs[0] as { id: string }).id}`);
      await ready(page, 'run');
      const rendered = await page.evaluate(() => ({
        ms: Number(document.body.dataset.renderMs),
        succeeded: document.querySelectorAll('g.node[data-status="succeeded"]').length,
        steps: document.querySelectorAll('details.step').length,
      }));
      expect(rendered.succeeded).toBe(1000);
      expect(rendered.steps).toBe(1000);
      const t0 = Date.now();
      await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => resolve(null))));
      console.log(`1,000-step run page: fetched and rendered in ${rendered.ms} ms; next frame after ${Date.now() - t0} ms`);
    });

    test('disabling a task on the tasks page is what `task disable` does', async () => {
      await page.goto(`${url}#/tasks`);
      await ready(page, 'tasks');
      const row = 'tr[data-task="fragile"]';
      // Success rate over the last day: one failed run, one successful retry.
      expect(await page.$eval(row, (tr) => tr.textContent)).toContain('50%');
      await page.click('tr[data-task="gated"] details summary');
      await present(page, 'tr[data-task="gated"] svg.graph g.node[data-step="wait"]');
      await screenshot(page, 'tasks');
      await page.click(`${row} button[data-action="disable"]`);
      await present(page, `${row} button[data-action="enable"]`, 20_000);
      expect(JSON.parse(readFileSync(join(project.dir, '.cascadence', 'tasks.json'), 'utf8')).disabled).toEqual(['fragile']);
      const refused = project.task(['run', 'fragile']);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/disabled/);
      expect(existsSync(join(project.dir, '.cascadence', 'tasks.json'))).toBe(true);
    });

    test('the runs page after all of it: every trigger and status, and the filter form narrows it', async () => {
      await page.goto(`${url}#/runs`);
      await ready(page, 'runs');
      const cells = async () =>
        page.$$eval('table.runs tbody tr', (rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent ?? '')));
      const all = await cells();
      expect(new Set(all.map((c) => (c[0] as string).replace(/^\S+ /, '')))).toEqual(new Set(['succeeded', 'failed', 'cancelled']));
      expect(new Set(all.map((c) => (c[2] as string).split(' ')[0]))).toEqual(new Set(['cli', 'retry', 'api']));
      await screenshot(page, 'runs');
      await page.selectOption('select[name="status"]', 'failed');
      await page.click('form.filters button[type="submit"]');
      await page.waitForFunction(() => location.hash.includes('status=failed'));
      await ready(page, 'runs');
      await page.waitForFunction(() =>
        [...document.querySelectorAll('table.runs tbody tr')].every((r) => r.textContent?.includes('failed')),
      );
      expect((await cells()).map((c) => c[1])).toEqual(['fragile']);
    });
  });
}
