import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Engine, silentLogger, type Registry, type RunOptions, type RunResult, type Runnable } from '@cascadence/core';
import { TemporalBackend, createWorker, type CascadenceWorker, type CreateWorkerOptions, type TemporalBackendOptions } from '../src';

export const address = process.env.CASCADENCE_TEMPORAL_TEST_ADDRESS;
export const bundlePath = process.env.CASCADENCE_TEMPORAL_TEST_BUNDLE;
export const temporalBinary = process.env.CASCADENCE_TEMPORAL_TEST_BINARY;

/** `describe` when a dev server runs, `describe.skip` otherwise (global setup said why). */
export const describeTemporal: jest.Describe = address === undefined ? describe.skip : describe;

export function serverAddress(): string {
  if (address === undefined) throw new Error('no Temporal test server');
  return address;
}

export function uniqueQueue(name: string): string {
  return `${name}-${randomUUID().slice(0, 8)}`;
}

export async function startWorker(options: Omit<CreateWorkerOptions, 'address' | 'workflowBundle'>): Promise<CascadenceWorker> {
  const worker = await createWorker({
    address: serverAddress(),
    workflowBundle: { codePath: bundlePath as string },
    stickyQueueScheduleToStartTimeoutMs: 1000,
    ...options,
  });
  worker.start();
  return worker;
}

export function tempDir(prefix: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Records one execution of `step` as a file (so counts survive process deaths). */
export function mark(dir: string, step: string): void {
  writeFileSync(path.join(dir, `${step}.${randomUUID()}`), '');
}

export function count(dir: string, step: string): number {
  return readdirSync(dir).filter((f) => f.startsWith(`${step}.`)).length;
}

export interface Comparable {
  status: string;
  output: unknown;
  error: { name: string; message: string; code: unknown } | undefined;
  steps: Record<
    string,
    {
      status: string;
      output: unknown;
      attempts: number;
      error: { name: string; message: string; code: unknown } | undefined;
      items?: Array<{ status: string; attempts: number; output: unknown; error: Comparable['error']; skipMessage?: string }>;
    }
  >;
}

function errorView(error: Error | undefined): Comparable['error'] {
  return error === undefined ? undefined : { name: error.name, message: error.message, code: (error as { code?: unknown }).code };
}

/** What must be equal between a local and a Temporal run (timings and run ids differ). */
export function comparable(result: RunResult): Comparable {
  const steps: Comparable['steps'] = {};
  for (const [id, step] of Object.entries(result.steps)) {
    steps[id] = { status: step.status, output: step.output, attempts: step.attempts, error: errorView(step.error) };
    // A map step's items too: status, attempts, output, error and skip message of each.
    if (step.items !== undefined) {
      steps[id]!.items = step.items.map((item) => ({
        status: item.status,
        attempts: item.attempts,
        output: item.output,
        error: errorView(item.error),
        ...(item.skipMessage === undefined ? {} : { skipMessage: item.skipMessage }),
      }));
    }
  }
  return { status: result.status, output: result.output, error: errorView(result.error), steps };
}

/** The local engine, a worker and a TemporalBackend over one registry, for tests that compare the two backends. */
export interface BothBackends {
  readonly taskQueue: string;
  readonly engine: Engine;
  /** Set in beforeAll. */
  readonly worker: CascadenceWorker;
  /** Set in beforeAll. */
  readonly backend: TemporalBackend;
  /** Runs on the local engine and on Temporal and expects the same RunResult (statuses, outputs, errors, attempts). */
  both(runnable: Runnable, input?: unknown, options?: RunOptions): Promise<{ local: RunResult; remote: RunResult }>;
}

/** Call inside a `describe`: starts a worker and a backend for `registry` before its tests, and stops them after. */
export function useBothBackends(name: string, registry: Registry, backendOptions: Partial<TemporalBackendOptions> = {}): BothBackends {
  const taskQueue = uniqueQueue(name);
  const engine = new Engine({ logger: silentLogger, resolver: registry });
  let worker: CascadenceWorker | undefined;
  let backend: TemporalBackend | undefined;
  beforeAll(async () => {
    worker = await startWorker({ taskQueue, registry, logger: silentLogger });
    backend = new TemporalBackend({ address: serverAddress(), taskQueue, registry, heartbeatTimeoutMs: 5000, ...backendOptions });
  });
  afterAll(async () => {
    await backend?.close();
    await worker?.shutdown();
  });
  return {
    taskQueue,
    engine,
    get worker() {
      return worker as CascadenceWorker;
    },
    get backend() {
      return backend as TemporalBackend;
    },
    async both(runnable, input, options) {
      const local = await engine.run(runnable, input, options);
      const remote = await (backend as TemporalBackend).run(runnable, input, options);
      expect(comparable(remote)).toEqual(comparable(local));
      expect(remote.task).toBe(runnable.name);
      return { local, remote };
    },
  };
}
