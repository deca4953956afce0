/**
 * A real Jaeger v2 (`jaeger` binary: OTLP receiver, in-memory storage, query API) on free loopback
 * ports, and a reader for its HTTP query API: used by @cascadence/otel's and the CLI's trace tests. The binary comes from $JAEGER_BIN or
 * scripts/ensure-jaeger.sh (PATH, $(go env GOPATH)/bin, or a Go build).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port';
import { stopChild } from './stop-child';

const repoRoot = path.resolve(__dirname, '..', '..', '..');

export interface Jaeger {
  /** OTLP/HTTP traces endpoint, e.g. http://127.0.0.1:PORT/v1/traces. */
  readonly otlpTracesUrl: string;
  /** OTLP/HTTP base URL (what OTEL_EXPORTER_OTLP_ENDPOINT takes for http/json and http/protobuf). */
  readonly otlpHttpEndpoint: string;
  /** OTLP/gRPC endpoint, e.g. http://127.0.0.1:PORT (OTEL_EXPORTER_OTLP_ENDPOINT for grpc). */
  readonly otlpGrpcEndpoint: string;
  /** Base URL of the query service (HTTP API under /api). */
  readonly queryUrl: string;
  stop(): Promise<void>;
}

/** The binary, or undefined (with the reason printed) when none can be found or built. */
export function findJaegerBinary(): string | undefined {
  if (process.env.JAEGER_BIN) return process.env.JAEGER_BIN;
  const found = spawnSync('bash', [path.join(repoRoot, 'scripts', 'ensure-jaeger.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 30 * 60 * 1000,
  });
  const line = found.stdout?.trim().split('\n').pop();
  return found.status === 0 && line ? line : undefined;
}

function config(otlp: number, otlpGrpc: number, queryHttp: number, queryGrpc: number, health: number): string {
  // Only what the tests need: OTLP/HTTP and OTLP/gRPC in, memory storage, the query API; no fixed ports anywhere.
  return `
service:
  extensions: [jaeger_storage, jaeger_query, healthcheckv2]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  healthcheckv2:
    use_v2: true
    http:
      endpoint: 127.0.0.1:${health}
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: 127.0.0.1:${queryHttp}
    grpc:
      endpoint: 127.0.0.1:${queryGrpc}
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 10000
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${otlp}
      grpc:
        endpoint: 127.0.0.1:${otlpGrpc}
processors:
  batch:
    timeout: 100ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`;
}

export async function startJaeger(binary: string): Promise<Jaeger> {
  const [otlp, otlpGrpc, queryHttp, queryGrpc, health] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cascadence-jaeger-'));
  const file = path.join(dir, 'jaeger.yaml');
  writeFileSync(file, config(otlp, otlpGrpc, queryHttp, queryGrpc, health));
  const child: ChildProcess = spawn(binary, ['--config', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  const jaeger: Jaeger = {
    otlpTracesUrl: `http://127.0.0.1:${otlp}/v1/traces`,
    otlpHttpEndpoint: `http://127.0.0.1:${otlp}`,
    otlpGrpcEndpoint: `http://127.0.0.1:${otlpGrpc}`,
    queryUrl: `http://127.0.0.1:${queryHttp}`,
    async stop() {
      await stopChild(child, 5000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited !== undefined) throw new Error(`jaeger exited (${String(exited)}) while starting:\n${stderr}`);
    if ((await answers(`${jaeger.queryUrl}/api/services`)) && (await answers(jaeger.otlpTracesUrl))) return jaeger;
    if (Date.now() > deadline) {
      await jaeger.stop();
      throw new Error(`jaeger did not answer within 60 s:\n${stderr}`);
    }
    await sleep(200);
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url);
    await response.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A span as Jaeger's query API (v1 JSON, /api/traces) returns it. */
export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: Array<{ refType: string; traceID: string; spanID: string }>;
  tags: Array<{ key: string; type: string; value: unknown }>;
  logs: Array<{ timestamp: number; fields: Array<{ key: string; value: unknown }> }>;
  processID: string;
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

/**
 * GET /api/traces with the given query until it returns traces that `ready` accepts (spans arrive
 * in batches): the query a user types, e.g. { service, operation: 'cascadence.run nightly', tags: '{"error":"true"}' }.
 */
export async function findTraces(
  jaeger: Jaeger,
  query: Record<string, string>,
  ready: (traces: JaegerTrace[]) => boolean,
  timeoutMs = 30_000,
): Promise<JaegerTrace[]> {
  const url = `${jaeger.queryUrl}/api/traces?${new URLSearchParams({ limit: '20', lookback: '1h', ...query })}`;
  const deadline = Date.now() + timeoutMs;
  let last: JaegerTrace[] = [];
  for (;;) {
    const response = await fetch(url);
    if (response.ok) {
      last = ((await response.json()) as { data: JaegerTrace[] | null }).data ?? [];
      if (ready(last)) return last;
    } else {
      await response.arrayBuffer();
    }
    if (Date.now() > deadline)
      throw new Error(
        `Jaeger query ${url} did not return the expected traces within ${timeoutMs} ms; last answer: ${JSON.stringify(last).slice(0, 2000)}`,
      );
    await sleep(250);
  }
}

export async function getTrace(jaeger: Jaeger, traceId: string): Promise<JaegerTrace> {
  const response = await fetch(`${jaeger.queryUrl}/api/traces/${traceId}`);
  if (!response.ok) throw new Error(`GET /api/traces/${traceId}: ${response.status} ${await response.text()}`);
  const body = (await response.json()) as { data: JaegerTrace[] };
  return body.data[0] as JaegerTrace;
}

export function tag(span: JaegerSpan, key: string): unknown {
  return span.tags.find((t) => t.key === key)?.value;
}

export function parentId(span: JaegerSpan): string | undefined {
  return span.references.find((r) => r.refType === 'CHILD_OF')?.spanID;
}

export function spansNamed(trace: JaegerTrace, name: string): JaegerSpan[] {
  return trace.spans.filter((s) => s.operationName === name);
}

export function spanNamed(trace: JaegerTrace, name: string): JaegerSpan {
  const found = spansNamed(trace, name);
  if (found.length !== 1)
    throw new Error(
      `expected one span "${name}" in trace ${trace.traceID}, found ${found.length}: ${trace.spans.map((s) => s.operationName).join(', ')}`,
    );
  return found[0] as JaegerSpan;
}
