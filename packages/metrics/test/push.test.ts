// pushMetrics over real HTTP: a recording HTTP server, and a real Pushgateway when one is installed.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { defineTask, Engine, silentLogger } from '@cascadence/core';
import { createMetrics, pushMetrics, pushUrl } from '../src';
import { closeServer, occupyPort, parseMetrics, valueOf } from './helpers';
import { findBinary, freePort, waitFor } from './processes';

interface Received {
  method: string;
  url: string;
  contentType: string | undefined;
  body: string;
}

async function recorder(status = 202): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', contentType: req.headers['content-type'], body });
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status >= 400 ? 'pushed metrics are invalid or inconsistent with existing metrics' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${address.port}`, received };
}

const ok = defineTask({ name: 'report', run: () => 1 });

describe('pushMetrics', () => {
  test('PUTs the Prometheus text to /metrics/job/<job>/<label>/<value>', async () => {
    const gateway = await recorder();
    try {
      const metrics = createMetrics();
      const engine = new Engine({ logger: silentLogger });
      metrics.instrument(engine);
      await engine.run(ok);
      await metrics.push({ gateway: gateway.url, job: 'cascadence_run', groupings: { instance: 'host-1' } });
      expect(gateway.received).toHaveLength(1);
      const [request] = gateway.received;
      expect(request).toMatchObject({ method: 'PUT', url: '/metrics/job/cascadence_run/instance/host-1' });
      expect(request!.contentType).toContain('text/plain; version=0.0.4');
      expect(valueOf(parseMetrics(request!.body), 'task_success_total', { task: 'report', flow: '', step: 'report' })).toBe(1);
    } finally {
      await closeServer(gateway.server);
    }
  });

  test('POST when asked; gateway path prefixes are kept', async () => {
    const gateway = await recorder();
    try {
      await pushMetrics({ gateway: `${gateway.url}/pushgateway/`, job: 'j', method: 'POST', registry: createMetrics().registry });
      expect(gateway.received[0]).toMatchObject({ method: 'POST', url: '/pushgateway/metrics/job/j' });
    } finally {
      await closeServer(gateway.server);
    }
  });

  test('grouping values with "/" or empty are base64url-encoded as the gateway expects', () => {
    expect(pushUrl({ gateway: 'http://gw:9091', job: 'a/b', groupings: { path: '/var/tmp', empty: '', plain: 'x y' } })).toBe(
      'http://gw:9091/metrics/job@base64/YS9i/path@base64/L3Zhci90bXA/empty@base64/=/plain/x%20y',
    );
  });

  test("an error status is a CASCADENCE_METRICS_PUSH error with the status and the gateway's message", async () => {
    const gateway = await recorder(400);
    try {
      await expect(pushMetrics({ gateway: gateway.url, job: 'j', registry: createMetrics().registry })).rejects.toMatchObject({
        code: 'CASCADENCE_METRICS_PUSH',
        message: expect.stringMatching(/\/metrics\/job\/j failed: HTTP 400: pushed metrics are invalid/),
      });
    } finally {
      await closeServer(gateway.server);
    }
  });

  test('grouping names that are labels of the pushed samples (task, le, ...) are refused before any request', async () => {
    const gateway = await recorder();
    try {
      const metrics = createMetrics();
      const engine = new Engine({ logger: silentLogger });
      metrics.instrument(engine);
      await engine.run(ok);
      const error = await metrics
        .push({ gateway: gateway.url, job: 'j', groupings: { instance: 'a', le: '1', step: 'x' } })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'CASCADENCE_INVALID_OPTIONS', details: { labels: ['le', 'step'] } });
      expect((error as Error).message).toContain('"le" (a label of task_latency_seconds_bucket), "step" (a label of task_');
      expect(gateway.received).toHaveLength(0);
    } finally {
      await closeServer(gateway.server);
    }
  });

  test('an unreachable gateway is a CASCADENCE_METRICS_PUSH error naming the URL', async () => {
    const { port, server } = await occupyPort();
    await closeServer(server); // now nothing listens there
    await expect(pushMetrics({ gateway: `http://127.0.0.1:${port}`, job: 'j', registry: createMetrics().registry })).rejects.toMatchObject({
      code: 'CASCADENCE_METRICS_PUSH',
      message: expect.stringContaining(`http://127.0.0.1:${port}/metrics/job/j failed`),
    });
  });

  test.each([
    [{ gateway: 'not a url', job: 'j' }, 'option "gateway"'],
    [{ gateway: 'ftp://gw', job: 'j' }, 'option "gateway"'],
    [{ gateway: 'http://gw', job: '' }, 'option "job"'],
    [{ gateway: 'http://gw', job: 'j', groupings: { 'bad-label': 'x' } }, 'option "groupings"'],
    [{ gateway: 'http://gw', job: 'j', method: 'DELETE' }, 'option "method"'],
  ])('bad options %j are refused before any request', async (options, message) => {
    await expect(pushMetrics({ ...(options as { gateway: string; job: string }), registry: createMetrics().registry })).rejects.toThrow(
      message,
    );
  });
});

