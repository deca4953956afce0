import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface TestServer {
  url: string;
  seen: SeenRequest[];
  /** Paths whose request the client gave up on (the connection closed before we answered). */
  aborted: string[];
  hits: Map<string, number>;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/** A real HTTP server on 127.0.0.1 (a free port) with the routes the tests need. */
export async function startServer(): Promise<TestServer> {
  const seen: SeenRequest[] = [];
  const aborted: string[] = [];
  const hits = new Map<string, number>();
  const routes: Record<string, Handler> = {
    '/json': (_req, res) => send(res, 200, { 'content-type': 'application/json; charset=utf-8' }, JSON.stringify({ hello: 'world', n: 1 })),
    '/problem': (_req, res) => send(res, 422, { 'content-type': 'application/problem+json' }, JSON.stringify({ title: 'bad input' })),
    '/text': (_req, res) => send(res, 200, { 'content-type': 'text/plain' }, 'plain text'),
    '/json-as-text': (_req, res) => send(res, 200, { 'content-type': 'text/plain' }, '{"a":1}'),
    '/latin1': (_req, res) => send(res, 200, { 'content-type': 'text/plain; charset=iso-8859-1' }, Buffer.from([0x63, 0x61, 0x66, 0xe9])),
    '/echo': (req, res, body) =>
      send(
        res,
        200,
        { 'content-type': 'application/json' },
        JSON.stringify({
          method: req.method,
          url: req.url,
          contentType: req.headers['content-type'] ?? null,
          custom: req.headers['x-custom'] ?? null,
          body,
        }),
      ),
    '/empty': (_req, res) => send(res, 204, {}, ''),
    '/empty-json': (_req, res) => send(res, 200, { 'content-type': 'application/json' }, ''),
    '/bad-json': (_req, res) => send(res, 200, { 'content-type': 'application/json' }, '{"oops": tru'),
    '/fail': (_req, res) =>
      send(res, 500, { 'content-type': 'application/json' }, JSON.stringify({ error: 'database is on fire', detail: 'x'.repeat(1000) })),
    '/missing': (_req, res) => send(res, 404, { 'content-type': 'text/plain' }, 'no such thing'),
    '/redirect': (_req, res) => send(res, 302, { location: '/json' }, ''),
    '/cookies': (_req, res) => {
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.setHeader('x-multi', ['one', 'two']);
      send(res, 200, {}, 'ok');
    },
    '/big': (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      // Streamed without content-length: the limit must be enforced while reading.
      const chunk = 'b'.repeat(64 * 1024);
      let sent = 0;
      const write = (): void => {
        while (sent < 40) {
          sent++;
          if (!res.write(chunk)) {
            res.once('drain', write);
            return;
          }
        }
        res.end();
      };
      write();
    },
    '/flaky': (_req, res) => {
      const n = hits.get('/flaky') ?? 0;
      if (n <= 1) send(res, 503, { 'content-type': 'text/plain' }, 'try again');
      else send(res, 200, { 'content-type': 'text/plain' }, 'finally');
    },
    // Never answers: for timeouts and cancellation.
    '/hang': () => {},
    // Sends headers, then stalls the body.
    '/slow-body': (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
    },
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0] as string;
      const body = Buffer.concat(chunks).toString('utf8');
      hits.set(path, (hits.get(path) ?? 0) + 1);
      seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      res.on('close', () => {
        if (!res.writableEnded) aborted.push(path);
      });
      const route = routes[path];
      if (route === undefined) send(res, 404, {}, 'unknown route');
      else route(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    aborted,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string | Buffer): void {
  res.writeHead(status, headers);
  res.end(body);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` is true or `timeoutMs` passes; returns the last result. */
export async function eventually(check: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await sleep(10);
  }
  return check();
}
