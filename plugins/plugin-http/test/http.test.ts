import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  CascadenceError,
  defineFlow,
  Engine,
  Registry,
  silentLogger,
  type FlowSteps,
  type RunOptions,
  StepSkipSignal,
  type TaskContext,
} from '@cascadence/core';

// A hand-made context (the processor called directly, outside an engine) skips as the engine's does.
const skipOutsideEngine = (reason?: string): never => {
  throw new StepSkipSignal('direct call', reason ?? '');
};
import httpPluginDefault, { http, httpPlugin, HttpErrorCode, runHttp, statusMatches, type HttpResult } from '../src';
import { eventually, startServer, type TestServer } from './server';

jest.setTimeout(20_000);

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

function engine(options: { failFast?: boolean } = {}) {
  const registry = new Registry().addProcessor(http, '@cascadence/plugin-http');
  const e = new Engine({ resolver: registry, logger: silentLogger, failFast: options.failFast });
  return (steps: FlowSteps, runOptions?: RunOptions) => e.run(defineFlow({ name: 'api', steps }), undefined, runOptions);
}
const output = (result: { steps: Record<string, { output: unknown }> }, step: string) => result.steps[step]?.output as HttpResult;
const errorOf = (result: { steps: Record<string, { error?: Error }> }, step: string) => result.steps[step]?.error as CascadenceError;

