// startMetricsServer over real sockets: listening, 404/405, port in use, malformed requests,
// OpenMetrics negotiation, gzip, close.
import { connect } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { CascadenceError, defineTask, Engine, silentLogger } from '@cascadence/core';
import { Counter, Registry } from 'prom-client';
import {
  createMetrics,
  MetricsErrorCode,
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_CONTENT_TYPE,
  startMetricsServer,
  type MetricsServer,
} from '../src';
import { closeServer, occupyPort, parseMetrics, valueOf } from './helpers';

/** Sends raw bytes on a new connection; resolves with everything the server answered before closing. */
function rawRequest(port: number, payload: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) =>
      error.code === 'ECONNRESET' ? resolve(Buffer.concat(chunks).toString('latin1')) : reject(error),
    );
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.setTimeout(5000, () => socket.destroy(new Error('raw request timed out')));
    socket.end(payload);
  });
}

const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

describe('startMetricsServer', () => {
  const metrics = createMetrics();
  const engine = new Engine({ logger: silentLogger });
  metrics.instrument(engine);
  let server: MetricsServer;

  beforeAll(async () => {
    await engine.run(defineTask({ name: 'hello', run: () => 1 }));
    server = await metrics.serve({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => server.close());

  test('port 0 picks a free port; url and port say which', () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/metrics`);
  });

  test('GET /metrics serves the Prometheus text format', async () => {
    const response = await fetch(server.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE);
    const text = await response.text();
    expect(text).toContain('# TYPE task_success_total counter');
    expect(valueOf(parseMetrics(text), 'task_success_total', { task: 'hello', flow: '', step: 'hello' })).toBe(1);
  });

  test('a query string is ignored; HEAD answers headers only', async () => {
    expect((await fetch(`${server.url}?x=1`)).status).toBe(200);
    const head = await fetch(server.url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  test.each(['/', '/metric', '/metrics/', '/metricsx', '/other/metrics', '/favicon.ico'])('%s is a 404', async (path) => {
    const response = await fetch(`http://127.0.0.1:${server.port}${path}`);
    expect(response.status).toBe(404);
    expect(await response.text()).toContain('/metrics');
  });

  test('other methods on the path are a 405 with Allow', async () => {
    const response = await fetch(server.url, { method: 'POST', body: 'x' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
  });

  test('OpenMetrics when the scraper asks for it, without breaking the plain format afterwards', async () => {
    const om = await fetch(server.url, { headers: { accept: PROMETHEUS_ACCEPT } });
    expect(om.headers.get('content-type')).toBe(OPENMETRICS_CONTENT_TYPE);
    const text = await om.text();
    expect(text.endsWith('# EOF\n')).toBe(true);
    expect(text).toContain('# TYPE task_success counter');
    expect(valueOf(parseMetrics(text), 'task_success_total', { task: 'hello', flow: '', step: 'hello' })).toBe(1);
    expect(text).not.toContain('_total_total');

    const plain = await fetch(server.url, { headers: { accept: 'text/plain;version=0.0.4' } });
    expect(plain.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE);
    const again = await plain.text();
    expect(again).toContain('# TYPE task_success_total counter');
    expect(again).not.toContain('# EOF');
  });

  test('gzip when asked', async () => {
    const body = await new Promise<{ encoding: string | undefined; data: Buffer }>((resolve, reject) => {
      const socket = connect(server.port, '127.0.0.1');
      const chunks: Buffer[] = [];
      socket.on('data', (c) => chunks.push(c));
      socket.on('error', reject);
      socket.on('close', () => {
        const raw = Buffer.concat(chunks);
        const split = raw.indexOf('\r\n\r\n');
        const head = raw.subarray(0, split).toString('latin1');
        resolve({ encoding: /content-encoding: (\S+)/i.exec(head)?.[1], data: raw.subarray(split + 4) });
      });
      socket.end('GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n');
    });
    expect(body.encoding).toBe('gzip');
    expect(gunzipSync(body.data).toString('utf8')).toContain('task_success_total{task="hello",flow="",step="hello"} 1');
  });

  test('survives malformed requests and keeps serving', async () => {
    const garbage: Array<[string | Buffer, RegExp]> = [
      [Buffer.from([0x00, 0xff, 0x13, 0x37, 0x0d, 0x0a, 0x0d, 0x0a]), /^HTTP\/1\.1 400 /],
      ['NOT A REQUEST\r\n\r\n', /^HTTP\/1\.1 400 /],
      ['GET /metrics HTTP/9.9\r\n\r\n', /^HTTP\/1\.1 400 /],
      [`GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`, /^HTTP\/1\.1 431 /],
      ['GET /metrics HTTP/1.1\r\nContent-Length: nope\r\n\r\n', /^HTTP\/1\.1 400 /],
      ['GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', /^HTTP\/1\.1 400 /],
      ['GET /metrics HTTP/1.1\r\nHo', /^HTTP\/1\.1 400 /], // cut mid-header
    ];
    for (const [payload, expected] of garbage) {
      expect(await rawRequest(server.port, payload)).toMatch(expected);
    }
    const response = await fetch(server.url);
    expect(response.status).toBe(200);
  });

  test('a slowloris client (headers dripped one line a second) is cut off at the 10 s headers timeout; scrapes go on meanwhile', async () => {
    // Found by the reliability suite: Node sweeps for timed-out connections only every 30 s by default.
    const started = Date.now();
    const socket = connect(server.port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    socket.on('error', () => {});
    socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\n');
    const drip = setInterval(() => {
      if (!socket.destroyed) socket.write(`X-Drip-${Date.now()}: 1\r\n`);
    }, 1000);
    const closedAfter = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now() - started)));
    expect((await fetch(server.url)).status).toBe(200);
    const ms = await closedAfter;
    clearInterval(drip);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(ms).toBeGreaterThanOrEqual(9_000);
    expect(ms).toBeLessThan(14_000);
  }, 30_000);

  test('absolute-form request targets are routed by their path', async () => {
    const answer = await rawRequest(
      server.port,
      `GET http://127.0.0.1:${server.port}/metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    const other = await rawRequest(
      server.port,
      `GET http://127.0.0.1:${server.port}/nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    );
    expect(other).toMatch(/^HTTP\/1\.1 404/);
  });

  test('a custom path is the only one answered', async () => {
    const custom = await startMetricsServer({ port: 0, host: '127.0.0.1', registry: metrics.registry, path: '/prom' });
    try {
      expect(custom.url.endsWith('/prom')).toBe(true);
      expect((await fetch(custom.url)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${custom.port}/metrics`)).status).toBe(404);
    } finally {
      await custom.close();
    }
  });

  test('a collection error is a 500, and the server keeps going', async () => {
    const registry = new Registry();
    new Counter({
      name: 'broken_total',
      help: 'throws when collected',
      registers: [registry],
      collect() {
        throw new Error('collector exploded');
      },
    });
    const broken = await startMetricsServer({ port: 0, host: '127.0.0.1', registry });
    try {
      const response = await fetch(broken.url);
      expect(response.status).toBe(500);
      expect(await response.text()).toContain('collector exploded');
      expect((await fetch(broken.url)).status).toBe(500);
    } finally {
      await broken.close();
    }
  });
});

describe('startMetricsServer: ports', () => {
  test('a port in use rejects with CASCADENCE_PORT_IN_USE naming the port', async () => {
    const { port, server } = await occupyPort();
    try {
      const attempt = startMetricsServer({ port, host: '127.0.0.1', registry: new Registry() });
      await expect(attempt).rejects.toThrow(`port ${port} on 127.0.0.1 is already in use`);
      const error = await attempt.catch((e: unknown) => e);
      expect(CascadenceError.isInstance(error, MetricsErrorCode.PORT_IN_USE)).toBe(true);
      expect((error as CascadenceError).details).toMatchObject({ port, host: '127.0.0.1' });
    } finally {
      await closeServer(server);
    }
  });

  test('a second metrics server on the same port is refused too', async () => {
    const first = await startMetricsServer({ port: 0, host: '127.0.0.1', registry: new Registry() });
    try {
      await expect(startMetricsServer({ port: first.port, host: '127.0.0.1', registry: new Registry() })).rejects.toMatchObject({
        code: 'CASCADENCE_PORT_IN_USE',
      });
    } finally {
      await first.close();
    }
  });

  test('close() releases the port (and can be called twice)', async () => {
    const first = await startMetricsServer({ port: 0, host: '127.0.0.1', registry: new Registry() });
    // A keep-alive connection must not hold the close.
    await fetch(first.url);
    await first.close();
    await first.close();
    const again = await startMetricsServer({ port: first.port, host: '127.0.0.1', registry: new Registry() });
    expect(again.port).toBe(first.port);
    await again.close();
    await expect(fetch(again.url)).rejects.toThrow();
  });

  test.each([
    [{ port: -1 }, 'option "port"'],
    [{ port: 70000 }, 'option "port"'],
    [{ port: 1.5 }, 'option "port"'],
    [{ port: 0, path: 'metrics' }, 'option "path"'],
    [{ port: 0, host: '' }, 'option "host"'],
  ])('bad options %j are refused', async (options, message) => {
    await expect(startMetricsServer({ ...options, registry: new Registry() })).rejects.toMatchObject({
      code: 'CASCADENCE_INVALID_OPTIONS',
      message: expect.stringContaining(message),
    });
  });

  test('an address that cannot be bound is a CASCADENCE_METRICS_SERVER error', async () => {
    await expect(startMetricsServer({ port: 0, host: '203.0.113.1', registry: new Registry() })).rejects.toMatchObject({
      code: 'CASCADENCE_METRICS_SERVER',
      message: expect.stringContaining('203.0.113.1'),
    });
  });
});
