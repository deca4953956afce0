/**
 * One meaning for every driver: random DAGs with random failures, retries, timeouts, fail-fast,
 * concurrency limits and cancellation run through (a) the local Engine, under fake timers, and
 * (b) the dag RunState driven by a simulated clock (dag-sim.ts). The RunResults — statuses,
 * attempts, outputs, step errors and the run-level error — must be equal. A sample of the same
 * kind of flows also runs on a real Temporal server (packages/temporal/test/dag-parity.test.ts).
 */
import fc from 'fast-check';
import { Engine } from '../src/engine';
import { defineFlow, type FlowStep, type TriggerRule } from '../src/flow';
import { silentLogger } from '../src/logger';
import type { RunResult } from '../src/result';
import { CANCEL_REASON, SIM_FLOW, simulate, type SimError, type SimResult, type SimScenario, type SimStep } from './dag-sim';

// Every time is at least 1 ms: Node runs a 0 ms timer after 1 ms, and jest's fake timers do so only
// inside a tick, so 0 would test the fake clock rather than the engine.
const stepArb = (index: number): fc.Arbitrary<SimStep> =>
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
    delayMs: fc.integer({ min: 1, max: 4 }),
    outcomes: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
    durations: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 3, maxLength: 3 }),
    timeoutMs: fc.option(fc.integer({ min: 1, max: 7 }), { nil: undefined }),
  });

export const scenarioArb: fc.Arbitrary<SimScenario> = fc.record({
  steps: fc
    .integer({ min: 1, max: 14 })
    .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => stepArb(i))))
    .map((steps) =>
      steps.map((s) =>
        s.needs.length === 0 && ['any-failed', 'one-succeeded', 'all-failed'].includes(s.when)
          ? { ...s, when: 'all-succeeded' as const }
          : s,
      ),
    ),
  concurrency: fc.constantFrom(1, 2, 3, 16),
  failFast: fc.boolean(),
  cancelAt: fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }),
});

function flowOf(scenario: SimScenario) {
  const steps: Record<string, FlowStep> = {};
  scenario.steps.forEach((spec, i) => {
    steps[`s${i}`] = {
      needs: spec.needs.map((j) => `s${j}`),
      when: spec.when,
      retry: { attempts: spec.attempts, backoff: 'fixed', delayMs: spec.delayMs },
      ...(spec.timeoutMs === undefined ? {} : { timeoutMs: spec.timeoutMs }),
      run: (ctx) =>
        new Promise((resolve, reject) => {
          const ok = spec.outcomes[ctx.attempt - 1];
          const timer = setTimeout(
            () => (ok ? resolve(i) : reject(new Error(`s${i} failed attempt ${ctx.attempt}`))),
            spec.durations[ctx.attempt - 1],
          );
          ctx.signal.addEventListener('abort', () => {
            clearTimeout(timer);
            reject(ctx.signal.reason);
          });
        }),
    };
  });
  return defineFlow({ name: SIM_FLOW, steps });
}

const view = (error: Error | undefined): SimError | undefined =>
  error === undefined ? undefined : { name: error.name, message: error.message, code: (error as { code?: string }).code };

function comparable(result: RunResult): SimResult {
  const steps: SimResult['steps'] = {};
  for (const [id, step] of Object.entries(result.steps)) {
    steps[id] = {
      status: step.status,
      attempts: step.attempts,
      output: step.status === 'succeeded' ? step.output : undefined,
      error: view(step.error),
    };
  }
  return { status: result.status, output: result.output, error: view(result.error), steps };
}

async function runOnEngine(scenario: SimScenario): Promise<SimResult> {
  const controller = new AbortController();
  // Created before the run, like the simulation schedules the cancellation first.
  if (scenario.cancelAt !== undefined) setTimeout(() => controller.abort(new Error(CANCEL_REASON)), scenario.cancelAt);
  const engine = new Engine({ logger: silentLogger, concurrency: scenario.concurrency, failFast: scenario.failFast });
  const pending = engine.run(flowOf(scenario), undefined, { signal: controller.signal });
  await jest.runAllTimersAsync();
  return comparable(await pending);
}

describe('the local engine and the dag state machine under a simulated clock agree', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('on random DAGs with failures, retries, timeouts, fail-fast, concurrency and cancellation', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        const engine = await runOnEngine(scenario);
        const simulated = simulate(scenario);
        expect(engine).toEqual(simulated);
      }),
      { numRuns: Number(process.env.CASCADENCE_PROPERTY_RUNS ?? 300) },
    );
  }, 600_000);

  it('the run-level error is the first failed step in declaration order, not the first to fail', async () => {
    // s1 fails at t=1, s0 at t=5: the run reports s0.
    const scenario: SimScenario = {
      steps: [
        { needs: [], when: 'all-succeeded', attempts: 1, delayMs: 0, outcomes: [false], durations: [5], timeoutMs: undefined },
        { needs: [], when: 'all-succeeded', attempts: 1, delayMs: 0, outcomes: [false], durations: [1], timeoutMs: undefined },
      ],
      concurrency: 2,
      failFast: false,
      cancelAt: undefined,
    };
    const engine = await runOnEngine(scenario);
    expect(engine.error?.message).toBe('s0 failed attempt 1');
    expect(simulate(scenario).error?.message).toBe('s0 failed attempt 1');
  });
});