describe('http processor: requests and responses', () => {
  it('GETs JSON: { status, headers, body } with the body parsed because the content-type says JSON', async () => {
    const run = engine();
    const result = await run({ get: { uses: 'http', with: { url: `${server.url}/json` } } });
    expect(result.status).toBe('succeeded');
    const out = output(result, 'get');
    expect(out).toMatchObject({ status: 200, statusText: 'OK', url: `${server.url}/json`, body: { hello: 'world', n: 1 } });
    expect(out.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('responseType: auto reads text/* as text and +json as JSON; json and text force the reading', async () => {
    const run = engine();
    const result = await run({
      text: { uses: 'http', with: { url: `${server.url}/text` } },
      forcedJson: { uses: 'http', with: { url: `${server.url}/json-as-text`, responseType: 'json' } },
      forcedText: { uses: 'http', with: { url: `${server.url}/json`, responseType: 'text' } },
      problem: { uses: 'http', with: { url: `${server.url}/problem`, expectStatus: 422 } },
      latin1: { uses: 'http', with: { url: `${server.url}/latin1` } },
    });
    expect(output(result, 'text').body).toBe('plain text');
    expect(output(result, 'forcedJson').body).toEqual({ a: 1 });
    expect(output(result, 'forcedText').body).toBe('{"hello":"world","n":1}');
    expect(output(result, 'problem').body).toEqual({ title: 'bad input' });
    expect(output(result, 'latin1').body).toBe('café');
  });

  it('an empty body is null when read as JSON and "" as text', async () => {
    const run = engine();
    const result = await run({
      noContent: { uses: 'http', with: { url: `${server.url}/empty`, method: 'DELETE' } },
      emptyJson: { uses: 'http', with: { url: `${server.url}/empty-json` } },
      head: { uses: 'http', with: { url: `${server.url}/json`, method: 'head' } },
    });
    expect(output(result, 'noContent')).toMatchObject({ status: 204, body: '' });
    expect(output(result, 'emptyJson').body).toBeNull();
    expect(output(result, 'head')).toMatchObject({ status: 200, body: null });
  });

  it('sends an object body as JSON with content-type application/json; a string body as is; a given content-type wins', async () => {
    const run = engine();
    const result = await run({
      json: {
        uses: 'http',
        with: { url: `${server.url}/echo`, method: 'post', body: { name: 'deploy', ids: [1, 2] }, headers: { 'X-Custom': 42 } },
      },
      list: { uses: 'http', with: { url: `${server.url}/echo`, method: 'PUT', body: [true] } },
      text: {
        uses: 'http',
        with: {
          url: `${server.url}/echo`,
          method: 'POST',
          body: 'a=1&b=2',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        },
      },
      own: {
        uses: 'http',
        with: { url: `${server.url}/echo`, method: 'PATCH', body: { v: 1 }, headers: { 'Content-Type': 'application/merge-patch+json' } },
      },
    });
    expect(result.status).toBe('succeeded');
    expect(output(result, 'json').body).toEqual({
      method: 'POST',
      url: '/echo',
      contentType: 'application/json',
      custom: '42',
      body: '{"name":"deploy","ids":[1,2]}',
    });
    expect(output(result, 'list').body).toMatchObject({ method: 'PUT', contentType: 'application/json', body: '[true]' });
    expect(output(result, 'text').body).toMatchObject({ contentType: 'application/x-www-form-urlencoded', body: 'a=1&b=2' });
    expect(output(result, 'own').body).toMatchObject({ method: 'PATCH', contentType: 'application/merge-patch+json', body: '{"v":1}' });
  });

  it('adds `query` to the URL after the parameters it already has', async () => {
    const run = engine();
    const result = await run({
      q: {
        uses: 'http',
        with: { url: `${server.url}/echo?page=2`, method: 'POST', query: { tag: ['a b', 'c'], limit: 10, skip: null, on: true } },
      },
    });
    expect((output(result, 'q').body as { url: string }).url).toBe('/echo?page=2&tag=a+b&tag=c&limit=10&on=true');
  });

  it('returns headers lower-cased, repeated ones joined with ", "', async () => {
    const run = engine();
    const out = output(await run({ c: { uses: 'http', with: { url: `${server.url}/cookies` } } }), 'c');
    expect(out.headers['x-multi']).toBe('one, two');
    expect(out.headers['set-cookie']).toBe('a=1, b=2');
  });

  it('follows redirects by default; redirect: manual returns the 3xx (which then has to be expected)', async () => {
    const run = engine();
    const result = await run({
      follow: { uses: 'http', with: { url: `${server.url}/redirect` } },
      manual: { uses: 'http', with: { url: `${server.url}/redirect`, redirect: 'manual', expectStatus: 302 } },
      manualUnexpected: { uses: 'http', with: { url: `${server.url}/redirect`, redirect: 'manual' } },
      refuse: { uses: 'http', with: { url: `${server.url}/redirect`, redirect: 'error' } },
    });
    expect(output(result, 'follow')).toMatchObject({ status: 200, url: `${server.url}/json`, body: { hello: 'world', n: 1 } });
    expect(output(result, 'manual')).toMatchObject({ status: 302, headers: { location: '/json' } });
    expect(errorOf(result, 'manualUnexpected').message).toBe(
      `flow "api", step "manualUnexpected": GET ${server.url}/redirect returned 302 Found (expected 2xx)`,
    );
    expect(errorOf(result, 'refuse').code).toBe(HttpErrorCode.REQUEST);
  });
});

describe('http processor: status checks', () => {
  it('an unexpected status fails the step naming method, url and status, with a short excerpt of the body', async () => {
    const run = engine();
    const result = await run({ call: { uses: 'http', with: { url: `${server.url}/fail`, method: 'POST', body: { x: 1 } } } });
    expect(result.status).toBe('failed');
    const error = errorOf(result, 'call');
    expect(error.code).toBe(HttpErrorCode.STATUS);
    expect(error.message).toMatch(
      new RegExp(
        `^flow "api", step "call": POST ${server.url}/fail returned 500 Internal Server Error \\(expected 2xx\\): \\{"error":"database is on fire","detail":"x+…$`,
      ),
    );
    expect(error.message.length).toBeLessThan(450);
    expect(error.details).toMatchObject({ method: 'POST', url: `${server.url}/fail`, status: 500 });
  });

  it('expectStatus takes a code, a class like "4xx", or a list', async () => {
    const run = engine();
    const result = await run({
      exact: { uses: 'http', with: { url: `${server.url}/missing`, expectStatus: 404 } },
      klass: { uses: 'http', with: { url: `${server.url}/missing`, expectStatus: '4xx' } },
      list: { uses: 'http', with: { url: `${server.url}/json`, expectStatus: [201, '2xx'] } },
      wrong: { uses: 'http', with: { url: `${server.url}/json`, expectStatus: [201, 404, '5xx'] } },
    });
    expect(output(result, 'exact')).toMatchObject({ status: 404, body: 'no such thing' });
    expect(output(result, 'klass').status).toBe(404);
    expect(output(result, 'list').status).toBe(200);
    expect(errorOf(result, 'wrong').message).toBe(
      `flow "api", step "wrong": GET ${server.url}/json returned 200 OK (expected 201, 404 or 5xx): {"hello":"world","n":1}`,
    );
  });

  it('statusMatches: the default is any 2xx', () => {
    expect([199, 200, 204, 299, 300, 404].map((s) => statusMatches(undefined, s))).toEqual([false, true, true, true, false, false]);
    expect(statusMatches(['3xx', 404], 301)).toBe(true);
    expect(statusMatches('404', 404)).toBe(true);
  });

  it('failed attempts are retried by the engine', async () => {
    const run = engine();
    const result = await run({
      flaky: { uses: 'http', retry: { attempts: 3, backoff: 'fixed', delayMs: 1 }, with: { url: `${server.url}/flaky` } },
    });
    expect(result.status).toBe('succeeded');
    expect(result.steps.flaky?.attempts).toBe(2);
    expect(output(result, 'flaky').body).toBe('finally');
  });
});

describe('http processor: failures without a usable response', () => {
  it('a refused connection fails with CASCADENCE_HTTP_REQUEST and the reason', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const run = engine();
    const result = await run({ down: { uses: 'http', with: { url: `http://127.0.0.1:${port}/health` } } });
    const error = errorOf(result, 'down');
    expect(error.code).toBe(HttpErrorCode.REQUEST);
    expect(error.message).toBe(
      `flow "api", step "down": GET http://127.0.0.1:${port}/health failed: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
  });

  it('a body that is not the JSON its content-type claims fails with CASCADENCE_HTTP_RESPONSE', async () => {
    const run = engine();
    const error = errorOf(await run({ bad: { uses: 'http', with: { url: `${server.url}/bad-json` } } }), 'bad');
    expect(error.code).toBe(HttpErrorCode.RESPONSE);
    expect(error.message).toMatch(
      new RegExp(
        `^flow "api", step "bad": GET ${server.url}/bad-json returned 200 OK with a body that is not valid JSON \\(.+\\): \\{"oops": tru$`,
      ),
    );
  });

  it('a body over maxResponseBytes fails; under it passes', async () => {
    const run = engine();
    const result = await run({
      big: { uses: 'http', with: { url: `${server.url}/big`, maxResponseBytes: 100_000 } },
      fits: { uses: 'http', with: { url: `${server.url}/big` } },
    });
    expect(errorOf(result, 'big').message).toBe(
      `flow "api", step "big": GET ${server.url}/big returned 200 OK with a body larger than maxResponseBytes (100000 bytes)`,
    );
    expect((output(result, 'fits').body as string).length).toBe(40 * 64 * 1024);
  });
});

describe('http processor: timeouts and cancellation abort the request', () => {
  it('its own timeoutMs fails with CASCADENCE_TIMEOUT naming method and url, and the server sees the request go away', async () => {
    const run = engine();
    const result = await run({ slow: { uses: 'http', with: { url: `${server.url}/hang`, timeoutMs: 200 } } });
    const error = errorOf(result, 'slow');
    expect(error.code).toBe('CASCADENCE_TIMEOUT');
    expect(error.message).toBe(`flow "api", step "slow": GET ${server.url}/hang timed out after 200 ms`);
    expect(await eventually(() => server.aborted.includes('/hang'))).toBe(true);
  });

  it('the timeout also covers a body that stalls after the headers', async () => {
    const run = engine();
    const error = errorOf(await run({ stall: { uses: 'http', with: { url: `${server.url}/slow-body`, timeoutMs: 200 } } }), 'stall');
    expect(error.code).toBe('CASCADENCE_TIMEOUT');
    expect(await eventually(() => server.aborted.includes('/slow-body'))).toBe(true);
  });

  it('cancelling the run aborts the request', async () => {
    server.aborted.length = 0;
    const run = engine();
    const before = server.hits.get('/hang') ?? 0;
    const controller = new AbortController();
    const running = run({ wait: { uses: 'http', with: { url: `${server.url}/hang` } } }, { signal: controller.signal });
    expect(await eventually(() => (server.hits.get('/hang') ?? 0) > before)).toBe(true);
    controller.abort();
    const result = await running;
    expect(result.status).toBe('cancelled');
    expect(await eventually(() => server.aborted.includes('/hang'))).toBe(true);
  });

  it('the step timeout of the engine aborts the request', async () => {
    server.aborted.length = 0;
    const run = engine();
    const result = await run({ wait: { uses: 'http', timeoutMs: 200, with: { url: `${server.url}/hang` } } });
    expect(errorOf(result, 'wait').code).toBe('CASCADENCE_TIMEOUT');
    expect(await eventually(() => server.aborted.includes('/hang'))).toBe(true);
  });

  it('runHttp can be called directly with any AbortSignal; its reason is the rejection', async () => {
    const controller = new AbortController();
    const ctx = {
      runId: 'r',
      task: 'http',
      stepId: 'direct',
      flow: undefined,
      attempt: 1,
      signal: controller.signal,
      log: silentLogger,
      results: {},
      skip: skipOutsideEngine,
    } satisfies TaskContext;
    const pending = runHttp(ctx, { url: `${server.url}/hang` });
    setTimeout(() => controller.abort(new Error('shutting down')), 50);
    await expect(pending).rejects.toThrow('shutting down');
    const done = await runHttp({ ...ctx, signal: new AbortController().signal }, { url: `${server.url}/text` });
    expect(done.body).toBe('plain text');
  });
});

describe('http processor: options', () => {
  it.each([
    [{ url: 'not a url' }, 'option "url" is not an absolute URL: "not a url"'],
    [{ url: 'ftp://example.com/x' }, 'option "url" must use http: or https: (got ftp:)'],
    [
      { url: 'https://user:secret@example.com/' },
      'option "url" must not contain credentials (user:password@); send them in an Authorization header',
    ],
    [{ url: 'http://127.0.0.1/', body: 'x' }, 'option "body" is not allowed with GET'],
    [{ url: 'http://127.0.0.1/', method: 'GE T' }, 'option "method" must be an HTTP method such as GET or POST (got "GE T")'],
    [
      { url: 'http://127.0.0.1/', expectStatus: 'ok' },
      'option "expectStatus" must be a status code (100-599), a class like "2xx", or a list of them (got "ok")',
    ],
    [{ url: 'http://127.0.0.1/', expectStatus: [] }, 'option "expectStatus" must not be an empty list'],
    [{ url: 'http://127.0.0.1/', headers: { 'bad header': 'x' } }, 'option "headers": "bad header" is not a valid header name'],
    [
      { url: 'http://127.0.0.1/', headers: { 'x-list': ['a'] } },
      'option "headers": header "x-list" must be a string, number or boolean (got a list)',
    ],
    [{ url: 'http://127.0.0.1/', timeoutMs: -5 }, 'option "timeoutMs" must be a number of milliseconds >= 0, 0 for no limit (got -5)'],
  ])('rejects %j before the run starts (processor validate), so nothing is sent', async (withOptions, problem) => {
    const run = engine();
    await expect(run({ bad: { uses: 'http', with: withOptions, retry: { attempts: 3, delayMs: 1 } } })).rejects.toMatchObject({
      code: 'CASCADENCE_INVALID_OPTIONS',
      message: `flow "api", step "bad": ${problem}`,
    });
  });

  it('missing url, unknown options and bad enums are refused by the engine before the run starts', async () => {
    const run = engine();
    await expect(run({ a: { uses: 'http', with: {} } })).rejects.toMatchObject({
      code: 'CASCADENCE_INVALID_OPTIONS',
      message: expect.stringContaining('option "url" is required'),
    });
    await expect(run({ a: { uses: 'http', with: { url: 'http://x/', methd: 'POST' } } })).rejects.toMatchObject({
      code: 'CASCADENCE_INVALID_OPTIONS',
      message: expect.stringContaining('unknown option "methd"'),
    });
    await expect(run({ a: { uses: 'http', with: { url: 'http://x/', responseType: 'xml' } } })).rejects.toMatchObject({
      code: 'CASCADENCE_INVALID_OPTIONS',
      message: expect.stringContaining('option "responseType" must be one of "auto", "json", "text"'),
    });
  });
});

describe('the plugin object', () => {
  it('is the default export, provides the http processor and matches the package.json manifest', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'));
    expect(httpPluginDefault).toBe(httpPlugin);
    expect(httpPlugin).toMatchObject({ kind: 'plugin', name: pkg.name, apiVersion: 1 });
    expect(httpPlugin.processors?.map((p) => p.name)).toEqual(pkg.cascadence.processors);
    expect(pkg.cascadence).toEqual({ apiVersion: 1, provides: ['processor'], processors: ['http'] });
  });
});
