import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CascadenceError } from '@cascadence/core';
import type { History } from '@cascadence/history';
import type { UiActions } from './actions';
import { UiErrorCode, uiError } from './errors';
import { indexPage } from './html';
import { LiveHub } from './live';
import { runQueryFrom } from './query';
import {
  CSRF_HEADER,
  SECURITY_HEADERS,
  TOKEN_COOKIE,
  checkListenSecurity,
  checkMutation,
  hostAllowed,
  isLoopback,
  randomToken,
  requestToken,
  secretsEqual,
} from './security';

export interface UiServerOptions {
  history: History;
  actions: UiActions;
  /** Default 127.0.0.1. Any other address needs `token`. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Access token, required for a non-loopback host; checked on every request. */
  token?: string;
  /** Page title (the project's name). */
  title?: string;
  /** Folder of the front end's files (default: the one built beside this module). */
  webDir?: string;
  /** How often the history is polled for changes by other processes (ms, default 50: an indexed query on updated_at). */
  pollMs?: number;
}

export interface UiServer {
  /** Address to open in a browser (with the token, when there is one). */
  readonly url: string;
  readonly port: number;
  /** The per-server CSRF token (the page carries it in a meta tag). */
  readonly csrfToken: string;
  close(): Promise<void>;
}

const ASSET_TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };
const DAY_MS = 86_400_000;

/** Starts the dashboard's HTTP server: the page, its scripts, a JSON API and a live event stream. */
export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw uiError(UiErrorCode.INVALID_OPTION, `port ${port} is not a port number (0 to 65535)`);
  const token = options.token === '' ? undefined : options.token;
  checkListenSecurity(host, token);
  const csrfToken = randomToken();
  const webDir = options.webDir ?? join(__dirname, 'web');
  const assets = loadAssets(webDir);
  const page = indexPage({ csrfToken, title: options.title ?? 'Cascadence' });
  const live = new LiveHub(options.history, options.pollMs ?? 50);
  const knownHosts = new Set<string>();
  const allowedHosts = token === undefined ? knownHosts : undefined;
  const { history, actions } = options;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    if (!hostAllowed(req.headers.host, allowedHosts)) {
      return sendError(
        res,
        421,
        uiError(UiErrorCode.FORBIDDEN, `this dashboard does not answer for host "${(req.headers.host ?? '').slice(0, 100)}"`),
      );
    }
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    if (token !== undefined) {
      // First visit: the token comes in the link; it moves to an HttpOnly cookie and out of the address bar.
      const fromQuery = url.searchParams.get('token');
      if (req.method === 'GET' && url.pathname === '/' && fromQuery !== null && secretsEqual(token, fromQuery)) {
        res.setHeader('set-cookie', `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`);
        res.writeHead(303, { location: '/' });
        return void res.end();
      }
      if (!secretsEqual(token, requestToken(req))) {
        return sendError(
          res,
          401,
          uiError(
            UiErrorCode.FORBIDDEN,
            'this dashboard needs its access token: open the link `task ui` printed, or send Authorization: Bearer <token>',
          ),
        );
      }
    }
    const path = url.pathname;
    if (req.method === 'GET' || req.method === 'HEAD') {
      if (path === '/') return sendText(res, 200, 'text/html; charset=utf-8', page);
      // Browsers ask for it unprompted; an empty answer keeps their consoles clean.
      if (path === '/favicon.ico') return void res.writeHead(204).end();
      if (path.startsWith('/assets/')) {
        const asset = assets.get(path.slice('/assets/'.length));
        if (asset === undefined) return sendError(res, 404, uiError(UiErrorCode.NOT_FOUND, `no asset ${path.slice(0, 100)}`));
        return sendText(res, 200, asset.type, asset.body);
      }
      if (path === '/api/events') return live.add(res);
      if (path === '/api/runs') {
        const query = runQueryFrom(url.searchParams);
        const runs = await history.runs(query);
        const last = runs[runs.length - 1];
        // The next page's cursor: the last row's start and id (runs sharing a start time are not skipped).
        const next = runs.length === query.limit && last !== undefined ? { before: last.startedAt, beforeId: last.id } : null;
        return sendJson(res, 200, { runs, next });
      }
      const runMatch = /^\/api\/runs\/([^/]+)$/.exec(path);
      if (runMatch !== null) {
        const run = await history.run(segment(runMatch[1] as string));
        const [steps, attempts, graph] = await Promise.all([
          history.steps(run.id),
          history.attempts(run.id),
          run.kind === 'flow' ? actions.flowGraph(run.task) : undefined,
        ]);
        const temporalUrl = actions.temporalLink?.(run);
        return sendJson(res, 200, {
          run,
          steps,
          attempts,
          graph: graph ?? null,
          canCancel: actions.canCancel(run),
          temporalUrl: temporalUrl ?? null,
        });
      }
      if (path === '/api/tasks') {
        const since = Date.now() - DAY_MS;
        const [tasks, perTask] = await Promise.all([actions.tasks(), history.taskStats(since)]);
        const stats = new Map(perTask.map(({ task: _task, ...s }) => [_task, s]));
        return sendJson(res, 200, { since, tasks: tasks.map((t) => ({ ...t, stats: stats.get(t.name) ?? null })) });
      }
      if (path === '/api/schedules') {
        const schedules = await actions.schedules();
        // Last run and its status come from history (the scheduler's state file only knows when it fired).
        const withRuns = await Promise.all(
          schedules.map(async (s) => {
            const [last] = await history.runs({ task: s.task, trigger: 'schedule', limit: 1 });
            return { ...s, lastRecorded: last === undefined ? null : { id: last.id, status: last.status, startedAt: last.startedAt } };
          }),
        );
        return sendJson(res, 200, { schedules: withRuns });
      }
      return sendError(res, 404, uiError(UiErrorCode.NOT_FOUND, `no page or API at ${path.slice(0, 200)}`));
    }
    if (req.method === 'POST') {
      checkMutation(req, csrfToken, allowedHosts);
      await readBody(req);
      const action = /^\/api\/(runs|tasks|schedules)\/([^/]+)\/([a-z-]+)$/.exec(path);
      if (action !== null) {
        const [, kind, rawName, verb] = action as unknown as [string, string, string, string];
        const name = segment(rawName);
        if (kind === 'runs' && verb === 'retry') return sendJson(res, 202, await actions.retry((await history.run(name)).id));
        if (kind === 'runs' && verb === 'cancel') return sendJson(res, 202, (await actions.cancel(name), { ok: true }));
        if (kind === 'tasks' && (verb === 'enable' || verb === 'disable'))
          return sendJson(res, 200, (await actions.setEnabled(name, verb === 'enable'), { ok: true }));
        if (kind === 'tasks' && verb === 'run') return sendJson(res, 202, await actions.runNow(name));
        if (kind === 'schedules' && (verb === 'pause' || verb === 'resume'))
          return sendJson(res, 200, (await actions.setPaused(name, verb === 'pause'), { ok: true }));
        if (kind === 'schedules' && verb === 'run') return sendJson(res, 202, await actions.runNow(name));
      }
      return sendError(res, 404, uiError(UiErrorCode.NOT_FOUND, `no action at ${path.slice(0, 200)}`));
    }
    res.setHeader('allow', 'GET, HEAD, POST');
    return sendError(res, 405, uiError(UiErrorCode.BAD_REQUEST, `method ${String(req.method).slice(0, 20)} is not allowed`));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.end();
      sendError(res, statusFor(error), error);
    });
  });
  await listen(server, host, port);
  const bound = (server.address() as AddressInfo).port;
  for (const name of hostNames(host, bound)) knownHosts.add(name);
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shownHost}:${bound}/${token === undefined ? '' : `?token=${encodeURIComponent(token)}`}`;
  return {
    url,
    port: bound,
    csrfToken,
    close: async () => {
      live.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Host header values that name this server. */
function hostNames(host: string, port: number): string[] {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  const names = [bare.includes(':') ? `[${bare}]:${port}` : `${bare}:${port}`];
  if (isLoopback(bare) || bare === '0.0.0.0' || bare === '::') names.push(`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`);
  return names;
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) =>
      reject(
        uiError(
          UiErrorCode.LISTEN_FAILED,
          `cannot serve the dashboard on ${host}:${port}: ${error.code === 'EADDRINUSE' ? 'the port is in use' : error.message}`,
          {
            suggestions: error.code === 'EADDRINUSE' ? ['pick another with --port'] : [],
            cause: error,
          },
        ),
      );
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** The front end's files, read once: only these names are ever served. */
function loadAssets(dir: string): Map<string, { type: string; body: string }> {
  const assets = new Map<string, { type: string; body: string }>();
  for (const name of ['app.js', 'dom.js', 'api.js', 'graph.js', 'pages.js', 'run-page.js', 'format.js', 'app.css']) {
    let body: string;
    try {
      body = readFileSync(join(dir, name), 'utf8');
    } catch (error) {
      throw uiError(
        UiErrorCode.INVALID_OPTION,
        `the dashboard's front end is missing ${join(dir, name)} (${(error as Error).message}); rebuild @cascadence/ui`,
      );
    }
    assets.set(name, { type: ASSET_TYPES[name.split('.').pop() as string] as string, body });
  }
  return assets;
}

