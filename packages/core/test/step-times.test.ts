import { Engine } from '../src/engine';
import { defineFlow } from '../src/flow';
import { silentLogger } from '../src/logger';
import { sleepSync } from '../src/sleep-sync';

// The engine reads the clock once per step: a step that starts right after another ended uses
// that reading. Pinned here: the reading is never one taken before step code ran.
describe('step times', () => {
  const busy = (ms: number) => () => {
    sleepSync(ms);
    return ms;
  };

  it.each(['run', 'runSync'] as const)(
    '%s: each step starts no earlier than what it waited for ended, and lasts as long as its code',
    async (how) => {
      const flow = defineFlow({
        name: `times-${how}`,
        steps: {
          a: { run: busy(30) },
          // b and c start in the same pass; b's code runs before c starts.
          b: { needs: ['a'], run: busy(30) },
          c: { needs: ['a'], run: busy(5) },
          d: { needs: ['b', 'c'], run: () => 'd' },
        },
      });
      const engine = new Engine({ logger: silentLogger });
      const before = performance.timeOrigin + performance.now();
      const result = how === 'run' ? await engine.run(flow) : engine.runSync(flow);
      const after = performance.timeOrigin + performance.now();
      const { a, b, c, d } = result.steps as Record<'a' | 'b' | 'c' | 'd', { startedAt: number; durationMs: number }>;
      // Less a rounding margin: epoch + (end - start) is not always exactly epoch + end - start in floating point.
      const end = (s: { startedAt: number; durationMs: number }) => s.startedAt + s.durationMs - 1e-3;
      expect(a.startedAt).toBeGreaterThanOrEqual(result.startedAt);
      expect(result.startedAt).toBeGreaterThanOrEqual(before);
      for (const [step, ms] of [
        [a, 30],
        [b, 30],
        [c, 5],
      ] as const)
        expect(step.durationMs).toBeGreaterThanOrEqual(ms - 1);
      expect(b.startedAt).toBeGreaterThanOrEqual(end(a));
      // c started after b's code ran (one thread): its start is b's end or later, not a's.
      expect(c.startedAt).toBeGreaterThanOrEqual(end(b));
      expect(d.startedAt).toBeGreaterThanOrEqual(Math.max(end(b), end(c)));
      expect(result.startedAt + result.durationMs).toBeGreaterThanOrEqual(end(d));
      expect(result.startedAt + result.durationMs - 2e-3).toBeLessThanOrEqual(after);
    },
  );

  it("a run that waited for a timed-out nested step's `always` step ends after it, not when the step timed out", async () => {
    let tidiedAt = 0;
    const flow = defineFlow({
      name: 'times-settle',
      steps: {
        sub: {
          timeoutMs: 20,
          task: defineFlow({
            name: 'times-settle-inner',
            steps: {
              work: {
                run: (ctx) => new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
              },
              tidy: {
                needs: ['work'],
                when: 'always',
                run: async () => {
                  await new Promise((resolve) => setTimeout(resolve, 60));
                  tidiedAt = performance.timeOrigin + performance.now();
                },
              },
            },
          }),
        },
      },
    });
    const result = await new Engine({ logger: silentLogger }).run(flow);
    expect(result.steps.sub?.status).toBe('failed');
    expect(tidiedAt).toBeGreaterThan(0);
    // Was the clock reading of the step's timeout, taken before the nested run ended.
    expect(result.startedAt + result.durationMs).toBeGreaterThanOrEqual(tidiedAt - 1e-3);
  });
});
