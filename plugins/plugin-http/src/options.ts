import { NonRetryableError, type OptionsSchema } from '@cascadence/core';
import { expectStatusProblem, type StatusPattern } from './status';

export type QueryValue = string | number | boolean | null;
export type ResponseType = 'auto' | 'json' | 'text';
export type RedirectMode = 'follow' | 'manual' | 'error';

/** The `with` of a `uses: http` step. */
export interface HttpOptions {
  /** Absolute http: or https: URL. */
  url: string;
  /** Default GET. Case-insensitive; sent upper-cased. */
  method?: string;
  /** Added to the URL's query string (after what it already has); a list repeats the key, null skips it. */
  query?: Record<string, QueryValue | QueryValue[]>;
  /** Request headers; numbers and booleans become strings. */
  headers?: Record<string, string | number | boolean>;
  /**
   * A string is sent as is; a Uint8Array/ArrayBuffer as bytes; anything else (object, list,
   * number, boolean) as JSON with `content-type: application/json` unless a content-type is given.
   * null or absent: no body.
   */
  body?: unknown;
  /** Accepted statuses: a code, a class like "2xx", or a list of them. Default: any 2xx. */
  expectStatus?: StatusPattern | StatusPattern[];
  /** How to read the body. `auto` (default): JSON when the content-type says JSON, else text. */
  responseType?: ResponseType;
  /** Abort the request and fail the step after this many milliseconds (body included). Default 30000; 0: no limit. */
  timeoutMs?: number;
  /**
   * What to do with a 3xx redirect. Default `follow` (up to 20). Following a redirect to another
   * origin sends only the safe headers (accept, accept-language, user-agent, cache-control) and never
   * the request body: a 307/308 with a body to another origin fails the step.
   */
  redirect?: RedirectMode;
  /** A longer response body fails the step. Default 10 MiB. */
  maxResponseBytes?: number;
}

export const DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024;
/** `timeoutMs` when the step sets none: a server that never answers (or drips) cannot hang a step forever. */
export const DEFAULT_HTTP_TIMEOUT_MS = 30_000;

export const httpOptionsSchema: OptionsSchema = {
  url: { type: 'string', required: true, description: 'absolute http(s) URL' },
  method: { type: 'string', default: 'GET', description: 'HTTP method' },
  query: { type: 'object', description: 'query parameters added to the URL' },
  headers: { type: 'object', description: 'request headers' },
  body: { type: 'any', description: 'string as is; object/list as JSON' },
  expectStatus: { type: 'any', description: 'accepted status: 200, "2xx" or a list; default any 2xx' },
  responseType: { type: 'string', default: 'auto', enum: ['auto', 'json', 'text'], description: 'how to read the body' },
  timeoutMs: { type: 'number', default: DEFAULT_HTTP_TIMEOUT_MS, description: 'abort and fail after this many ms (0: no limit)' },
  redirect: { type: 'string', default: 'follow', enum: ['follow', 'manual', 'error'], description: 'redirect handling' },
  maxResponseBytes: { type: 'integer', default: DEFAULT_MAX_RESPONSE_BYTES, description: 'largest accepted response body' },
};

