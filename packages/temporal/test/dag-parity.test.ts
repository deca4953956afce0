/**
 * One meaning on both engines, on a real dev server: a sample of random DAGs (random trigger
 * rules, failures, retries, fan-in, concurrency limits) gives the same RunResult — run-level
 * error included — on the local Engine and on Temporal. Timing-dependent features (fail-fast
 * races, timeouts, cancellation) are compared exhaustively against the dag state machine in
 * core's property tests; here only flows whose result cannot depend on timing are sampled, so the
 * comparison is exact. Plus the drifts that the one-DAG-core work removed, each on both backends.
 */
import {
  CascadenceError,
  Engine,
  ErrorCode,
  Registry,
  defineFlow,
  defineProcessor,
  silentLogger,
  type Flow,
  type FlowStep,
  type TriggerRule,
} from '@cascadence/core';
import fc from 'fast-check';
import { TemporalBackend, TemporalErrorCode, WORKFLOW_TYPE, type CascadenceWorker } from '../src';
import { comparable, describeTemporal, serverAddress, startWorker, uniqueQueue } from './helpers';

interface RandomStep {
  needs: number[];
  when: TriggerRule;
  attempts: number;
  outcomes: boolean[];
}

/** Rules a root step cannot have (defineFlow refuses them). */
const NEEDS_NEEDS: readonly TriggerRule[] = ['any-failed', 'one-succeeded', 'all-failed'];
/** Rules that start at the first failure / success: what they see of their needs depends on timing. */
const STARTS_EARLY: readonly TriggerRule[] = ['any-failed', 'one-succeeded'];

const stepArb = (index: number): fc.Arbitrary<RandomStep> =>
  fc.record({
    needs: index === 0 ? fc.constant([]) : fc.uniqueArray(fc.nat(index - 1), { maxLength: Math.min(index, 3) }),
    when: fc.constantFrom<TriggerRule>(
      'all-succeeded',
      'all-succeeded',
      'all-done',
      'any-failed',
      'none-failed',
      'one-succeeded',
      'all-failed',
      'always',
    ),
    attempts: fc.integer({ min: 1, max: 3 }),
    outcomes: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
  });

const dagArb = fc
  .integer({ min: 2, max: 9 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => stepArb(i))))
  .map((steps) => steps.map((s) => (s.needs.length === 0 && NEEDS_NEEDS.includes(s.when) ? { ...s, when: 'all-succeeded' as const } : s)));

const SEED = Number(process.env.CASCADENCE_DAG_PARITY_SEED ?? 20261201);
const SAMPLES = Number(process.env.CASCADENCE_DAG_PARITY_SAMPLES ?? 12);

function randomFlow(specs: RandomStep[], k: number): Flow {
  const steps: Record<string, FlowStep> = {};
  specs.forEach((spec, i) => {
    steps[`s${i}`] = {
      needs: spec.needs.map((j) => `s${j}`),
      when: spec.when,
      retry: { attempts: spec.attempts, backoff: 'fixed', delayMs: 5 },
      run: (ctx) => {
        if (!spec.outcomes[ctx.attempt - 1]) throw new Error(`s${i} failed attempt ${ctx.attempt}`);
        return STARTS_EARLY.includes(spec.when) ? { i } : { i, saw: Object.keys(ctx.results).sort() };
      },
    };
  });
  return defineFlow({ name: `random-${k}`, steps });
}

const samples = fc.sample(dagArb, { seed: SEED, numRuns: SAMPLES }).map((specs, k) => randomFlow(specs, k));

// Several steps fail in the same instant: the run-level error must not depend on which ended first.
const manyFail = defineFlow({
  name: 'many-fail',
  steps: {
    first: {
      run: async () => {
        await new Promise((r) => setTimeout(r, 30));
        throw new Error('first declared failure');
      },
    },
    second: {
      run: () => {
        throw new Error('second declared failure');
      },
    },
    third: {
      run: () => {
        throw new Error('third declared failure');
      },
    },
  },
});

// Cross-field option checks (`validate`) must stop the run before it starts, on both backends.
const ranWithBadOptions: string[] = [];
const range = defineProcessor<{ from: number; to: number }, number>({
  name: 'range',
  options: { from: { type: 'integer', required: true }, to: { type: 'integer', required: true } },
  validate: (options) => {
    if (options.from > options.to) throw new Error(`"from" (${options.from}) must not be after "to" (${options.to})`);
  },
  run: (ctx, options) => {
    ranWithBadOptions.push(ctx.runId);
    return options.to - options.from;
  },
});
const badRange = defineFlow({ name: 'bad-range', steps: { r: { uses: 'range', with: { from: 5, to: 1 } } } });

const registry = new Registry().addProcessor(range);
for (const flow of [...samples, manyFail, badRange]) registry.add(flow);

describeTemporal('random DAGs: the same RunResult on the local engine and on Temporal', () => {
  const taskQueue = uniqueQueue('dag-parity');
  let worker: CascadenceWorker;
  let backend: TemporalBackend;
  const engine = new Engine({ logger: silentLogger, resolver: registry });

  beforeAll(async () => {
    worker = await startWorker({ taskQueue, registry, logger: silentLogger });
    backend = new TemporalBackend({ address: serverAddress(), taskQueue, registry });
  });
  afterAll(async () => {
    await backend?.close();
    await worker?.shutdown();
  });

  it.each(samples.map((flow) => [flow.name, flow] as const))('%s', async (_name, flow) => {
    for (const concurrency of [1, 16]) {
      const local = await engine.run(flow, undefined, { concurrency });
      const remote = await backend.run(flow, undefined, { concurrency });
      expect(comparable(remote)).toEqual(comparable(local));
    }
  });

  it('the run-level error is the first failed step in declaration order, every time, on both', async () => {
    for (let round = 0; round < 3; round++) {
      const local = await engine.run(manyFail);
      const remote = await backend.run(manyFail);
      expect(local.error?.message).toBe('first declared failure');
      expect(remote.error?.message).toBe('first declared failure');
    }
  });

  it("a processor's validate() refuses the run before any step starts, with the same error", async () => {
    const refusals: unknown[] = [];
    for (const run of [() => engine.run(badRange), () => backend.run(badRange)]) {
      try {
        await run();
        refusals.push('ran');
      } catch (error) {
        refusals.push(error);
      }
    }
    for (const error of refusals) {
      expect(CascadenceError.isInstance(error, ErrorCode.INVALID_OPTIONS)).toBe(true);
      expect((error as Error).message).toBe('flow "bad-range", step "r": "from" (5) must not be after "to" (1)');
    }
    expect(ranWithBadOptions).toEqual([]);
  });

  it('a workflow started with another RunSpec version fails with the documented code', async () => {
    const client = await backend.client();
    const handle = await client.workflow.start(WORKFLOW_TYPE, {
      taskQueue,
      workflowId: `spec-version-${Date.now()}`,
      args: [{ version: 0 }],
    });
    const failure = await handle.result().then(
      () => undefined,
      (error: { cause?: { type?: string; message?: string } }) => error.cause,
    );
    expect(failure?.type).toBe(TemporalErrorCode.SPEC_VERSION);
    expect(failure?.message).toMatch(/expects a RunSpec of version \d+ \(got 0\)/);
  });
});