function segment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw uiError(UiErrorCode.BAD_REQUEST, `the path segment "${raw.slice(0, 100)}" is not valid percent-encoding`);
  }
}

const MAX_BODY = 64 * 1024;

/** Actions take their arguments from the path; the body is read (bounded) and otherwise ignored. */
async function readBody(req: IncomingMessage): Promise<void> {
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw uiError(UiErrorCode.BAD_REQUEST, `request body over ${MAX_BODY} bytes`);
  }
}

function statusFor(error: unknown): number {
  const code = CascadenceError.isInstance(error) ? error.code : '';
  if (code === UiErrorCode.FORBIDDEN) return 403;
  if (code === UiErrorCode.BAD_REQUEST || code === UiErrorCode.INVALID_OPTION) return 400;
  if (code === UiErrorCode.NOT_FOUND || code === 'CASCADENCE_HISTORY_UNKNOWN_RUN' || /UNKNOWN|NOT_FOUND/.test(code)) return 404;
  if (
    code === UiErrorCode.CONFLICT ||
    code === 'CASCADENCE_HISTORY_AMBIGUOUS_RUN' ||
    code === 'CASCADENCE_HISTORY_NOT_RETRYABLE' ||
    /DISABLED/.test(code)
  )
    return 409;
  return 500;
}

function sendText(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  // `<` escaped too: the JSON stays inert even if something ever treats it as HTML.
  sendText(res, status, 'application/json; charset=utf-8', JSON.stringify(value).replace(/</g, '\\u003c'));
}

function sendError(res: ServerResponse, status: number, error: unknown): void {
  const e = error as { code?: unknown; message?: unknown; suggestions?: unknown };
  sendJson(res, status, {
    error: {
      code: typeof e.code === 'string' ? e.code : 'CASCADENCE_UI_INTERNAL',
      message: typeof e.message === 'string' ? e.message : String(error),
      suggestions: Array.isArray(e.suggestions) ? e.suggestions : [],
    },
  });
}

export { CSRF_HEADER };
