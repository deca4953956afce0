import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { cliRoot, type Project, type RunningTask } from './cli-harness';

/** Debian's chromium (driven by playwright-core, which never downloads a browser here) (scripts/ensure-chromium.sh): CASCADENCE_CHROMIUM_BIN, else PATH. */
export function findChromium(): string | undefined {
  const given = process.env.CASCADENCE_CHROMIUM_BIN;
  if (given !== undefined && given !== '' && existsSync(given)) return given;
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
    } catch {
      // not this one
    }
  }
  return undefined;
}

/**
 * Every run takes the screenshots; they replace the README's ones (docs/screenshots) only with
 * CASCADENCE_UPDATE_SCREENSHOTS=1, so a test run leaves the checkout as it found it.
 */
export const screenshotDir =
  process.env.CASCADENCE_UPDATE_SCREENSHOTS === '1'
    ? resolve(cliRoot, '..', '..', 'docs', 'screenshots')
    : join(tmpdir(), 'cascadence-ui-screenshots');

export async function launch(executablePath: string): Promise<Browser> {
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

/** What a page did that a test must see: dialogs (alert/confirm/prompt), console errors, uncaught errors. */
export interface PageWatch {
  dialogs: string[];
  errors: string[];
}

/** A page whose dialogs are recorded and dismissed, and whose errors are collected. */
export async function watchedPage(browser: Browser): Promise<{ page: Page; watch: PageWatch }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const watch: PageWatch = { dialogs: [], errors: [] };
  page.on('dialog', (dialog) => {
    watch.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('console', (message) => {
    if (message.type() === 'error') watch.errors.push(message.text());
  });
  page.on('pageerror', (error) => watch.errors.push(error.message));
  return { page, watch };
}

/** Starts `task ui --port 0` in the project; resolves with the process and the URL it printed. */
export async function startDashboard(project: Project, args: string[] = []): Promise<{ ui: RunningTask; url: string }> {
  const ui = project.start(['ui', '--port', '0', ...args]);
  const line = await ui.waitFor(/dashboard: (http:\/\/\S+)/, 30_000);
  return { ui, url: line.slice('dashboard: '.length) };
}

/** After a dashboard suite: the browser closed, `task ui` stopped (SIGTERM), the project removed. */
export async function closeDashboard(
  browser: Browser | undefined,
  ui: RunningTask | undefined,
  project: Project | undefined,
): Promise<void> {
  await browser?.close();
  if (ui !== undefined && ui.child.exitCode === null) {
    ui.child.kill('SIGTERM');
    await ui.exited(15_000);
  }
  project?.remove();
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: false });
}

/** Waits for the app to have rendered `page` (the body's data-ready attribute). */
export async function ready(page: Page, name: string): Promise<void> {
  await present(page, `body[data-ready="${name}"]`);
}

/** Waits until `selector` matches an element (visible or not: SVG groups, closed details). */
export async function present(page: Page, selector: string, timeout = 20_000): Promise<void> {
  await page.waitForSelector(selector, { state: 'attached', timeout });
}
