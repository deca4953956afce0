// A real Prometheus scraping a running `task scheduler --metrics-port`: the path a user takes.
// Needs a `prometheus` binary (scripts/ensure-prometheus.sh installs Debian's); without one the
// test is skipped with a reason, except under CI=true where a missing binary fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from '@cascadence/test-kit';
import { bin, Project } from './cli-harness';

jest.setTimeout(90_000);

function findPrometheus(): string | undefined {
  if (process.env.PROMETHEUS_BIN) return process.env.PROMETHEUS_BIN;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    try {
      accessSync(join(dir, 'prometheus'), constants.X_OK);
      return join(dir, 'prometheus');
    } catch {
      // not here
    }
  }
  return undefined;
}

async function waitFor(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function stop(child: ChildProcess | undefined): Promise<unknown> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  return exited;
}

const prometheus = findPrometheus();
if (prometheus === undefined && process.env.CI === 'true') {
  test('a prometheus binary is available (required under CI=true)', () => {
    throw new Error('CI=true but no `prometheus` binary on PATH (or PROMETHEUS_BIN): run scripts/ensure-prometheus.sh');
  });
} else if (prometheus === undefined) {
  console.log('prometheus e2e (cli): skipped, no `prometheus` binary (run scripts/ensure-prometheus.sh, or set PROMETHEUS_BIN)');
  test.skip('Prometheus scrapes task scheduler --metrics-port (no prometheus binary)', () => {});
} else {
  test('Prometheus scrapes a running task scheduler and reports task_success_total of the scheduled task', async () => {
    const project = new Project({
      'cascadence.config.mjs': `export default { tasks: ['./tasks.mjs'] };`,
      'tasks.mjs': `export const heartbeat = { kind: 'task', name: 'heartbeat', run: () => 'beat' };`,
    });
    const dir = mkdtempSync(join(tmpdir(), 'cascadence-prom-cli-'));
    let scheduler: ChildProcess | undefined;
    let server: ChildProcess | undefined;
    try {
      expect(project.task(['schedule', 'heartbeat', '* * * * * *']).code).toBe(0);
      const metricsPort = await freePort();
      scheduler = spawn(process.execPath, [bin, 'scheduler', '--metrics-port', String(metricsPort)], { cwd: project.dir, stdio: 'ignore' });
      await waitFor(async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).ok, 20_000, 'the scheduler metrics endpoint');

      writeFileSync(
        join(dir, 'prometheus.yml'),
        [
          'global:',
          '  scrape_interval: 1s',
          '  scrape_timeout: 1s',
          'scrape_configs:',
          '  - job_name: cascadence-scheduler',
          '    static_configs:',
          `      - targets: ['127.0.0.1:${metricsPort}']`,
          '',
        ].join('\n'),
      );
      const apiPort = await freePort();
      const api = `http://127.0.0.1:${apiPort}`;
      server = spawn(
        prometheus,
        [
          `--config.file=${join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${apiPort}`,
          '--log.level=warn',
        ],
        { stdio: 'ignore' },
      );
      const query = async (promql: string) => {
        const body = (await (await fetch(`${api}/api/v1/query?query=${encodeURIComponent(promql)}`)).json()) as {
          data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
        };
        return body.data.result;
      };
      let seen = 0;
      await waitFor(
        async () => {
          const result = await query('task_success_total{task="heartbeat"}');
          seen = Math.max(0, ...result.map((r) => Number(r.value[1])));
          return seen >= 2;
        },
        60_000,
        'Prometheus to report task_success_total{task="heartbeat"} >= 2',
      );
      expect(seen).toBeGreaterThanOrEqual(2);
      const fires = await query('schedule_fires_total{task="heartbeat"}');
      expect(Number(fires[0]?.value[1])).toBeGreaterThanOrEqual(2);
      const up = await query('up{job="cascadence-scheduler"}');
      expect(up.map((r) => r.value[1])).toEqual(['1']);
    } finally {
      await stop(server);
      await stop(scheduler);
      expect(scheduler?.exitCode).toBe(0);
      rmSync(dir, { recursive: true, force: true });
      project.remove();
    }
  });
}
