// End to end with a real Prometheus: it scrapes a Cascadence metrics endpoint and answers a
// PromQL query for the task's counter. Needs a `prometheus` binary (scripts/ensure-prometheus.sh
// installs one); without it the test is skipped with a reason, except under CI=true where a
// missing binary fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineTask, Engine, silentLogger } from '@cascadence/core';
import { createMetrics } from '../src';
import { findBinary, freePort, waitFor } from './processes';

/** What Prometheus scrapes. */
interface ScrapeTarget {
  /** `host:port` for the scrape config. */
  address: string;
  metricsPath: string;
  /** The task whose counter the test queries. */
  task: string;
  /** How many successful runs the target will have made once settled. */
  expectedSuccesses: number;
  /** Resolves when the target has done all its runs. */
  settled: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Today: a metrics server started in this process, fed by an instrumented Engine running a task
 * repeatedly. To scrape the CLI instead, return the address of a spawned
 * `task scheduler --metrics-port <port>` (and kill it in `stop`); nothing else changes.
 */
async function startTarget(): Promise<ScrapeTarget> {
  const metrics = createMetrics();
  const engine = new Engine({ logger: silentLogger });
  const detach = metrics.instrument(engine);
  const server = await metrics.serve({ port: 0, host: '127.0.0.1' });
  const task = defineTask({ name: 'e2e-heartbeat', run: () => new Promise((resolve) => setTimeout(resolve, 5)) });
  const runs = 8;
  let timer: NodeJS.Timeout | undefined;
  const settled = new Promise<void>((resolve, reject) => {
    let done = 0;
    const tick = (): void => {
      engine.run(task).then((result) => {
        if (result.status !== 'succeeded') return reject(result.error);
        if (++done === runs) return resolve();
        timer = setTimeout(tick, 150);
      }, reject);
    };
    tick();
  });
  return {
    address: `127.0.0.1:${server.port}`,
    metricsPath: '/metrics',
    task: task.name,
    expectedSuccesses: runs,
    settled,
    async stop() {
      clearTimeout(timer);
      detach();
      await server.close();
    },
  };
}

const prometheus = findBinary('prometheus', 'PROMETHEUS_BIN');
const ci = process.env.CI === 'true';

if (prometheus === undefined && ci) {
  test('a prometheus binary is available (required under CI=true)', () => {
    throw new Error('CI=true but no `prometheus` binary on PATH (or PROMETHEUS_BIN): run scripts/ensure-prometheus.sh');
  });
} else if (prometheus === undefined) {
  console.log('prometheus.e2e: skipped, no `prometheus` binary on PATH (run scripts/ensure-prometheus.sh, or set PROMETHEUS_BIN)');
  test.skip('Prometheus scrapes the metrics endpoint (no prometheus binary)', () => {});
} else {
  describe('a real Prometheus scraping Cascadence metrics', () => {
    let target: ScrapeTarget;
    let child: ChildProcess | undefined;
    let dir: string;
    let api: string;
    let log = '';

    beforeAll(async () => {
      target = await startTarget();
      dir = mkdtempSync(join(tmpdir(), 'cascadence-prometheus-'));
      const config = join(dir, 'prometheus.yml');
      writeFileSync(
        config,
        [
          'global:',
          '  scrape_interval: 1s',
          '  scrape_timeout: 1s',
          '  evaluation_interval: 1s',
          'scrape_configs:',
          '  - job_name: cascadence',
          `    metrics_path: ${target.metricsPath}`,
          '    static_configs:',
          `      - targets: ['${target.address}']`,
          '',
        ].join('\n'),
      );
      const port = await freePort();
      api = `http://127.0.0.1:${port}`;
      child = spawn(
        prometheus,
        [
          `--config.file=${config}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--log.level=warn',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
      const exited = new Promise<never>((_, reject) =>
        child?.once('exit', (code) => reject(new Error(`prometheus exited early (code ${code}):\n${log}`))),
      );
      await Promise.race([waitFor(async () => (await fetch(`${api}/-/ready`)).ok, 30_000, 'Prometheus to be ready'), exited]);
    }, 60_000);

    afterAll(async () => {
      if (child !== undefined && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child?.once('exit', resolve));
        child.kill('SIGTERM');
        const killer = setTimeout(() => child?.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(killer);
      }
      await target?.stop();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    }, 30_000);

    const query = async (promql: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> => {
      const response = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await response.json()) as {
        status: string;
        data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
      };
      if (body.status !== 'success') throw new Error(`query ${promql}: ${JSON.stringify(body)}`);
      return body.data.result;
    };

    test('the target is up and task_success_total reaches the exact number of runs', async () => {
      await target.settled;
      let last: unknown;
      await waitFor(
        async () => {
          const result = await query('task_success_total');
          last = result;
          const mine = result.find((r) => r.metric.task === target.task && r.metric.flow === undefined && r.metric.step === target.task);
          return mine !== undefined && Number(mine.value[1]) === target.expectedSuccesses;
        },
        30_000,
        `Prometheus to report task_success_total{task="${target.task}"} = ${target.expectedSuccesses}`,
      ).catch((error: Error) => {
        throw new Error(`${error.message}\nlast query result: ${JSON.stringify(last)}\nprometheus log:\n${log}`);
      });

      const up = await query('up{job="cascadence"}');
      expect(up).toHaveLength(1);
      expect(up[0]!.value[1]).toBe('1');
      // The histogram made it too, with the same count; flow="" is an absent label to Prometheus.
      const count = await query(`task_latency_seconds_count{task="${target.task}",flow="",status="succeeded"}`);
      expect(count.map((r) => Number(r.value[1]))).toEqual([target.expectedSuccesses]);
      const failures = await query(`task_failure_total{task="${target.task}"}`);
      expect(failures.map((r) => [r.metric.status, Number(r.value[1])])).toEqual([['failed', 0]]);
    }, 60_000);

    test('every query of the Grafana dashboard (examples/grafana) is valid PromQL with data where runs happened', async () => {
      await target.settled;
      const dashboard = JSON.parse(readFileSync(join(__dirname, '../../../examples/grafana/cascadence-dashboard.json'), 'utf8')) as {
        panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
        templating: { list: Array<{ name: string; definition?: string }> };
      };
      const substitute = (expr: string): string =>
        expr
          .replaceAll('${prefix}', '')
          .replaceAll('$task', '.*')
          .replaceAll('$flow', '.*')
          .replaceAll('$__rate_interval', '10s')
          .replaceAll('$__range', '5m');
      const queries = dashboard.panels.flatMap((panel) =>
        (panel.targets ?? []).map((t) => ({ panel: panel.title, expr: substitute(t.expr) })),
      );
      expect(queries.length).toBeGreaterThan(10);
      for (const { panel, expr } of queries) {
        const response = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(expr)}`);
        const body = (await response.json()) as { status: string; error?: string };
        if (body.status !== 'success') throw new Error(`panel "${panel}": ${expr}: ${body.error}`);
      }
      // Panels about task successes show the heartbeat task once two scrapes saw its runs.
      const successes = queries.find((q) => q.panel === 'Successes / s by task');
      await waitFor(
        async () => (await query(successes!.expr)).some((r) => r.metric.task === target.task),
        20_000,
        'the successes panel to show data',
      );
      // The task variable's label_values() query, through the label values API.
      const taskVariable = dashboard.templating.list.find((v) => v.name === 'task');
      const metric = /label_values\(([^,]+),/.exec(substitute(taskVariable!.definition!))![1]!;
      const labels = (await (await fetch(`${api}/api/v1/label/task/values?match[]=${encodeURIComponent(metric)}`)).json()) as {
        data: string[];
      };
      expect(labels.data).toContain(target.task);
    }, 60_000);
  });
}
