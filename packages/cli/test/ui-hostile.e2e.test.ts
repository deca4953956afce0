/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import type { Browser, Page } from 'playwright-core';
import { Project, type RunningTask } from './cli-harness';
import { closeDashboard, findChromium, launch, present, ready, startDashboard, watchedPage, type PageWatch } from './ui-browser';

// Hostile names, descriptions, inputs, outputs and errors go through a real run, the history and
// the dashboard into a real browser: none of them may run as script or become markup.
const tasks = String.raw`
import { defineFlow, defineTask } from '@cascadence/core';
const mark = (n) => '<script>window.__xss=' + n + ';alert(' + n + ')</script>';
export const sly = defineTask({
  name: 'javascript:alert',
  description: mark(1) + '"><img src=x onerror="window.__xss=2;alert(2)">',
  run: () => ({
    html: '<img src=x onerror="window.__xss=3;alert(3)">',
    attribute: '" onmouseover="alert(4)" data-x="',
    url: 'javascript:alert(5)',
    control: '\u0000\u0007\u001b[31mred\u001b[0m\u202eevil\u2028line',
    long: 'A'.repeat(100000),
  }),
});
export const angry = defineTask({
  name: 'hostile-fail',
  description: '</td></tr></table>' + mark(6),
  run: () => { throw new Error('"><svg onload=alert(7)>' + mark(8) + '\u0000\u001b]0;title\u0007'); },
});
export const nest = defineFlow({
  name: 'javascript:flow',
  description: mark(9),
  steps: {
    'javascript:step': { task: 'javascript:alert' },
    after: { needs: ['javascript:step'], task: 'hostile-fail' },
  },
});
export const skips = defineFlow({
  name: 'hostile-map',
  steps: {
    check: { run: (ctx) => ctx.skip('"><img src=x onerror="window.__xss=11">' + mark(12)) },
    list: { run: () => [1, 2, 3] },
    each: {
      needs: ['list'],
      map: 'list',
      run: (ctx, n) => {
        if (n === 2) return ctx.skip(mark(13));
        if (n === 3) throw new Error('<img src=x onerror="window.__xss=14">');
        return '<b>' + n + '</b>';
      },
    },
  },
});
`;

const chromium = findChromium();

/** Everything a successful injection would leave behind, read from the live document. */
async function injectionTraces(page: Page): Promise<Record<string, unknown>> {
  return page.evaluate(() => ({
    xss: (window as unknown as { __xss?: unknown }).__xss ?? null,
    scripts: [...document.scripts].map((s) => s.getAttribute('src')),
    images: document.images.length,
    eventAttributes: [...document.querySelectorAll('*')].flatMap((e) =>
      [...e.attributes].filter((a) => a.name.startsWith('on')).map((a) => `${e.tagName}@${a.name}`),
    ),
    javascriptLinks: [...document.querySelectorAll('[href]')]
      .map((e) => e.getAttribute('href') ?? '')
      .filter((h) => !h.startsWith('#/') && !h.startsWith('/assets/')),
  }));
}

const CLEAN = { xss: null, scripts: ['/assets/app.js'], images: 0, eventAttributes: [], javascriptLinks: [] };

