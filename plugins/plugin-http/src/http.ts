import { CancelledError, CascadenceError, defineProcessor, TimeoutError, type Processor, type TaskContext } from '@cascadence/core';
import { HttpErrorCode } from './errors';
import { checkHttpOptions, httpOptionsSchema, type HttpOptions } from './options';
import { decodeText, effectiveType, excerpt, readLimited, type ReadBody } from './response-body';
import { anySignal } from './signal';
import { describeExpected, statusMatches } from './status';

/** What an `http` step returns. */
export interface HttpResult<Body = unknown> {
  status: number;
  statusText: string;
  /** The final URL, after redirects. */
  url: string;
  /** Response headers, names lower-cased; repeated headers joined with ", " (as `Headers.get` does). */
  headers: Record<string, string>;
  /** Parsed JSON (null for an empty JSON body) or text, per `responseType`. */
  body: Body;
}

/** `flow "deploy", step "notify"`, like the engine's option errors. */
export function stepWhere(ctx: Pick<TaskContext, 'flow' | 'stepId'>): string {
  return ctx.flow === undefined ? `step "${ctx.stepId}"` : `flow "${ctx.flow}", step "${ctx.stepId}"`;
}

/**
 * Makes one request for a step with the global fetch. Rejects when the status is not expected,
 * on network errors, on `timeoutMs` and when `ctx.signal` aborts (the request is aborted too).
 */
