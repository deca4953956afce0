/**
 * Large flows on the real dev server: 10,000-step flows start (the compact RunSpec), complete and
 * give the local engine's RunResult; what cannot fit fails before the workflow starts, and a start
 * the server refuses says why.
 */
import { CascadenceError, Engine, defineFlow, defineTask, silentLogger, type Flow, type RunResult } from '@cascadence/core';
import { TemporalBackend, TemporalErrorCode, WORKFLOW_TYPE, type CascadenceWorker } from '../src';
import { comparable, describeTemporal, serverAddress, startWorker, uniqueQueue } from './helpers';

const STEPS = 10_000;
/**
 * The chain of regular steps, like the reliability suite's sweeps, has a short CI mode and a full
 * mode (CASCADENCE_TEMPORAL_HUGE=1): 10,000 regular activities one after the other take one round
 * of workflow task + activity task each, ~90 ms a step on the shared 2-core machine at load 15-20
 * (a hand-written 50-activity chain: 98 ms a step in the same minutes), about 15 minutes, over the
 * CI budget. CI runs 400 steps with partitions of 600 history events (~2,400 events: 4+ runs).
 */
const HUGE = process.env.CASCADENCE_TEMPORAL_HUGE === '1';
const REGULAR_CHAIN_STEPS = HUGE ? STEPS : 400;
/** Partitioned (continue-as-new, partition.ts): more than one workflow history holds. */
const WIDE_STEPS = 20_000;
// The wide flow's steps are regular activities (~3.2 history events per step). The chain's are
// short (timeoutMs ≤ localStepMaxTimeoutMs: local activities, ~1 event per step): a 10,000-step
// chain of regular activities needs ~60,000 events, over the server's 51,200 (refused, see
// history-budget.test.ts). Not short in the wide flow: 10,000 local activities side by side ended
// in one workflow task whose completion passed gRPC's 4 MB (README, "Large flows").
const source = defineTask({ name: 'source', run: (_ctx, input: { base: number }) => input.base });
const add = defineTask({ name: 'add', run: (ctx, n: number) => (Object.values(ctx.results)[0] as number) + n });
const shortSource = defineTask({ name: 'short-source', timeoutMs: 5000, run: (_ctx, input: { base: number }) => input.base });
const next = defineTask({ name: 'next', timeoutMs: 5000, run: (ctx) => (Object.values(ctx.results)[0] as number) + 1 });

function wide(n: number): Flow {
  const steps: Record<string, object> = { source: { task: source } };
  for (let i = 0; i < n; i++) steps[`s${i}`] = { needs: ['source'], task: add, with: i };
  return defineFlow({ name: `wide${n}`, steps } as never);
}
/** A chain of regular activities: ~6 history events per step, 60,000 for 10,000 steps (partitioned). */
function regularChain(n: number): Flow {
  const steps: Record<string, object> = { s0: { task: source } };
  for (let i = 1; i < n; i++) steps[`s${i}`] = { needs: [`s${i - 1}`], task: add, with: 1 };
  return defineFlow({ name: `regular-chain${n}`, steps } as never);
}
function chain(n: number): Flow {
  const steps: Record<string, object> = { s0: { task: shortSource } };
  for (let i = 1; i < n; i++) steps[`s${i}`] = { needs: [`s${i - 1}`], task: next };
  return defineFlow({ name: `chain${n}`, steps } as never);
}
/** A flow whose spec is large even compacted: every step carries its own 1 KB value. */
function distinct(n: number): Flow {
  const steps: Record<string, object> = {};
  for (let i = 0; i < n; i++) steps[`s${i}`] = { task: add, with: `${i}`.padEnd(1000, '.') };
  return defineFlow({ name: `distinct${n}`, steps } as never);
}

const wideFlow = wide(WIDE_STEPS);
const regularChainFlow = regularChain(REGULAR_CHAIN_STEPS);
const chainFlow = chain(STEPS);
const tooLarge = distinct(3000);

/** Every status, attempt and error, and the outputs of a sample of steps (all outputs for the first and last 50). */
function expectSameResult(onTemporal: RunResult, local: RunResult): void {
  const a = comparable(onTemporal);
  const b = comparable(local);
  expect(a.status).toBe(b.status);
  expect(Object.keys(a.steps)).toEqual(Object.keys(b.steps));
  const statuses = (c: typeof a): string[] => Object.values(c.steps).map((s) => `${s.status}/${s.attempts}/${s.error?.message ?? ''}`);
  expect(statuses(a)).toEqual(statuses(b));
  const ids = Object.keys(b.steps);
  const sample = [...ids.slice(0, 50), ...ids.slice(-50), ...ids.filter((_, i) => i % 997 === 0)];
  for (const id of sample) expect([id, a.steps[id]?.output]).toEqual([id, b.steps[id]?.output]);
  expect(a.output).toEqual(b.output);
}