export interface CheckedHttpOptions {
  method: string;
  url: URL;
  headers: Headers;
  body: string | Uint8Array | undefined;
  expectStatus: StatusPattern | StatusPattern[] | undefined;
  responseType: ResponseType;
  /** 0: no limit. */
  timeoutMs: number;
  redirect: RedirectMode;
  maxResponseBytes: number;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const FORBIDDEN_METHODS = ['CONNECT', 'TRACE', 'TRACK'];

/**
 * Checks what the schema cannot (URL, method, header names, body with GET, ranges) and builds the
 * request parts. A problem is a NonRetryableError: the same options cannot work on a retry.
 */
export function checkHttpOptions(options: HttpOptions, where: string): CheckedHttpOptions {
  const problems: string[] = [];
  const method = typeof options.method === 'string' ? options.method.toUpperCase() : 'GET';
  if (options.method !== undefined && (typeof options.method !== 'string' || !TOKEN.test(options.method))) {
    problems.push(`option "method" must be an HTTP method such as GET or POST (got ${JSON.stringify(options.method)})`);
  } else if (FORBIDDEN_METHODS.includes(method)) {
    problems.push(`option "method": ${method} is not supported by fetch`);
  }

  let url: URL | undefined;
  if (typeof options.url !== 'string' || options.url === '') {
    problems.push('option "url" is required (an absolute http:// or https:// URL)');
  } else {
    try {
      url = new URL(options.url);
    } catch {
      problems.push(`option "url" is not an absolute URL: ${JSON.stringify(options.url)}`);
    }
    if (url !== undefined && url.protocol !== 'http:' && url.protocol !== 'https:') {
      problems.push(`option "url" must use http: or https: (got ${url.protocol})`);
      url = undefined;
    } else if (url !== undefined && (url.username !== '' || url.password !== '')) {
      problems.push('option "url" must not contain credentials (user:password@); send them in an Authorization header');
      url = undefined;
    }
  }

  if (options.query !== undefined) {
    if (!isRecord(options.query)) problems.push('option "query" must be a mapping of parameter names to values');
    else {
      for (const [name, value] of Object.entries(options.query)) {
        const values = Array.isArray(value) ? value : [value];
        if (!values.every(isQueryValue))
          problems.push(`option "query": parameter "${name}" must be a string, number, boolean, null or a list of them`);
        else if (url !== undefined) for (const v of values) if (v !== null) url.searchParams.append(name, String(v));
      }
    }
  }

  const headers = new Headers();
  if (options.headers !== undefined) {
    if (!isRecord(options.headers)) problems.push('option "headers" must be a mapping of header names to values');
    else {
      for (const [name, value] of Object.entries(options.headers)) {
        if (!TOKEN.test(name)) {
          problems.push(`option "headers": ${JSON.stringify(name)} is not a valid header name`);
          continue;
        }
        if (!['string', 'number', 'boolean'].includes(typeof value)) {
          problems.push(
            `option "headers": header "${name}" must be a string, number or boolean (got ${value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value})`,
          );
          continue;
        }
        try {
          headers.set(name, String(value));
        } catch {
          problems.push(`option "headers": the value of "${name}" contains characters not allowed in a header`);
        }
      }
    }
  }

  let body: string | Uint8Array | undefined;
  if (options.body !== undefined && options.body !== null) {
    if (method === 'GET' || method === 'HEAD') problems.push(`option "body" is not allowed with ${method}`);
    else if (typeof options.body === 'string') body = options.body;
    else if (options.body instanceof Uint8Array) body = options.body;
    else if (options.body instanceof ArrayBuffer) body = new Uint8Array(options.body);
    else {
      try {
        body = JSON.stringify(options.body);
      } catch (error) {
        problems.push(`option "body" cannot be sent as JSON: ${(error as Error).message}`);
      }
      if (body === undefined && problems.length === 0) problems.push(`option "body" cannot be sent as JSON (got ${typeof options.body})`);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    }
  }

  if (options.expectStatus !== undefined) {
    const problem = expectStatusProblem(options.expectStatus);
    if (problem !== undefined) problems.push(problem);
  }
  const responseType = options.responseType ?? 'auto';
  if (!['auto', 'json', 'text'].includes(responseType))
    problems.push(`option "responseType" must be "auto", "json" or "text" (got ${JSON.stringify(responseType)})`);
  const redirect = options.redirect ?? 'follow';
  if (!['follow', 'manual', 'error'].includes(redirect))
    problems.push(`option "redirect" must be "follow", "manual" or "error" (got ${JSON.stringify(redirect)})`);
  const timeoutMs = options.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
  if (!(typeof timeoutMs === 'number' && timeoutMs >= 0 && Number.isFinite(timeoutMs))) {
    problems.push(`option "timeoutMs" must be a number of milliseconds >= 0, 0 for no limit (got ${String(options.timeoutMs)})`);
  }
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  if (!(Number.isInteger(maxResponseBytes) && maxResponseBytes >= 0))
    problems.push(`option "maxResponseBytes" must be an integer >= 0 (got ${String(maxResponseBytes)})`);

  if (problems.length > 0 || url === undefined) {
    throw new NonRetryableError(`${where}: ${problems.join('; ')}`, { details: { problems, reason: 'invalid-options' } });
  }
  return { method, url, headers, body, expectStatus: options.expectStatus, responseType, timeoutMs, redirect, maxResponseBytes };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isQueryValue(value: unknown): value is QueryValue {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}
