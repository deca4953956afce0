// Issue 13, items 5 and 6: the metrics server listens on loopback by default and bounds what one
// client can make it hold: pipelined requests, idle connections, the number of connections.
import { connect, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { Gauge, Registry } from 'prom-client';
import { MetricsErrorCode, startMetricsServer, type MetricsServer } from '../src';

jest.setTimeout(60_000);

/** A registry whose every render is counted (a gauge's collect() runs once per scrape). */
function countingRegistry(): { registry: Registry; renders: () => number } {
  const registry = new Registry();
  let renders = 0;
  new Gauge({
    name: 'test_renders',
    help: 'renders so far',
    registers: [registry],
    collect() {
      renders++;
      this.set(renders);
    },
  });
  return { registry, renders: () => renders };
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

const closed = (socket: Socket): Promise<void> =>
  new Promise((resolve) => {
    if (socket.destroyed) resolve();
    else socket.once('close', () => resolve());
  });

describe('where the metrics server listens (item 5)', () => {
  let server: MetricsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  test('by default on loopback only, and the URL is the real address', async () => {
    server = await startMetricsServer({ port: 0, registry: new Registry() });
    expect(server.host).toBe('127.0.0.1');
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/metrics`);
    // Not reachable on any other interface of this machine.
    const external = Object.values(networkInterfaces())
      .flat()
      .filter((i) => i !== undefined && !i.internal && i.family === 'IPv4')
      .map((i) => i!.address);
    for (const address of external) {
      const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
        const socket = connect(server!.port, address, () => {
          socket.destroy();
          resolve(undefined);
        });
        socket.once('error', resolve);
      });
      expect(error?.code).toBe('ECONNREFUSED');
    }
  });

  test('an explicit wildcard host is shown as such, not disguised as 127.0.0.1', async () => {
    server = await startMetricsServer({ port: 0, host: '0.0.0.0', registry: new Registry() });
    expect(server.host).toBe('0.0.0.0');
    expect(server.url).toBe(`http://0.0.0.0:${server.port}/metrics`);
  });

  test('limits that are not positive integers are refused, naming the option', async () => {
    for (const option of ['maxConnections', 'idleTimeoutMs', 'headersTimeoutMs', 'maxPipelinedRequests'] as const) {
      await expect(startMetricsServer({ port: 0, [option]: 0 })).rejects.toMatchObject({
        code: MetricsErrorCode.INVALID_OPTIONS,
        message: expect.stringContaining(`option "${option}": expected a positive integer, got 0`),
      });
    }
  });
});

describe('resource limits (item 6)', () => {
  test('10,000 pipelined requests from a client that never reads: a few are rendered, then the connection is closed, and the server still answers others', async () => {
    const { registry, renders } = countingRegistry();
    const server = await startMetricsServer({ port: 0, registry });
    try {
      const socket = await open(server.port);
      socket.pause(); // never read the answers
      socket.on('error', () => {});
      socket.write('GET /metrics HTTP/1.1\r\nhost: x\r\n\r\n'.repeat(10_000));
      await closed(socket);
      expect(renders()).toBeLessThanOrEqual(16);
      const response = await fetch(server.url);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('test_renders');
    } finally {
      await server.close();
    }
  });

  test('pipelined requests within the cap are all answered, in order', async () => {
    const { registry } = countingRegistry();
    const server = await startMetricsServer({ port: 0, registry });
    try {
      const socket = await open(server.port);
      let text = '';
      socket.setEncoding('latin1').on('data', (chunk: string) => (text += chunk));
      socket.end('GET /metrics HTTP/1.1\r\nhost: x\r\n\r\n'.repeat(5) + 'GET /other HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
      await closed(socket);
      const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
      expect(statuses).toEqual(['200', '200', '200', '200', '200', '404']);
      const values = [...text.matchAll(/^test_renders (\d+)$/gm)].map((m) => Number(m[1]));
      expect(values).toEqual([...values].sort((a, b) => a - b));
    } finally {
      await server.close();
    }
  });

  test('connections that never send a byte are closed after idleTimeoutMs', async () => {
    const server = await startMetricsServer({ port: 0, registry: new Registry(), idleTimeoutMs: 300 });
    try {
      const sockets = await Promise.all(Array.from({ length: 20 }, () => open(server.port)));
      await Promise.all(sockets.map(closed));
      const response = await fetch(server.url);
      expect(response.status).toBe(200);
    } finally {
      await server.close();
    }
  });

  test('connections beyond maxConnections are closed at once; those within stay', async () => {
    const server = await startMetricsServer({ port: 0, registry: new Registry(), maxConnections: 5, idleTimeoutMs: 60_000 });
    try {
      const sockets = await Promise.all(Array.from({ length: 12 }, () => open(server.port)));
      const outcome = await Promise.all(
        sockets.map(
          (socket) =>
            new Promise<'closed' | 'open'>((resolve) => {
              socket.on('error', () => {});
              socket.once('close', () => resolve('closed'));
              // An open connection answers a request; a closed one cannot.
              socket.once('data', () => resolve('open'));
              socket.write('GET /metrics HTTP/1.1\r\nhost: x\r\n\r\n');
            }),
        ),
      );
      expect(outcome.filter((o) => o === 'open')).toHaveLength(5);
      expect(outcome.filter((o) => o === 'closed')).toHaveLength(7);
      for (const socket of sockets) socket.destroy();
    } finally {
      await server.close();
    }
  });
});
