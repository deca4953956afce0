import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { CascadenceError } from '@cascadence/core';
import { register as globalRegistry } from 'prom-client';
import { MetricsErrorCode } from './errors';
import { negotiateFormat, renderMetrics } from './format';
import type { MetricsRegistry } from './registry';

const gzip = promisify(gzipCallback);

export interface MetricsServerOptions {
  /** TCP port; 0 picks a free one (read it back from `port`). Default 9000. */
  port?: number;
  /** Interface to listen on. Default `127.0.0.1` (loopback only); `0.0.0.0` or `::` for every interface. */
  host?: string;
  /** Registry to serve. Default: prom-client's global `register`. */
  registry?: MetricsRegistry;
  /** The one path answered. Default `/metrics`; every other path is a 404. */
  path?: string;
  /** Most connections open at once; more are closed as soon as they are accepted. Default 64. */
  maxConnections?: number;
  /**
   * A connection on which nothing happens (no byte received, none sent) for this long is closed,
   * including one that never sends a byte and one whose client stopped reading. Default 10000 ms.
   */
  idleTimeoutMs?: number;
  /** Time a client gets to send a complete request head. Default 10000 ms. */
  headersTimeoutMs?: number;
  /**
   * Requests one connection may have waiting for an answer (HTTP pipelining). Answers are rendered one at
   * a time per connection and only once the client has read the previous one; beyond this many waiting
   * requests the connection is closed. Default 16.
   */
  maxPipelinedRequests?: number;
}

export const METRICS_SERVER_DEFAULTS = {
  host: '127.0.0.1',
  maxConnections: 64,
  idleTimeoutMs: 10_000,
  headersTimeoutMs: 10_000,
  maxPipelinedRequests: 16,
} as const;

export interface MetricsServer {
  /** Full URL of the metrics endpoint, e.g. `http://127.0.0.1:9000/metrics`. */
  readonly url: string;
  /** The port actually listened on (useful with `port: 0`). */
  readonly port: number;
  readonly host: string;
  /** Stops listening and ends open connections; resolves once the port is free. Idempotent. */
  close(): Promise<void>;
}

/**
 * Serves `registry` over plain HTTP (node:http) at `path`: Prometheus text format, or OpenMetrics
 * when the scraper's `Accept` header prefers it; gzip when asked. GET and HEAD only.
 * Resolves once listening; a port in use rejects with CASCADENCE_PORT_IN_USE.
 */
