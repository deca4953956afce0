import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { TemporalErrorCode, temporalError } from './errors';

/** How to get a server, printed when none is found. */
export const HOW_TO_GET_A_SERVER = [
  'No `temporal` binary found (looked at $TEMPORAL_BIN, PATH and $(go env GOPATH)/bin).',
  'Get one of:',
  '  - the Temporal CLI: https://docs.temporal.io/cli (brew install temporal, or the release archive)',
  '  - with Go >= 1.22: GOFLAGS=-mod=mod go install github.com/temporalio/cli/cmd/temporal@v1.5.1',
  '    (in this repository: bash scripts/ensure-temporal.sh does that and prints the path)',
  'then run `temporal server start-dev` or set TEMPORAL_BIN=/path/to/temporal.',
].join('\n');

/** Finds a `temporal` CLI binary without building one: $TEMPORAL_BIN, PATH, then $(go env GOPATH)/bin. */
export function findTemporalBinary(): string | undefined {
  const fromEnv = process.env.TEMPORAL_BIN;
  if (fromEnv !== undefined && fromEnv !== '' && existsSync(fromEnv)) return fromEnv;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, process.platform === 'win32' ? 'temporal.exe' : 'temporal');
    if (existsSync(candidate)) return candidate;
  }
  const go = spawnSync('go', ['env', 'GOBIN', 'GOPATH'], { encoding: 'utf8' });
  if (go.status === 0) {
    const [gobin, gopath] = go.stdout.split('\n').map((line) => line.trim());
    for (const dir of [
      gobin,
      gopath === undefined || gopath === '' ? undefined : path.join(gopath.split(path.delimiter)[0] as string, 'bin'),
    ]) {
      if (dir === undefined || dir === '') continue;
      const candidate = path.join(dir, 'temporal');
      if (existsSync(candidate)) return candidate;
    }
  }
  return undefined;
}

export interface DevServerOptions {
  /** Path of the `temporal` binary; default findTemporalBinary(). */
  binary?: string;
  /** Default 127.0.0.1 (loopback only). */
  ip?: string;
  /** Frontend gRPC port; default a free one. */
  port?: number;
  /** Extra namespaces to create. */
  namespaces?: string[];
  /** SQLite file to keep state across restarts; default in memory. */
  dbFilename?: string;
  /** Give up waiting for the server after this long. Default 60 s. */
  readyTimeoutMs?: number;
  /** Extra `--dynamic-config-value KEY=VALUE` pairs. */
  dynamicConfig?: Record<string, unknown>;
}

export interface DevServer {
  /** `ip:port` for TemporalBackend / createWorker. */
  readonly address: string;
  readonly port: number;
  readonly pid: number | undefined;
  readonly binary: string;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s). */
  stop(): Promise<void>;
}

/** A free TCP port on `ip`. */
export function freePort(ip = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, ip, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `temporal server start-dev --headless` on free loopback ports and resolves once it
 * answers. For tests, benchmarks and local development — not for production.
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const binary = options.binary ?? findTemporalBinary();
  if (binary === undefined) throw temporalError(TemporalErrorCode.NO_SERVER, HOW_TO_GET_A_SERVER);
  const ip = options.ip ?? '127.0.0.1';
  const port = options.port ?? (await freePort(ip));
  const args = [
    'server',
    'start-dev',
    '--headless',
    '--ip',
    ip,
    '--port',
    String(port),
    '--http-port',
    String(await freePort(ip)),
    '--metrics-port',
    String(await freePort(ip)),
    '--db-filename',
    options.dbFilename ?? '',
    '--log-level',
    'error',
  ];
  for (const namespace of options.namespaces ?? []) args.push('--namespace', namespace);
  for (const [key, value] of Object.entries(options.dynamicConfig ?? {}))
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  const child: ChildProcess = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  let exited: { code: number | null; signal: string | null } | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
    child.once('error', (error) => {
      stderr += String(error);
      exited = { code: -1, signal: null };
      resolve();
    });
  });
  const address = `${ip}:${port}`;
  const stop = async (): Promise<void> => {
    if (exited !== undefined) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exit;
    clearTimeout(timer);
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (exited !== undefined) {
      throw temporalError(
        TemporalErrorCode.NO_SERVER,
        `temporal dev server (${binary}) exited before it was ready (code ${String(exited.code)}): ${stderr.trim()}`,
      );
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.withDeadline(Date.now() + 2000, () => connection.workflowService.describeNamespace({ namespace: 'default' }));
        break;
      } finally {
        await connection.close();
      }
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw temporalError(
          TemporalErrorCode.NO_SERVER,
          `temporal dev server at ${address} did not get ready within ${options.readyTimeoutMs ?? 60_000} ms: ${stderr.trim()}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  return { address, port, pid: child.pid, binary, stop };
}