export async function runHttp(ctx: TaskContext, options: HttpOptions): Promise<HttpResult> {
  const where = stepWhere(ctx);
  const o = checkHttpOptions(options ?? ({} as HttpOptions), where);
  const what = `${o.method} ${o.url.href}`;
  const outer = ctx.signal;
  if (outer.aborted) throw abortReason(outer, where);

  const deadline = new AbortController();
  const timer =
    o.timeoutMs === 0 ? undefined : setTimeout(() => deadline.abort(new TimeoutError(`${where}: ${what}`, o.timeoutMs)), o.timeoutMs);
  const signal = anySignal([outer, deadline.signal]);
  /** Why the request was stopped on purpose, if it was. */
  const stopped = (): Error | undefined =>
    deadline.signal.aborted ? (deadline.signal.reason as Error) : outer.aborted ? abortReason(outer, where) : undefined;

  try {
    let response: Response;
    let url = o.url;
    let method = o.method;
    let requestBody = o.body;
    let requestHeaders = o.headers;
    for (let hops = 0; ; hops++) {
      try {
        // `follow` is done here, not by fetch, which would send every header (x-api-key, cookies...)
        // and, on 307/308, the body to whatever origin the server names.
        response = await fetch(url, {
          method,
          headers: requestHeaders,
          body: requestBody,
          redirect: o.redirect === 'follow' ? 'manual' : o.redirect,
          signal,
        });
      } catch (error) {
        throw (
          stopped() ??
          new CascadenceError(HttpErrorCode.REQUEST, `${where}: ${what} failed: ${causeMessage(error)}`, {
            cause: error,
            details: { method: o.method, url: url.href },
          })
        );
      }
      const location = response.headers.get('location');
      if (o.redirect !== 'follow' || !REDIRECT_STATUSES.includes(response.status) || location === null) break;
      await response.body?.cancel().catch(() => {});
      const redirected = (problem: string): CascadenceError =>
        new CascadenceError(HttpErrorCode.REDIRECT, `${where}: ${what}: ${problem}`, {
          details: { method: o.method, url: o.url.href, at: url.href, status: response.status, location },
        });
      if (hops >= MAX_REDIRECTS) throw redirected(`more than ${MAX_REDIRECTS} redirects`);
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        throw redirected(`${url.href} redirected (${response.status}) to an invalid URL ${JSON.stringify(location)}`);
      }
      if (next.protocol !== 'http:' && next.protocol !== 'https:')
        throw redirected(`${url.href} redirected to ${next.protocol} URL; only http: and https: are followed`);
      // What browsers do: 303 (and 301/302 after a POST) become a GET without a body.
      if ((response.status === 303 && method !== 'HEAD') || ((response.status === 301 || response.status === 302) && method === 'POST')) {
        method = 'GET';
        requestBody = undefined;
        requestHeaders = new Headers(requestHeaders);
        for (const name of BODY_HEADERS) requestHeaders.delete(name);
      }
      if (next.origin !== url.origin) {
        if (requestBody !== undefined) {
          throw redirected(
            `${url.href} redirected (${response.status}) to another origin, ${next.origin}; the request body is never re-sent to another origin (request the new URL directly, or use redirect: "manual")`,
          );
        }
        const safe = new Headers();
        for (const [name, value] of requestHeaders) if (CROSS_ORIGIN_SAFE_HEADERS.has(name)) safe.set(name, value);
        requestHeaders = safe;
      }
      url = next;
    }
    let read: ReadBody;
    try {
      read = await readLimited(response, o.maxResponseBytes);
    } catch (error) {
      throw (
        stopped() ??
        new CascadenceError(HttpErrorCode.REQUEST, `${where}: ${what}: reading the response body failed: ${causeMessage(error)}`, {
          cause: error,
          details: { method: o.method, url: o.url.href, status: response.status },
        })
      );
    }
    const contentType = response.headers.get('content-type');
    const headers = headersRecord(response.headers);
    const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;

    if (!statusMatches(o.expectStatus, response.status)) {
      const text = excerpt(decodeText(read.bytes, contentType));
      throw new CascadenceError(
        HttpErrorCode.STATUS,
        `${where}: ${what} returned ${status} (expected ${describeExpected(o.expectStatus)})${text === '' ? '' : `: ${text}`}`,
        { details: { method: o.method, url: o.url.href, status: response.status, headers, body: text } },
      );
    }
    if (read.tooLarge) {
      throw new CascadenceError(
        HttpErrorCode.RESPONSE,
        `${where}: ${what} returned ${status} with a body larger than maxResponseBytes (${o.maxResponseBytes} bytes)`,
        { details: { method: o.method, url: o.url.href, status: response.status, headers } },
      );
    }
    const text = decodeText(read.bytes, contentType);
    let body: unknown = text;
    if (effectiveType(o.responseType, contentType) === 'json') {
      if (text.trim() === '') body = null;
      else {
        try {
          body = JSON.parse(text);
        } catch (error) {
          throw new CascadenceError(
            HttpErrorCode.RESPONSE,
            `${where}: ${what} returned ${status} with a body that is not valid JSON (${(error as Error).message}): ${excerpt(text, 200)}`,
            { cause: error, details: { method: o.method, url: o.url.href, status: response.status, headers, body: excerpt(text, 2000) } },
          );
        }
      }
    }
    return { status: response.status, statusText: response.statusText, url: response.url || url.href, headers, body };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

const REDIRECT_STATUSES = [301, 302, 303, 307, 308];
const MAX_REDIRECTS = 20;
/** The only request headers sent on after a redirect to another origin. */
const CROSS_ORIGIN_SAFE_HEADERS = new Set(['accept', 'accept-language', 'user-agent', 'cache-control']);
const BODY_HEADERS = ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location'];

function headersRecord(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of new Set(headers.keys())) out[name] = headers.get(name) ?? '';
  return out;
}

/** The most specific message in an error's cause chain (fetch says only "fetch failed"). */
function causeMessage(error: unknown): string {
  const messages: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    const e = current as { message?: unknown; code?: unknown; cause?: unknown; errors?: unknown };
    let message = typeof e.message === 'string' ? e.message : '';
    if (message === '' && Array.isArray(e.errors) && e.errors.length > 0) message = causeMessage(e.errors[0]);
    if (message === '' && typeof e.code === 'string') message = e.code;
    else if (typeof e.code === 'string' && !message.includes(e.code)) message = `${message} (${e.code})`;
    if (message !== '') messages.push(message);
    current = e.cause;
  }
  const specific = messages.filter((m) => m !== 'fetch failed');
  return specific[specific.length - 1] ?? messages[0] ?? String(error);
}

function abortReason(signal: AbortSignal, where: string): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return new CancelledError(where, reason);
}

/** The `http` processor: `{ uses: http, with: { url: "https://example.com/health" } }`. */
export const http: Processor<HttpOptions, HttpResult> = defineProcessor<HttpOptions, HttpResult>({
  name: 'http',
  description: 'Makes an HTTP request with fetch; fails on an unexpected status; returns { status, headers, body }',
  options: httpOptionsSchema,
  validate: (options, where) => {
    checkHttpOptions(options, where);
  },
  run: runHttp,
});
