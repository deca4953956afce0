import { Client, Connection, type ClientInterceptors, type TLSConfig } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { workerSdk } from './worker-sdk';
import { TemporalErrorCode, redact, sanitizedCause, temporalError } from './errors';

export const DEFAULT_ADDRESS = 'localhost:7233';
export const DEFAULT_NAMESPACE = 'default';
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

/** Where the Temporal server is and how to talk to it. */
export interface TemporalConnectionOptions {
  /** `host:port` of the frontend; default `TEMPORAL_ADDRESS` or `localhost:7233`. */
  address?: string;
  /** Default `TEMPORAL_NAMESPACE` or `default`. */
  namespace?: string;
  /** `true` (system CAs), a TLSConfig (mTLS, custom CA, SNI) or false/undefined for plaintext. */
  tls?: TLSConfig | boolean;
  /** Temporal Cloud API key; implies TLS. Never printed in errors or logs. */
  apiKey?: string;
  /** gRPC metadata sent with every call. */
  metadata?: Record<string, string>;
  /** Give up connecting (and checking the namespace) after this long. Default 5000 ms. */
  connectTimeoutMs?: number;
}

export interface ResolvedConnectionOptions {
  address: string;
  namespace: string;
  tls: TLSConfig | boolean | undefined;
  apiKey: string | undefined;
  metadata: Record<string, string> | undefined;
  connectTimeoutMs: number;
}

export function resolveConnectionOptions(options: TemporalConnectionOptions = {}): ResolvedConnectionOptions {
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  if (!(connectTimeoutMs > 0) || !Number.isFinite(connectTimeoutMs)) {
    throw temporalError(
      TemporalErrorCode.UNSUPPORTED,
      `connectTimeoutMs must be a positive number of milliseconds (got ${String(connectTimeoutMs)})`,
    );
  }
  return {
    address: options.address ?? process.env.TEMPORAL_ADDRESS ?? DEFAULT_ADDRESS,
    namespace: options.namespace ?? process.env.TEMPORAL_NAMESPACE ?? DEFAULT_NAMESPACE,
    tls: options.tls,
    apiKey: options.apiKey,
    metadata: options.metadata,
    connectTimeoutMs,
  };
}

function secretsOf(options: ResolvedConnectionOptions): string[] {
  const secrets: string[] = [];
  if (options.apiKey !== undefined) secrets.push(options.apiKey);
  for (const [key, value] of Object.entries(options.metadata ?? {})) {
    if (/authorization|token|key|secret|password/i.test(key)) secrets.push(value);
  }
  return secrets;
}

function connectError(options: ResolvedConnectionOptions, cause: unknown) {
  const secrets = secretsOf(options);
  const reason = redact(cause instanceof Error ? cause.message : String(cause), secrets);
  const tlsOn = options.tls !== undefined && options.tls !== false ? true : options.apiKey !== undefined;
  return temporalError(
    TemporalErrorCode.CONNECT,
    `cannot connect to Temporal at ${options.address} (namespace "${options.namespace}", TLS ${tlsOn ? 'on' : 'off'}) within ${options.connectTimeoutMs} ms: ${reason}`,
    {
      cause: sanitizedCause(cause, secrets),
      details: { address: options.address, namespace: options.namespace, tls: tlsOn },
      suggestions: [
        'is the server running? for a local one: temporal server start-dev',
        'check the address (option "address" or TEMPORAL_ADDRESS)',
        tlsOn
          ? 'TLS is on: a local dev server speaks plaintext (drop tls/apiKey)'
          : 'TLS is off: Temporal Cloud and most production servers need tls: true (or an apiKey)',
      ],
    },
  );
}

interface NamespaceService {
  describeNamespace(request: { namespace: string }): Promise<unknown>;
}

