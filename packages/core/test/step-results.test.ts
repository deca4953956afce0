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

  // Small flows make ctx.results in the VM's fast mode, large ones (over 256 steps) as a
  // dictionary: the object must be the same either way.
  it.each([5, 300])('is the same prototype-less object in a flow of %i steps', (size) => {
    const seen: Array<Record<string, unknown>> = [];
    const steps: Record<string, { needs?: string[]; run: (ctx: TaskContext) => unknown }> = {};
    for (let i = 0; i < size; i++) {
      steps[`s${i}`] =
        i < 2
          ? { run: () => i }
          : {
              needs: [`s${i - 1}`, `s${i - 2}`],
              run: (ctx) => {
                seen.push(ctx.results);
                return i;
              },
            };
    }
    const result = engine().runSync(defineFlow({ name: `results-${size}`, steps }));
    expect(result.status).toBe('succeeded');
    const last = seen[seen.length - 1] as Record<string, unknown>;
    expect(Object.getPrototypeOf(last)).toBeNull();
    expect(Object.keys(last)).toEqual([`s${size - 2}`, `s${size - 3}`]);
    expect(JSON.stringify(last)).toBe(`{"s${size - 2}":${size - 2},"s${size - 3}":${size - 3}}`);
  });

  it('is filled without consulting Object.prototype (a setter there sees nothing)', () => {
    const caught: unknown[] = [];
    Object.defineProperty(Object.prototype, 'polluted', {
      configurable: true,
      set(value: unknown) {
        caught.push(value);
      },
    });
    try {
      let seen: Record<string, unknown> | undefined;
      const flow = defineFlow({
        name: 'results-polluted',
        steps: {
          polluted: { run: () => 'mine' },
          b: {
            needs: ['polluted'],
            run: (ctx) => {
              seen = ctx.results;
            },
          },
        },
      });
      engine().runSync(flow);
      // (RunResult.steps, a plain record, still meets the setter: only ctx.results is pinned here.)
      expect(caught).not.toContain('mine');
      expect(Object.hasOwn(seen as object, 'polluted')).toBe(true);
      expect(seen?.polluted).toBe('mine');
    } finally {
      delete (Object.prototype as Record<string, unknown>).polluted;
    }
  });
});