describeTemporal('large flows', () => {
  const taskQueue = uniqueQueue('large');
  const engine = new Engine({ logger: silentLogger });
  let worker: CascadenceWorker;
  let backend: TemporalBackend;
  let chainBackend: TemporalBackend;

  beforeAll(async () => {
    worker = await startWorker({ taskQueue, tasks: [wideFlow, chainFlow, regularChainFlow, tooLarge], logger: silentLogger });
    backend = new TemporalBackend({ address: serverAddress(), taskQueue, concurrency: 64 });
    // Full mode: the default partition size; CI mode: small partitions, so the short chain crosses several.
    chainBackend = HUGE
      ? backend
      : new TemporalBackend({ address: serverAddress(), taskQueue, concurrency: 64, partitionHistoryEvents: 600 });
  });
  afterAll(async () => {
    if (chainBackend !== backend) await chainBackend?.close();
    await backend?.close();
    await worker?.shutdown();
  });

  it('a spec that cannot fit is refused before the workflow starts, naming the limit, its size and what to do', async () => {
    const error = await backend.start(tooLarge).catch((e: unknown) => e);
    expect(CascadenceError.isInstance(error, 'CASCADENCE_TEMPORAL_SPEC_TOO_LARGE')).toBe(true);
    expect((error as Error).message).toMatch(
      /^the run spec of flow "distinct3000" \(3000 steps, input included\) is 2\.\d\d MiB as a workflow input, over the 1\.91 MiB Temporal payload limit/,
    );
    expect((error as CascadenceError).suggestions?.join(' ')).toMatch(/split the flow.*map.*limit\.blobSize\.error/);
  });

  it('a start the server refuses says why (Temporal\'s reason, not only "Failed to start Workflow")', async () => {
    // A client whose limit is above the server's: the server is the one to refuse.
    const unchecked = new TemporalBackend({ address: serverAddress(), taskQueue, maxPayloadBytes: 3_500_000 });
    try {
      const error = await unchecked.start(tooLarge).catch((e: unknown) => e);
      expect(CascadenceError.isInstance(error, 'CASCADENCE_TEMPORAL_CONNECT')).toBe(true);
      expect((error as Error).message).toMatch(
        /^could not start flow "distinct3000" .*: Failed to start Workflow: .*[Bb]lob .*size.*limit/,
      );
    } finally {
      await unchecked.close();
    }
  });

  it('a compact spec that does not decode fails the workflow with CASCADENCE_TEMPORAL_SPEC_VERSION (not a workflow task retried without end)', async () => {
    const client = await backend.client();
    const table = { ids: ['a', 'b'], defs: [], def: [0], needs: [], need: [], withs: [], with: [] };
    const spec = {
      version: 2,
      runId: 'r',
      root: 'broken',
      input: null,
      options: {},
      graph: { name: 'broken', kind: 'flow', hasOutput: false, table },
    };
    const handle = await client.workflow.start(WORKFLOW_TYPE, { taskQueue, workflowId: `broken-spec-${Date.now()}`, args: [spec] });
    const failure = await handle.result().then(
      () => undefined,
      (error: { cause?: { type?: string; message?: string } }) => error.cause,
    );
    expect(failure?.type).toBe(TemporalErrorCode.SPEC_VERSION);
    expect(failure?.message).toBe(
      'cascadenceFlow could not read its RunSpec: graph "broken": 2 step ids but 1 definitions, 0 needs and 0 with entries',
    );
  });

  it(`a ${WIDE_STEPS}-step wide flow (one source, ${WIDE_STEPS} steps that need it) runs in partitions and completes with the local engine's RunResult`, async () => {
    const input = { base: 1000 };
    const handle = await backend.start(wideFlow, input);
    const onTemporal = await handle.result();
    const local = await engine.run(wideFlow, input);
    expect(local.status).toBe('succeeded');
    expect(onTemporal.steps.s19999?.output).toBe(1000 + 19999);
    expectSameResult(onTemporal, local);
    // More than one workflow run: the first one continued as new.
    const client = await backend.client();
    const first = await client.workflow.getHandle(handle.workflowId, handle.temporalRunId).describe();
    expect(first.status.name).toBe('CONTINUED_AS_NEW');
  }, 900_000);

  it(
    `a ${REGULAR_CHAIN_STEPS}-step chain of regular steps runs in partitions and completes with the local engine's RunResult`,
    async () => {
      const input = { base: 2 };
      const handle = await chainBackend.start(regularChainFlow, input);
      const onTemporal = await handle.result();
      const local = await engine.run(regularChainFlow, input);
      expect(local.status).toBe('succeeded');
      const last = REGULAR_CHAIN_STEPS - 1;
      expect(onTemporal.output).toEqual({ [`s${last}`]: 2 + last });
      expectSameResult(onTemporal, local);
      const client = await chainBackend.client();
      const first = await client.workflow.getHandle(handle.workflowId, handle.temporalRunId).describe();
      expect(first.status.name).toBe('CONTINUED_AS_NEW');
    },
    HUGE ? 2_400_000 : 600_000,
  );

  it(`a ${STEPS}-step chain completes with the local engine's RunResult`, async () => {
    const input = { base: 7 };
    const onTemporal = await backend.run(chainFlow, input);
    const local = await engine.run(chainFlow, input);
    expect(local.status).toBe('succeeded');
    expect(onTemporal.output).toEqual({ s9999: 7 + 9999 });
    expectSameResult(onTemporal, local);
  }, 600_000);
});
