import fc from 'fast-check';
import { Engine } from './engine';
import { defineFlow, type FlowStep, type TriggerRule } from './flow';
import { silentLogger } from './logger';

/** A random DAG: step i may only need steps before it, so every generated graph is acyclic. */
interface StepSpec {
  needs: number[];
  when: TriggerRule;
  attempts: number;
  /** Outcome of each attempt: true = succeeds. */
  outcomes: boolean[];
  async: boolean;
}

const stepSpec = (index: number): fc.Arbitrary<StepSpec> =>
  fc.record({
    needs: index === 0 ? fc.constant([]) : fc.uniqueArray(fc.nat(index - 1), { maxLength: Math.min(index, 4) }),
    when: fc.constantFrom<TriggerRule>('all-succeeded', 'all-succeeded', 'all-done', 'any-failed'),
    attempts: fc.integer({ min: 1, max: 3 }),
    outcomes: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
    async: fc.boolean(),
  });

// A root step cannot say any-failed (defineFlow rejects it: it could never run).
const dagSpec = fc
  .integer({ min: 1, max: 25 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => stepSpec(i))))
  .map((specs) => specs.map((s) => (s.needs.length === 0 && s.when === 'any-failed' ? { ...s, when: 'all-succeeded' as const } : s)));

type Final = 'succeeded' | 'failed' | 'skipped';

/** What the trigger rules imply, computed independently of the engine in index (= topological) order. */
function expected(specs: StepSpec[]): { status: Final[]; attempts: number[] } {
  const status: Final[] = [];
  const upstreamFailed: boolean[] = [];
  const attempts: number[] = [];
  specs.forEach((spec, i) => {
    const deps = spec.needs.map((j) => ({ status: status[j], upstreamFailed: upstreamFailed[j] }));
    const allSucceeded = deps.every((d) => d.status === 'succeeded');
    const anyFailed = deps.some((d) => d.status === 'failed' || (d.status === 'skipped' && d.upstreamFailed));
    const runs = spec.when === 'all-done' || (spec.when === 'all-succeeded' ? allSucceeded : anyFailed);
    if (!runs) {
      status[i] = 'skipped';
      upstreamFailed[i] = anyFailed;
      attempts[i] = 0;
      return;
    }
    const firstSuccess = spec.outcomes.slice(0, spec.attempts).indexOf(true);
    status[i] = firstSuccess === -1 ? 'failed' : 'succeeded';
    upstreamFailed[i] = false;
    attempts[i] = firstSuccess === -1 ? spec.attempts : firstSuccess + 1;
  });
  return { status, attempts };
}

function buildFlow(specs: StepSpec[], journal: string[], finished: Map<string, Final>) {
  const steps: Record<string, FlowStep> = {};
  specs.forEach((spec, i) => {
    const id = `s${i}`;
    steps[id] = {
      needs: spec.needs.map((j) => `s${j}`),
      when: spec.when,
      retry: { attempts: spec.attempts, backoff: 'fixed', delayMs: 0 },
      run: (ctx) => {
        journal.push(`start ${id} ${ctx.attempt}`);
        // The dependencies must all have finished (and succeeded, unless the rule says otherwise).
        for (const j of spec.needs) {
          const dep = finished.get(`s${j}`);
          if (dep === undefined) throw new Error(`INVARIANT: ${id} started before s${j} finished`);
          if (spec.when === 'all-succeeded' && dep !== 'succeeded') throw new Error(`INVARIANT: ${id} started after s${j} ${dep}`);
        }
        const ok = spec.outcomes[ctx.attempt - 1];
        const settle = () => {
          const last = ctx.attempt === spec.attempts;
          if (ok) finished.set(id, 'succeeded');
          else if (last) finished.set(id, 'failed');
          if (!ok) throw new Error(`${id} failed attempt ${ctx.attempt}`);
          return i;
        };
        return spec.async ? Promise.resolve().then(settle) : settle();
      },
    };
  });
  return defineFlow({ name: 'random', steps });
}

function check(specs: StepSpec[], result: { steps: Record<string, { status: string; attempts: number; error?: Error }> }, journal: string[]): void {
  const want = expected(specs);
  specs.forEach((_, i) => {
    const step = result.steps[`s${i}`];
    expect(step?.error?.message ?? '').not.toContain('INVARIANT');
    expect({ id: i, status: step?.status, attempts: step?.attempts }).toEqual({ id: i, status: want.status[i], attempts: want.attempts[i] });
    // Never more starts than allowed attempts.
    expect(journal.filter((line) => line.startsWith(`start s${i} `)).length).toBe(want.attempts[i]);
  });
}

describe('engine properties over random DAGs with random failures', () => {
  it('run: statuses, attempts and skips are exactly what the trigger rules imply, and it terminates', async () => {
    await fc.assert(
      fc.asyncProperty(dagSpec, fc.constantFrom(1, 2, 4, Infinity), async (specs, concurrency) => {
        const journal: string[] = [];
        const finished = new Map<string, Final>();
        const engine = new Engine({ logger: silentLogger, concurrency });
        engine.events.on('step:skip', (event) => finished.set(event.step, 'skipped'));
        const result = await engine.run(buildFlow(specs, journal, finished));
        check(specs, result, journal);
        const anyFailed = expected(specs).status.includes('failed');
        expect(result.status).toBe(anyFailed ? 'failed' : 'succeeded');
      }),
      { numRuns: 300 },
    );
  }, 120_000);

  it('runSync agrees with the same model for synchronous graphs', () => {
    fc.assert(
      fc.property(dagSpec, (specs) => {
        const syncSpecs = specs.map((s) => ({ ...s, async: false }));
        const journal: string[] = [];
        const finished = new Map<string, Final>();
        const engine = new Engine({ logger: silentLogger });
        engine.events.on('step:skip', (event) => finished.set(event.step, 'skipped'));
        const result = engine.runSync(buildFlow(syncSpecs, journal, finished));
        check(syncSpecs, result, journal);
      }),
      { numRuns: 300 },
    );
  });
});
