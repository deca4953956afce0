// Issue 13, items 7 and 8: credentials and bodies never follow a redirect to another origin, and a
// step without timeoutMs still has a deadline. Two real servers on loopback: different ports are
// different origins.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CascadenceError, defineFlow, Engine, Registry, silentLogger, type FlowSteps } from '@cascadence/core';
import { DEFAULT_HTTP_TIMEOUT_MS, http, HttpErrorCode, type HttpResult } from '../src';
import { checkHttpOptions } from '../src/options';
import { startServer, type TestServer } from './server';

jest.setTimeout(20_000);

let other: TestServer; // another origin: records what reaches it
let redirector: Server;
let origin: string;
const seenHere: Array<{ path: string; headers: Record<string, unknown>; body: string }> = [];

beforeAll(async () => {
  other = await startServer();
  // GET/POST /to/<status>?url=<target> answers <status> with location <target>; /echo records the request.
  redirector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const body = Buffer.concat(chunks).toString('utf8');
      seenHere.push({ path: url.pathname, headers: req.headers, body });
      const match = /^\/to\/(\d{3})$/.exec(url.pathname);
      if (match) {
        res.writeHead(Number(match[1]), { location: url.searchParams.get('url') ?? url.pathname });
        res.end('redirecting');
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ method: req.method, apiKey: req.headers['x-api-key'] ?? null, body }));
      }
    });
  });
  await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await other.close();
  redirector.closeAllConnections();
  await new Promise((resolve) => redirector.close(resolve));
});

function run(steps: FlowSteps) {
  const registry = new Registry().addProcessor(http, '@cascadence/plugin-http');
  return new Engine({ resolver: registry, logger: silentLogger }).run(defineFlow({ name: 'api', steps }));
}
const to = (status: number, target: string) => `${origin}/to/${status}?url=${encodeURIComponent(target)}`;
const secrets = {
  'x-api-key': 'k-123',
  authorization: 'Bearer t-456',
  cookie: 'session=s-789',
  accept: 'application/json',
  'x-custom': 'c',
};

describe('redirects to another origin (item 7)', () => {
  it.each([301, 302, 303, 307, 308])('a GET redirected with %i: credential headers are dropped, safe ones kept', async (status) => {
    other.seen.length = 0;
    const result = await run({ get: { uses: 'http', with: { url: to(status, `${other.url}/json`), headers: secrets } } });
    expect(result.status).toBe('succeeded');
    expect((result.steps.get?.output as HttpResult).url).toBe(`${other.url}/json`);
    expect(other.seen).toHaveLength(1);
    const headers = other.seen[0]!.headers;
    expect(headers['x-api-key']).toBeUndefined();
    expect(headers.authorization).toBeUndefined();
    expect(headers.cookie).toBeUndefined();
    expect(headers['x-custom']).toBeUndefined();
    expect(headers.accept).toBe('application/json');
  });

  it.each([307, 308])('a POST with a body redirected with %i to another origin fails; nothing reaches the other origin', async (status) => {
    other.seen.length = 0;
    const result = await run({
      post: { uses: 'http', with: { url: to(status, `${other.url}/echo`), method: 'POST', headers: secrets, body: { secret: 'payload' } } },
    });
    expect(result.status).toBe('failed');
    const error = result.steps.post?.error as CascadenceError;
    expect(error.code).toBe(HttpErrorCode.REDIRECT);
    expect(error.message).toContain(
      `redirected (${status}) to another origin, ${other.url}; the request body is never re-sent to another origin`,
    );
    expect(other.seen).toHaveLength(0);
  });

  it('a POST redirected with 303 to another origin becomes a GET without body or credentials', async () => {
    other.seen.length = 0;
    const result = await run({
      post: { uses: 'http', with: { url: to(303, `${other.url}/echo`), method: 'POST', headers: secrets, body: 'secret payload' } },
    });
    expect(result.status).toBe('succeeded');
    expect(other.seen).toMatchObject([{ method: 'GET', body: '' }]);
    expect(other.seen[0]!.headers['x-api-key']).toBeUndefined();
    expect(other.seen[0]!.headers['content-type']).toBeUndefined();
  });

  it('a same-origin 307 keeps the method, the body and every header', async () => {
    const result = await run({
      post: { uses: 'http', with: { url: to(307, `${origin}/echo`), method: 'POST', headers: secrets, body: 'same origin' } },
    });
    expect(result.status).toBe('succeeded');
    expect((result.steps.post?.output as HttpResult).body).toEqual({ method: 'POST', apiKey: 'k-123', body: 'same origin' });
  });

  it('a redirect to a non-http URL, and a loop, fail with CASCADENCE_HTTP_REDIRECT', async () => {
    const result = await run({
      ftp: { uses: 'http', with: { url: to(302, 'ftp://127.0.0.1/x') } },
      loop: { uses: 'http', with: { url: `${origin}/to/302` } },
    });
    expect((result.steps.ftp?.error as CascadenceError).code).toBe(HttpErrorCode.REDIRECT);
    expect(result.steps.ftp?.error?.message).toContain('redirected to ftp: URL; only http: and https: are followed');
    expect(result.steps.loop?.error?.message).toContain('more than 20 redirects');
  });
});

describe('default timeout (item 8)', () => {
  it('a step without timeoutMs gets the documented default; 0 means no limit; a negative value is refused', () => {
    expect(DEFAULT_HTTP_TIMEOUT_MS).toBe(30_000);
    expect(checkHttpOptions({ url: 'http://127.0.0.1/' }, 'step "a"').timeoutMs).toBe(30_000);
    expect(checkHttpOptions({ url: 'http://127.0.0.1/', timeoutMs: 0 }, 'step "a"').timeoutMs).toBe(0);
    expect(() => checkHttpOptions({ url: 'http://127.0.0.1/', timeoutMs: -1 }, 'step "a"')).toThrow(
      'step "a": option "timeoutMs" must be a number of milliseconds >= 0, 0 for no limit (got -1)',
    );
  });
});
