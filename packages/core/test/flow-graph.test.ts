import { CascadenceError, ErrorCode } from '../src/errors';
import { defineFlow, type FlowStep } from '../src/flow';

const noop = () => undefined;

function graphOf(steps: Record<string, FlowStep> | Array<FlowStep & { id: string }>) {
  const { graph } = defineFlow({ name: 'g', steps });
  const name = (i: number) => graph.ids[i];
  return {
    needs: Object.fromEntries(graph.ids.map((id, i) => [id, (graph.needs[i] ?? []).map(name)])),
    dependants: Object.fromEntries(graph.ids.map((id, i) => [id, (graph.dependants[i] ?? []).map(name)])),
    order: graph.order.map(name),
  };
}

describe('the graph defineFlow builds', () => {
  it('resolves needs (previous step or any other), drops repeats, lists dependants in declaration order', () => {
    const g = graphOf({
      a: { run: noop },
      b: { needs: ['a', 'a'], run: noop },
      c: { needs: ['b', 'a', 'b'], run: noop },
      d: { needs: ['a'], run: noop },
    });
    expect(g.needs).toEqual({ a: [], b: ['a'], c: ['b', 'a'], d: ['a'] });
    expect(g.dependants).toEqual({ a: ['b', 'c', 'd'], b: ['c'], c: [], d: [] });
    expect(g.order).toEqual(['a', 'b', 'c', 'd']);
  });

  it('orders steps that need later-declared steps topologically (object and array forms alike)', () => {
    const steps = { d: { needs: ['c'], run: noop }, c: { needs: ['a', 'b'], run: noop }, b: { run: noop }, a: { run: noop } };
    const g = graphOf(steps);
    expect(g.dependants).toEqual({ d: [], c: ['d'], b: ['c'], a: ['c'] });
    expect(g.order).toEqual(['b', 'a', 'c', 'd']);
    expect(graphOf(Object.entries(steps).map(([id, step]) => ({ id, ...step })))).toEqual(g);
  });

  it('reports a bad need only after every step passed its own checks, as before', () => {
    const steps = { a: { needs: ['nope'], run: noop }, b: { run: noop, uses: 'x' } };
    expect(() => defineFlow({ name: 'f', steps })).toThrow('flow "f", step "b": has "run" and "uses"; give exactly one');
    expect(() => defineFlow({ name: 'f', steps: { a: { needs: ['nope'], run: noop }, b: { needs: [1 as never], run: noop } } })).toThrow(
      'flow "f": step "a" needs unknown step "nope"',
    );
    expect(() => defineFlow({ name: 'f', steps: { a: { run: noop }, b: { needs: ['a', 7 as never], run: noop } } })).toThrow(
      'flow "f", step "b": "needs" must be a list of step ids',
    );
  });

  it('names an unknown need with a suggestion in both forms', () => {
    for (const steps of [
      { build: { run: noop }, test: { needs: ['biuld'], run: noop } },
      [
        { id: 'build', run: noop },
        { id: 'test', needs: ['biuld'], run: noop },
      ],
    ]) {
      try {
        defineFlow({ name: 'typo', steps });
        throw new Error('no error');
      } catch (error) {
        expect(CascadenceError.isInstance(error, ErrorCode.UNKNOWN_STEP)).toBe(true);
        expect((error as Error).message).toBe('flow "typo": step "test" needs unknown step "biuld" (did you mean "build"?)');
      }
    }
  });

  it('resolves a single need like a list of several: earlier, later, itself, not a string', () => {
    // One-need lists take a shorter path in the builder: same graph and same errors.
    expect(graphOf({ b: { needs: ['a'], run: noop }, a: { run: noop }, c: { needs: ['a'], run: noop } })).toEqual({
      needs: { b: ['a'], a: [], c: ['a'] },
      dependants: { b: [], a: ['b', 'c'], c: [] },
      order: ['a', 'b', 'c'],
    });
    // Several needs, in declaration order (found one after another), reversed, repeated, or skipping ahead.
    expect(
      graphOf({
        a: { run: noop },
        b: { run: noop },
        c: { run: noop },
        d: { needs: ['a', 'b', 'c'], run: noop },
        e: { needs: ['c', 'b', 'a', 'c'], run: noop },
        f: { needs: ['a', 'c', 'e', 'b'], run: noop },
      }).needs,
    ).toEqual({ a: [], b: [], c: [], d: ['a', 'b', 'c'], e: ['c', 'b', 'a'], f: ['a', 'c', 'e', 'b'] });
    const selfNeed = () => defineFlow({ name: 'f', steps: { a: { needs: ['a'], run: noop } } });
    expect(selfNeed).toThrow('flow "f" has a cycle: a -> a');
    expect(() => defineFlow({ name: 'f', steps: { a: { run: noop }, b: { needs: [7 as never], run: noop } } })).toThrow(
      'flow "f", step "b": "needs" must be a list of step ids',
    );
    expect(() => defineFlow({ name: 'f', steps: { a: { run: noop }, b: { needs: ['zz'], run: noop } } })).toThrow(
      'flow "f": step "b" needs unknown step "zz"',
    );
  });
});