// A real Pushgateway (Debian: apt-get install prometheus-pushgateway), when installed.
const pushgateway = findBinary('prometheus-pushgateway', 'PUSHGATEWAY_BIN') ?? findBinary('pushgateway', 'PUSHGATEWAY_BIN');
if (pushgateway === undefined) {
  // CI installs it (scripts/ensure-prometheus.sh): there a missing gateway fails the run instead of skipping.
  if (process.env.CI === 'true')
    throw new Error('push.test: CI=true but no prometheus-pushgateway binary (run scripts/ensure-prometheus.sh)');
  console.log('push.test: no prometheus-pushgateway binary on PATH; the real Pushgateway test is skipped');
}
(pushgateway === undefined ? describe.skip : describe)('pushMetrics to a real Pushgateway', () => {
  let child: ChildProcess;
  let url: string;

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    // Debian's build persists to /var/lib/prometheus/pushgateway.data by default: keep each test gateway in memory.
    child = spawn(pushgateway as string, [`--web.listen-address=127.0.0.1:${port}`, '--persistence.file='], { stdio: 'ignore' });
    await waitFor(async () => (await fetch(`${url}/-/ready`)).ok, 20_000, 'the Pushgateway to be ready');
  }, 30_000);

  afterAll(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });

  test('the gateway accepts the push and serves the task counter', async () => {
    const metrics = createMetrics();
    const engine = new Engine({ logger: silentLogger });
    metrics.instrument(engine);
    await engine.run(ok);
    await engine.run(ok);
    await metrics.push({ gateway: url, job: 'cascadence_e2e', groupings: { instance: 'test/1' } });
    const samples = parseMetrics(await (await fetch(`${url}/metrics`)).text());
    expect(
      valueOf(samples, 'task_success_total', { job: 'cascadence_e2e', instance: 'test/1', task: 'report', flow: '', step: 'report' }),
    ).toBe(2);
  });

  // Regression (issue 16, item 7): the README grouped by `task`, and the gateway then rewrote every
  // series' own task label (task="report" on the counters of `fetch`).
  test("a grouping label that is also a metric label is refused; the gateway keeps each series' own labels", async () => {
    const fetchTask = defineTask({ name: 'fetch', run: () => 1 });
    const metrics = createMetrics();
    const engine = new Engine({ logger: silentLogger });
    metrics.instrument(engine);
    await engine.run(fetchTask);
    const refused = await metrics.push({ gateway: url, job: 'cascadence_clash', groupings: { task: 'report' } }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'CASCADENCE_INVALID_OPTIONS', details: { option: 'groupings', labels: ['task'] } });
    expect((refused as Error).message).toMatch(
      /^option "groupings": "task" \(a label of task_\w+\) is also a label of the pushed metrics; the Pushgateway would overwrite/,
    );
    let samples = parseMetrics(await (await fetch(`${url}/metrics`)).text());
    expect(samples.filter((sample) => sample.labels.job === 'cascadence_clash')).toEqual([]); // nothing was sent

    await metrics.push({ gateway: url, job: 'cascadence_clash', groupings: { run: 'report' } });
    samples = parseMetrics(await (await fetch(`${url}/metrics`)).text());
    expect(
      valueOf(samples, 'task_success_total', {
        job: 'cascadence_clash',
        instance: '',
        run: 'report',
        task: 'fetch',
        flow: '',
        step: 'fetch',
      }),
    ).toBe(1);
    expect(samples.some((sample) => sample.labels.job === 'cascadence_clash' && sample.labels.task === 'report')).toBe(false);
  });
});
