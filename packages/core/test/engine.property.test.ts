import fc from 'fast-check';
import { Engine } from '../src/engine';
import { defineFlow, type FlowStep, type TriggerRule } from '../src/flow';
import { silentLogger } from '../src/logger';

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
    async: fc.boolean(),
  });

/** Rules decided by how the needs ended; a root step cannot say them (defineFlow rejects it). */
const NEEDS_NEEDS: readonly TriggerRule[] = ['any-failed', 'one-succeeded', 'all-failed'];
/** Rules under which a step may start before every need has ended. */
const STARTS_EARLY: readonly TriggerRule[] = ['any-failed', 'one-succeeded'];

const dagSpec = fc
  .integer({ min: 1, max: 25 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => stepSpec(i))))
  .map((specs) => specs.map((s) => (s.needs.length === 0 && NEEDS_NEEDS.includes(s.when) ? { ...s, when: 'all-succeeded' as const } : s)));

type Final = 'succeeded' | 'failed' | 'skipped';

/** What the trigger rules imply, computed independently of the engine in index (= topological) order. */
function expected(specs: StepSpec[]): { status: Final[]; attempts: number[] } {
  const status: Final[] = [];
  const upstreamFailed: boolean[] = [];
  const attempts: number[] = [];
  specs.forEach((spec, i) => {
    const deps = spec.needs.map((j) => ({ status: status[j], upstreamFailed: upstreamFailed[j] }));
    const failed = deps.filter((d) => d.status === 'failed' || (d.status === 'skipped' && d.upstreamFailed)).length;
    const succeeded = deps.filter((d) => d.status === 'succeeded').length;
    const anyFailed = failed > 0;
    // Airflow's rule table, written out per rule.
    const runs = {
      'all-succeeded': succeeded === deps.length,
      'all-done': true,
      always: true,
      'any-failed': anyFailed,
      'none-failed': !anyFailed,
      'one-succeeded': succeeded > 0,
      'all-failed': failed === deps.length,
    }[spec.when];
    if (!runs) {
      status[i] = 'skipped';
      // all-failed and any-failed are skipped on purpose (a trigger rule), the others because of the failure.
      upstreamFailed[i] = anyFailed && spec.when !== 'all-failed' && spec.when !== 'any-failed';
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
        // The dependencies must all have finished (and succeeded, unless the rule says otherwise);
        // any-failed and one-succeeded start once one need ended the way they wait for.
        const ends = spec.needs.map((j) => finished.get(`s${j}`));
        if (STARTS_EARLY.includes(spec.when)) {
          const want = spec.when === 'one-succeeded' ? ['succeeded'] : ['failed', 'skipped'];
          if (!ends.some((end) => end !== undefined && want.includes(end)))
            throw new Error(`INVARIANT: ${id} (${spec.when}) started before a need ended as it waits for`);
        } else {
          spec.needs.forEach((j, k) => {
            const dep = ends[k];
            if (dep === undefined) throw new Error(`INVARIANT: ${id} started before s${j} finished`);
            if ((spec.when === 'all-succeeded' && dep !== 'succeeded') || (spec.when === 'none-failed' && dep === 'failed')) {
              throw new Error(`INVARIANT: ${id} started after s${j} ${dep}`);
            }
          });
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

function check(
  specs: StepSpec[],
  result: { steps: Record<string, { status: string; attempts: number; error?: Error }> },
  journal: string[],
): void {
  const want = expected(specs);
  specs.forEach((_, i) => {
    const step = result.steps[`s${i}`];
    expect(step?.error?.message ?? '').not.toContain('INVARIANT');
    expect({ id: i, status: step?.status, attempts: step?.attempts }).toEqual({
      id: i,
      status: want.status[i],
      attempts: want.attempts[i],
    });
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