if (chromium === undefined && process.env.CI === 'true') {
  test('a chromium binary is available (required under CI=true)', () => {
    throw new Error('CI=true but no chromium (CASCADENCE_CHROMIUM_BIN or PATH): run scripts/ensure-chromium.sh');
  });
} else if (chromium === undefined) {
  test.skip('hostile strings in the dashboard (no chromium)', () => {});
} else {
  describe('hostile strings in the dashboard', () => {
    let project: Project;
    let ui: RunningTask;
    let url: string;
    let browser: Browser;
    let page: Page;
    let watch: PageWatch;
    const runIds: Record<string, string> = {};

    beforeAll(async () => {
      project = new Project({
        'cascadence.config.mjs': `export default { tasks: ['./tasks.mjs'] };\n`,
        'tasks.mjs': tasks,
        'schedules.yml': '"javascript:alert":\n  cron: "0 3 * * *"\n',
      });
      project.linkCore();
      expect(project.task(['run', 'javascript:alert', '--input', JSON.stringify({ x: '</pre><script>alert(10)</script>' })]).code).toBe(0);
      expect(project.task(['run', 'hostile-fail']).code).toBe(1);
      expect(project.task(['run', 'javascript:flow']).code).toBe(1);
      expect(project.task(['run', 'hostile-map']).code).toBe(1);
      for (const run of JSON.parse(project.task(['runs', '--json']).stdout) as Array<{ id: string; task: string }>)
        runIds[run.task] = run.id;
      ({ ui, url } = await startDashboard(project));
      browser = await launch(chromium);
      ({ page, watch } = await watchedPage(browser));
    }, 90_000);

    afterAll(() => closeDashboard(browser, ui, project));

    afterEach(async () => {
      expect(watch.dialogs).toEqual([]);
      // A CSP refusal would be logged here too: nothing may even try to run.
      expect(watch.errors).toEqual([]);
      expect(await injectionTraces(page)).toEqual(CLEAN);
    });

    test('runs page: hostile task names are plain text', async () => {
      await page.goto(url);
      await ready(page, 'runs');
      expect(await page.textContent('table.runs')).toContain('javascript:alert');
    });

    test('a run with hostile input and output shows them as text, the long output collapsed', async () => {
      await page.goto(`${url}#/run/${runIds['javascript:alert']}`);
      await ready(page, 'run');
      await page.click('details.step summary').catch(() => undefined); // lone task: no step list
      const text = (await page.textContent('main')) ?? '';
      expect(text).toContain('</pre><script>alert(10)</script>');
      const output = await page.textContent('body');
      expect(output).toContain('onerror=\\"window.__xss=3');
      // 100,000 characters were recorded truncated, and start collapsed behind a button.
      expect(await page.textContent('main')).toMatch(/truncated/);
      await present(page, 'button.link');
      await page.click('button.link');
    });

    test('hostile errors from a failed flow are text, hostile step ids are safe attributes', async () => {
      await page.goto(`${url}#/run/${runIds['javascript:flow']}`);
      await ready(page, 'run');
      await present(page, 'g.node[data-step="javascript:step"][data-status="succeeded"]');
      await present(page, 'g.node[data-step="after"][data-status="failed"]');
      const message = await page.textContent('details.step[data-step="after"] .error-message');
      expect(message).toContain('"><svg onload=alert(7)><script>window.__xss=8;alert(8)</script>');
      await page.goto(`${url}#/run/${runIds['hostile-fail']}`);
      await ready(page, 'run');
      expect(await page.textContent('.error')).toContain('<svg onload=alert(7)>');
    });

    test("a self-skipped step's reason and a map step's items (issue 19) are shown, as text", async () => {
      await page.goto(`${url}#/run/${runIds['hostile-map']}`);
      await ready(page, 'run');
      await present(page, 'details.step[data-step="each"] details.items');
      expect(await page.textContent('details.step[data-step="check"] .skip-message')).toContain(
        '"><img src=x onerror="window.__xss=11"><script>window.__xss=12;alert(12)</script>',
      );
      const items = page.locator('details.step[data-step="each"] details.items');
      expect(await items.locator('summary').textContent()).toBe('3 items: 1 succeeded, 1 skipped, 1 failed');
      expect(await items.locator('li[data-item="0"]').textContent()).toContain('<b>1</b>');
      expect(await items.locator('li[data-item="1"]').textContent()).toContain('<script>window.__xss=13;alert(13)</script>');
      expect(await items.locator('li[data-item="2"] .error-message').textContent()).toBe('<img src=x onerror="window.__xss=14">');
      expect(await page.$('details.step[data-step="each"] b')).toBeNull();
    });

    test('tasks and schedules pages: hostile descriptions are text', async () => {
      await page.goto(`${url}#/tasks`);
      await ready(page, 'tasks');
      expect(await page.textContent('table.tasks')).toContain('<script>window.__xss=1');
      await page.click('tr[data-task="javascript:flow"] details summary');
      await present(page, 'tr[data-task="javascript:flow"] g.node[data-step="javascript:step"]');
      await page.goto(`${url}#/schedules`);
      await ready(page, 'schedules');
      expect(await page.textContent('tr[data-schedule="javascript:alert"]')).toContain('0 3 * * *');
    });

    test('the Content-Security-Policy refuses an inline script that got into the page', async () => {
      await page.goto(url);
      await ready(page, 'runs');
      // What an injection would amount to: an inline <script> in the document. The page's CSP,
      // not the test's DevTools access, decides whether it runs.
      const outcome = await page.evaluate(
        () =>
          new Promise<{ ran: boolean; violated: string }>((resolve) => {
            document.addEventListener(
              'securitypolicyviolation',
              (event) => resolve({ ran: (window as unknown as { __inline?: number }).__inline === 1, violated: event.violatedDirective }),
              { once: true },
            );
            const script = document.createElement('script');
            script.textContent = 'window.__inline = 1';
            document.body.append(script);
            script.remove();
          }),
      );
      expect(outcome).toEqual({ ran: false, violated: 'script-src-elem' });
      watch.errors.length = 0; // the refusal is itself reported on the console
    });
  });
}
