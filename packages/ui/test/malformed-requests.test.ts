import { connect } from 'node:net';
import { pageHeaders, request, startFixture, type Fixture } from './fixture';

/** Writes raw bytes to the server and collects whatever comes back until it closes. */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('close', () => resolve(answer));
    socket.on('error', () => resolve(answer));
  });
}

describe('the dashboard server survives malformed requests', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await startFixture();
  });
  afterAll(() => f.close());

  test('garbage, a bad request line and an oversized header get errors, not a crash', async () => {
    expect(await raw(f.server.port, '\x00\x01\x02garbage\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    expect(await raw(f.server.port, 'GET /api/runs HTTP/9.9\r\n\r\n')).toMatch(/^HTTP\/1\.1 (400|505)/);
    expect(await raw(f.server.port, `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX: ${'a'.repeat(100_000)}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 431/);
    expect((await request(`${f.base}/api/runs`)).status).toBe(200);
  });

  test('bad percent-encoding in a path is a 400 naming the segment', async () => {
    const reply = await request(`${f.base}/api/runs/%E0%A4%A`);
    expect(reply.status).toBe(400);
    expect(reply.json().error.message).toBe('the path segment "%E0%A4%A" is not valid percent-encoding');
  });

  test('an action body over 64 KiB is refused and does nothing', async () => {
    const reply = await request(`${f.base}/api/tasks/ok/disable`, {
      method: 'POST',
      headers: pageHeaders(f.server),
      body: 'x'.repeat(70_000),
    });
    expect(reply.status).toBe(400);
    expect(reply.json().error.message).toMatch(/request body over 65536 bytes/);
    expect(f.actions.calls).toEqual([]);
  });

  test('unknown assets and paths outside the asset list are 404', async () => {
    for (const path of ['/assets/../package.json', '/assets/%2e%2e%2fpackage.json', '/assets/nope.js', '/assets/']) {
      expect((await request(`${f.base}${path}`)).status).toBe(404);
    }
  });
});
