import { Engine } from '../src/engine';
import { defineFlow } from '../src/flow';
import { silentLogger } from '../src/logger';
import type { TaskContext } from '../src/task';

// What ctx.results is, pinned down: a fresh prototype-less object per attempt holding the
// outputs of the step's succeeded needs only, in `needs` order.
describe('ctx.results', () => {
  const engine = () => new Engine({ logger: silentLogger });

  it('holds the succeeded needs only: keys, enumeration, JSON, `in`, missing keys, no prototype', () => {
    let seen: Record<string, unknown> | undefined;
    const flow = defineFlow({
      name: 'results-view',
      steps: {
        a: { run: () => 'A' },
        b: { run: () => ({ n: 2 }) },
        bad: {
          run: () => {
            throw new Error('no');
          },
        },
        other: { run: () => 'not needed' },
        c: {
          needs: ['b', 'a', 'bad'],
          when: 'all-done',
          run: (ctx) => {
            seen = ctx.results;
          },
        },
      },
    });
    engine().runSync(flow);
    const results = seen as Record<string, unknown>;
    expect(Object.getPrototypeOf(results)).toBeNull();
    expect(Object.keys(results)).toEqual(['b', 'a']);
    expect(JSON.stringify(results)).toBe('{"b":{"n":2},"a":"A"}');
    expect('a' in results).toBe(true);
    expect('bad' in results).toBe(false);
    expect('other' in results).toBe(false);
    expect(results.other).toBeUndefined();
    expect(Object.hasOwn(results, 'b')).toBe(true);
    expect({ ...results }).toEqual({ b: { n: 2 }, a: 'A' });
  });

  it('is one object per attempt: the same on every read, a new one for a retry, writable', () => {
    const objects: Array<Record<string, unknown>> = [];
    let attempts = 0;
    const flow = defineFlow({
      name: 'results-attempts',
      steps: {
        a: { run: () => 1 },
        b: {
          needs: ['a'],
          retry: { attempts: 2, delayMs: 0 },
          run: (ctx: TaskContext) => {
            expect(ctx.results).toBe(ctx.results);
            objects.push(ctx.results);
            ctx.results.scratch = 'mine';
            if (++attempts === 1) throw new Error('again');
            return ctx.results;
          },
        },
      },
    });
    const result = engine().runSync(flow);
    expect(result.status).toBe('succeeded');
    expect(objects).toHaveLength(2);
    expect(objects[0]).not.toBe(objects[1]);
    // A write stays in that attempt's object.
    expect(result.steps.b?.output).toEqual({ a: 1, scratch: 'mine' });
  });

  it('is still readable after the step ended (a step may keep its ctx)', async () => {
    let kept: TaskContext | undefined;
    const flow = defineFlow({
      name: 'results-kept',
      steps: {
        a: { run: () => 1 },
        b: {
          needs: ['a'],
          run: (ctx) => {
            kept = ctx;
          },
        },
        c: { needs: ['b'], run: () => 3 },
      },
    });
    await engine().run(flow);
    expect(kept?.results).toEqual({ a: 1 });
    expect(kept?.stepId).toBe('b');
  });
});
