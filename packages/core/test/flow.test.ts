import { CascadenceError, ErrorCode } from '../src/errors';
import { defineFlow } from '../src/flow';
import { defineTask } from '../src/task';

const noop = () => undefined;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return CascadenceError.isInstance(error) ? error.code : 'not a CascadenceError';
  }
  return undefined;
}

describe('defineFlow validation', () => {
  it('rejects a cycle and prints it as a -> b -> a', () => {
    expect(() => defineFlow({ name: 'loop', steps: { a: { needs: ['b'], run: noop }, b: { needs: ['a'], run: noop } } })).toThrow(
      'flow "loop" has a cycle: a -> b -> a',
    );
  });

  it('names the steps of a longer cycle behind an acyclic prefix', () => {
    const fn = () =>
      defineFlow({
        name: 'long',
        steps: {
          start: { run: noop },
          x: { needs: ['start', 'z'], run: noop },
          y: { needs: ['x'], run: noop },
          z: { needs: ['y'], run: noop },
        },
      });
    expect(codeOf(fn)).toBe(ErrorCode.CYCLE);
    expect(fn).toThrow('flow "long" has a cycle: x -> z -> y -> x');
  });

  it('rejects a self-reference', () => {
    expect(() => defineFlow({ name: 'self', steps: { a: { needs: ['a'], run: noop } } })).toThrow('flow "self" has a cycle: a -> a');
  });

  it('rejects unknown needs, naming the step and suggesting the closest id', () => {
    const fn = () => defineFlow({ name: 'typo', steps: { build: { run: noop }, test: { needs: ['biuld'], run: noop } } });
    expect(codeOf(fn)).toBe(ErrorCode.UNKNOWN_STEP);
    expect(fn).toThrow('flow "typo": step "test" needs unknown step "biuld" (did you mean "build"?)');
  });

  it('rejects duplicate step ids (array form)', () => {
    const fn = () =>
      defineFlow({
        name: 'dup',
        steps: [
          { id: 'a', run: noop },
          { id: 'a', run: noop },
        ],
      });
    expect(codeOf(fn)).toBe(ErrorCode.DUPLICATE_STEP);
    expect(fn).toThrow('flow "dup": duplicate step id "a"');
  });

  it('rejects empty and malformed names', () => {
    expect(codeOf(() => defineFlow({ name: '', steps: { a: { run: noop } } }))).toBe(ErrorCode.INVALID_NAME);
    expect(codeOf(() => defineFlow({ name: 'f', steps: [{ id: '', run: noop }] }))).toBe(ErrorCode.INVALID_NAME);
    expect(codeOf(() => defineFlow({ name: 'has space', steps: { a: { run: noop } } }))).toBe(ErrorCode.INVALID_NAME);
    expect(codeOf(() => defineTask({ name: '', run: noop }))).toBe(ErrorCode.INVALID_NAME);
  });

  it('rejects steps that say both or none of task/run/uses, and bad rules and policies', () => {
    const task = defineTask({ name: 't', run: noop });
    expect(() => defineFlow({ name: 'f', steps: { a: {} } })).toThrow('flow "f", step "a": needs one of "task", "run" or "uses"');
    expect(() => defineFlow({ name: 'f', steps: { a: { task, run: noop } } })).toThrow('has "task" and "run"');
    expect(() => defineFlow({ name: 'f', steps: { a: { run: noop, when: 'sometimes' as never } } })).toThrow(
      '"when" must be one of all-succeeded, all-done, any-failed',
    );
    expect(() => defineFlow({ name: 'f', steps: { a: { run: noop, retry: { attempts: 0 } } } })).toThrow(
      'flow "f", step "a": retry.attempts must be an integer of at least 1',
    );
    expect(() => defineFlow({ name: 'f', steps: { a: { run: noop, timeoutMs: -5 } } })).toThrow('timeoutMs must be a positive number');
    expect(() => defineFlow({ name: 'f', steps: {} })).toThrow('flow "f" has no steps');
    expect(() => defineFlow({ name: 'f', steps: { a: { run: noop, when: 'any-failed' } } })).toThrow(
      'flow "f", step "a": when "any-failed" needs at least one step in "needs"',
    );
  });

  it('accepts a valid graph and exposes a topological order', () => {
    const flow = defineFlow({
      name: 'ok',
      steps: { d: { needs: ['b', 'c'], run: noop }, b: { needs: ['a'], run: noop }, c: { needs: ['a'], run: noop }, a: { run: noop } },
    });
    const order = flow.graph.order.map((i) => flow.graph.ids[i]);
    expect(order.indexOf('a')).toBeLessThan(order.indexOf('b'));
    expect(order.indexOf('b')).toBeLessThan(order.indexOf('d'));
    expect(order.indexOf('c')).toBeLessThan(order.indexOf('d'));
    expect(flow.kind).toBe('flow');
  });

  it('validates a 100,000-step chain without overflowing the stack', () => {
    const steps: Record<string, { needs?: string[]; run: () => void }> = {};
    for (let i = 0; i < 100_000; i++) steps[`s${i}`] = i === 0 ? { run: noop } : { needs: [`s${i - 1}`], run: noop };
    expect(defineFlow({ name: 'chain', steps }).graph.order).toHaveLength(100_000);
    steps.s0 = { needs: ['s99999'], run: noop };
    expect(codeOf(() => defineFlow({ name: 'ring', steps }))).toBe(ErrorCode.CYCLE);
  });

  it('refuses __proto__ as a step id, however it is written, instead of losing the step', () => {
    const run = () => 1;
    expect(() => defineFlow({ name: 'p1', steps: { ['__proto__']: { run }, b: { run } } })).toThrow('"__proto__" is reserved');
    expect(() => defineFlow({ name: 'p2', steps: { __proto__: { run }, b: { run } } as never })).toThrow('"__proto__" is reserved');
    expect(() => defineFlow({ name: 'p3', steps: [{ id: '__proto__', run }] })).toThrow('"__proto__" is reserved');
    expect(() => defineTask({ name: '__proto__', run })).toThrow('"__proto__" is reserved');
  });
});