export async function startMetricsServer(options: MetricsServerOptions = {}): Promise<MetricsServer> {
  const port = options.port ?? 9000;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CascadenceError(
      MetricsErrorCode.INVALID_OPTIONS,
      `option "port": expected an integer from 0 to 65535, got ${JSON.stringify(port)}`,
      {
        details: { option: 'port', value: port },
      },
    );
  }
  const path = options.path ?? '/metrics';
  if (typeof path !== 'string' || !path.startsWith('/') || /[?#\s]/.test(path)) {
    throw new CascadenceError(
      MetricsErrorCode.INVALID_OPTIONS,
      `option "path": expected an absolute URL path such as "/metrics", got ${JSON.stringify(path)}`,
      {
        details: { option: 'path', value: path },
      },
    );
  }
  const host = options.host;
  if (host !== undefined && (typeof host !== 'string' || host === '')) {
    throw new CascadenceError(
      MetricsErrorCode.INVALID_OPTIONS,
      `option "host": expected a host name or IP address, got ${JSON.stringify(host)}`,
      {
        details: { option: 'host', value: host },
      },
    );
  }
  const registry = options.registry ?? globalRegistry;
  const limit = (name: 'maxConnections' | 'idleTimeoutMs' | 'headersTimeoutMs' | 'maxPipelinedRequests'): number => {
    const value = options[name] ?? METRICS_SERVER_DEFAULTS[name];
    if (!Number.isInteger(value) || value < 1) {
      throw new CascadenceError(
        MetricsErrorCode.INVALID_OPTIONS,
        `option "${name}": expected a positive integer, got ${JSON.stringify(value)}`,
        {
          details: { option: name, value },
        },
      );
    }
    return value;
  };
  const maxConnections = limit('maxConnections');
  const idleTimeoutMs = limit('idleTimeoutMs');
  const headersTimeoutMs = limit('headersTimeoutMs');
  const maxPipelined = limit('maxPipelinedRequests');

  // Node enforces these timeouts only when it sweeps its connections (every 30 s by default), so a
  // slowloris client could hold a socket for up to 40 s: sweep every second to cut it at 10 s.
  const server = createServer(
    {
      requestTimeout: Math.max(30_000, headersTimeoutMs),
      headersTimeout: headersTimeoutMs,
      connectionsCheckingInterval: 1_000,
      keepAliveTimeout: 5_000,
    },
    (req, res) => {
      const queue = queueOf(req.socket);
      if (queue.waiting >= maxPipelined) {
        // Pipelined requests beyond the cap: drop the connection rather than buffer answers for a client that is not reading.
        req.socket.destroy();
        return;
      }
      queue.waiting++;
      queue.tail = queue.tail
        .then(() => (req.socket.destroyed ? undefined : handle(req, res, registry, path)))
        .catch((error: unknown) => {
          if (!res.headersSent && !res.destroyed) {
            res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
            res.end(`error collecting metrics: ${error instanceof Error ? error.message : String(error)}\n`);
          } else {
            res.destroy();
          }
        })
        .then(() => drained(res))
        .finally(() => {
          queue.waiting--;
        });
    },
  );
  server.maxConnections = maxConnections;
  // Idle connections, including ones that never send a byte (which Node's header timeout does not cover)
  // and ones whose client stopped reading: closed after idleTimeoutMs without any traffic.
  // Node's own socket timeouts are switched off and on around keep-alive, so sweep instead: a
  // connection whose byte counts have not moved for idleTimeoutMs is destroyed.
  const connections = new Map<Socket, { read: number; written: number; since: number }>();
  server.on('connection', (socket: Socket) => {
    connections.set(socket, { read: -1, written: -1, since: Date.now() });
    socket.once('close', () => connections.delete(socket));
  });
  const sweep = setInterval(
    () => {
      const now = Date.now();
      for (const [socket, seen] of connections) {
        if (socket.bytesRead !== seen.read || socket.bytesWritten !== seen.written) {
          seen.read = socket.bytesRead;
          seen.written = socket.bytesWritten;
          seen.since = now;
        } else if (now - seen.since >= idleTimeoutMs) {
          connections.delete(socket);
          socket.destroy();
        }
      }
    },
    Math.max(50, Math.min(1_000, Math.floor(idleTimeoutMs / 4))),
  );
  sweep.unref();
  server.once('close', () => clearInterval(sweep));
  // A client that half-closes after its request (`printf 'GET /metrics ...' | nc`) still gets
  // the answer: without this Node ends the socket while the metrics are being collected.
  (server as unknown as { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  // Malformed requests (bad request line, oversized headers, garbage bytes): answer 400 when the
  // socket can still take it, never let the error reach the process.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? '431 Request Header Fields Too Large'
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? '408 Request Timeout'
          : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      clearInterval(sweep);
      server.close();
      reject(listenError(error, port, host));
    };
    server.once('error', onError);
    server.listen({ port, host: host ?? METRICS_SERVER_DEFAULTS.host, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  // After listening, a server error must not crash the process that only wanted metrics.
  server.on('error', () => {});

  const address = server.address() as AddressInfo;
  const actualHost = address.address;
  const urlHost = urlHostFor(actualHost);
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${address.port}${path}`,
    port: address.port,
    host: actualHost,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, registry: MetricsRegistry, path: string): Promise<void> {
  req.on('error', () => {});
  res.on('error', () => {});
  if (requestPath(req.url) !== path) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`not found: metrics are served at ${path}\n`);
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
    res.end(`method ${req.method ?? '?'} not allowed: use GET\n`);
    return;
  }
  const { contentType, body } = await renderMetrics(registry, negotiateFormat(req.headers.accept));
  const headers: Record<string, string | number> = {
    'content-type': contentType,
    vary: 'accept, accept-encoding',
    'cache-control': 'no-store',
  };
  let payload: Buffer = Buffer.from(body, 'utf8');
  if (acceptsGzip(req.headers['accept-encoding'])) {
    payload = await gzip(payload);
    headers['content-encoding'] = 'gzip';
  }
  headers['content-length'] = payload.length;
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : payload);
}

/** The path part of a request target (origin-form `/metrics?x` or absolute-form `http://h/metrics`). */
function requestPath(target: string | undefined): string | undefined {
  if (target === undefined) return undefined;
  if (!target.startsWith('/')) {
    try {
      return new URL(target).pathname;
    } catch {
      return undefined;
    }
  }
  const end = target.search(/[?#]/);
  return end === -1 ? target : target.slice(0, end);
}

function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) return false;
  return header.split(',').some((part) => {
    const [coding = '', ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    if (coding !== 'gzip') return false;
    const q = params.find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/** The address as it goes in a URL: the real listening address, IPv6 in brackets. */
function urlHostFor(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

interface ConnectionQueue {
  tail: Promise<void>;
  waiting: number;
}

const queues = new WeakMap<Socket, ConnectionQueue>();

/** One chain per connection: its pipelined requests are answered one at a time, in order. */
function queueOf(socket: Socket): ConnectionQueue {
  let queue = queues.get(socket);
  if (queue === undefined) {
    queue = { tail: Promise.resolve(), waiting: 0 };
    queues.set(socket, queue);
  }
  return queue;
}

/** Resolves when the answer has left the process's buffers (or the connection is gone): backpressure. */
function drained(res: ServerResponse): Promise<void> {
  const socket = res.socket;
  return new Promise<void>((resolve) => {
    let checked = false;
    const check = (): void => {
      if (checked) return;
      checked = true;
      res.off('finish', check);
      res.off('close', check);
      if (socket === null || socket.destroyed || !socket.writableNeedDrain) {
        resolve();
        return;
      }
      const done = (): void => {
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
    };
    if (res.writableFinished || res.destroyed) check();
    else {
      res.on('finish', check);
      res.on('close', check);
    }
  });
}

function listenError(error: NodeJS.ErrnoException, port: number, host: string | undefined): CascadenceError {
  const where = host === undefined ? `port ${port}` : `port ${port} on ${host}`;
  if (error.code === 'EADDRINUSE') {
    return new CascadenceError(MetricsErrorCode.PORT_IN_USE, `metrics server: ${where} is already in use`, {
      cause: error,
      details: { port, host },
      suggestions: [
        'choose another port (--metrics-port), or 0 to pick a free one',
        `find the other process with: ss -ltnp 'sport = :${port}'`,
      ],
    });
  }
  return new CascadenceError(MetricsErrorCode.SERVER, `metrics server: cannot listen on ${where}: ${error.message}`, {
    cause: error,
    details: { port, host, code: error.code },
  });
}