async function checkNamespace(
  withDeadline: <T>(deadline: number, fn: () => Promise<T>) => Promise<T>,
  service: NamespaceService,
  options: ResolvedConnectionOptions,
): Promise<void> {
  try {
    await withDeadline(Date.now() + options.connectTimeoutMs, () => service.describeNamespace({ namespace: options.namespace }));
  } catch (error) {
    const code = (error as { code?: number }).code;
    if (code === 5 /* NOT_FOUND */) {
      throw temporalError(TemporalErrorCode.NAMESPACE, `Temporal namespace "${options.namespace}" does not exist on ${options.address}`, {
        details: { address: options.address, namespace: options.namespace },
        suggestions: [
          'create it: temporal operator namespace create --namespace ' + options.namespace,
          'or pick another one (option "namespace" or TEMPORAL_NAMESPACE)',
        ],
      });
    }
    // Some credentials may not describe namespaces; the first real call will tell.
    if (code === 7 /* PERMISSION_DENIED */) return;
    throw connectError(options, error);
  }
}

/** Opens a client connection (for TemporalBackend / TemporalScheduler / replay) and checks the namespace. */
export async function openClientConnection(options: ResolvedConnectionOptions): Promise<Connection> {
  let connection: Connection;
  try {
    connection = await Connection.connect({
      address: options.address,
      tls: options.tls,
      apiKey: options.apiKey,
      metadata: options.metadata,
      connectTimeout: options.connectTimeoutMs,
    });
  } catch (error) {
    throw connectError(options, error);
  }
  try {
    await checkNamespace((deadline, fn) => connection.withDeadline(deadline, fn), connection.workflowService, options);
  } catch (error) {
    await connection.close().catch(() => undefined);
    throw error;
  }
  return connection;
}

/** Opens a worker connection (Rust core) with a bounded connect time and checks the namespace. */
export async function openNativeConnection(options: ResolvedConnectionOptions): Promise<NativeConnection> {
  const connecting = workerSdk().NativeConnection.connect({
    address: options.address,
    tls: options.tls,
    apiKey: options.apiKey,
    metadata: options.metadata,
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${options.connectTimeoutMs} ms`)), options.connectTimeoutMs);
  });
  let connection: NativeConnection;
  try {
    connection = await Promise.race([connecting, timeout]);
  } catch (error) {
    // A connection that succeeds after we gave up must not leak.
    connecting.then((late) => late.close()).catch(() => undefined);
    throw connectError(options, error);
  } finally {
    clearTimeout(timer);
  }
  try {
    await checkNamespace((deadline, fn) => connection.withDeadline(deadline, fn), connection.workflowService, options);
  } catch (error) {
    await connection.close().catch(() => undefined);
    throw error;
  }
  return connection;
}

/**
 * A Temporal client made on first use: the one given, or one over the given connection, or over
 * a connection of its own (which `close()` closes). A failed connect is retried on the next use.
 */
export class LazyClient {
  private promise: Promise<Client> | undefined;
  private own: Connection | undefined;

  constructor(
    private readonly given: { client?: Client; connection?: Connection | NativeConnection; clientInterceptors?: ClientInterceptors },
    private readonly resolved: ResolvedConnectionOptions,
  ) {}

  get(): Promise<Client> {
    if (this.promise === undefined) {
      this.promise = this.create();
      this.promise.catch(() => {
        this.promise = undefined;
      });
    }
    return this.promise;
  }

  /** Closes the connection this opened itself; a given client or connection is left alone. */
  async close(): Promise<void> {
    const own = this.own;
    this.own = undefined;
    this.promise = undefined;
    await own?.close();
  }

  private async create(): Promise<Client> {
    if (this.given.client !== undefined) return this.given.client;
    let connection = this.given.connection;
    if (connection === undefined) {
      this.own = await openClientConnection(this.resolved);
      connection = this.own;
    }
    return new Client({
      connection,
      namespace: this.resolved.namespace,
      ...(this.given.clientInterceptors !== undefined ? { interceptors: this.given.clientInterceptors } : {}),
    });
  }
}
