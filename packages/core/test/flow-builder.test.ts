import { CascadenceError, defineTask, Engine, ErrorCode, flow, isFlow, silentLogger } from '../src/index';

const engine = () => new Engine({ logger: silentLogger });

describe('flow() builder', () => {
  it('builds a flow that runs like defineFlow: outputs, default output of the final steps, declaration order', async () => {
    const diamond = flow('diamond', { description: 'mean of a list', tags: ['demo'] })
      .step('fetch', { run: async () => [1, 2, 3] })
      .step('sum', { needs: ['fetch'], run: (ctx) => ctx.results.fetch.reduce((a, b) => a + b, 0) })
      .step('count', { needs: ['fetch'], run: (ctx) => ctx.results.fetch.length })
      .step('mean', { needs: ['sum', 'count'], run: (ctx) => ctx.results.sum / ctx.results.count })
      .build();
    expect(isFlow(diamond)).toBe(true);
    expect(diamond.description).toBe('mean of a list');
    expect(diamond.tags).toEqual(['demo']);
    expect(diamond.graph.ids).toEqual(['fetch', 'sum', 'count', 'mean']);
    const result = await engine().run(diamond);
    expect(result.status).toBe('succeeded');
    expect(result.output).toEqual({ mean: 2 });
    expect(result.steps.sum.output).toBe(6);
    expect(
      engine().runSync(
        flow('sync')
          .step('a', { run: () => 1 })
          .step('b', { needs: ['a'], run: (ctx) => ctx.results.a + 1 })
          .build(),
      ).output,
    ).toEqual({ b: 2 });
  });

  it("passes the flow input, or the step's own `with`, and builds a custom output", async () => {
    const double = defineTask({ name: 'double', run: (_ctx, n: number) => n * 2 });
    const built = flow<number>('inputs')
      .step('doubled', { task: double })
      .step('options', { with: { factor: 10 }, run: (_ctx, input) => input.factor })
      .step('nested', {
        task: flow<number>('child')
          .step('plus', { run: (_ctx, n) => n + 1 })
          .build((r) => r.plus),
      })
      .build((results, input) => ({ input, doubled: results.doubled, options: results.options, nested: results.nested }));
    const result = await engine().run(built, 4);
    expect(result.output).toEqual({ input: 4, doubled: 8, options: 10, nested: 5 });
  });

  it('keeps builders independent: two flows grow from one start without sharing steps', () => {
    const base = flow('base').step('a', { run: () => 1 });
    const left = base.step('b', { needs: ['a'], run: () => 'l' }).build();
    const right = base.step('c', { needs: ['a'], run: () => 'r' }).build();
    expect(left.graph.ids).toEqual(['a', 'b']);
    expect(right.graph.ids).toEqual(['a', 'c']);
    expect(base.build().graph.ids).toEqual(['a']);
  });

  it('checks the flow as defineFlow does, with the same coded errors', () => {
    const twice = () => (flow('twice').step('a', { run: () => 1 }) as any).step('a', { run: () => 2 }).build();
    expect(twice).toThrow('flow "twice": duplicate step id "a"');
    try {
      twice();
    } catch (error) {
      expect(CascadenceError.isInstance(error, ErrorCode.DUPLICATE_STEP)).toBe(true);
    }
    // A need typed away (an untyped caller) is still refused when built.
    const unknownNeed = () =>
      (flow('typo').step('build', { run: () => 1 }) as any).step('test', { needs: ['biuld'], run: () => 2 }).build();
    expect(unknownNeed).toThrow('flow "typo": step "test" needs unknown step "biuld" (did you mean "build"?)');
    expect(() =>
      flow('bad name')
        .step('a', { run: () => 1 })
        .build(),
    ).toThrow(CascadenceError);
    expect(() => flow('empty').build()).toThrow('flow "empty" has no steps');
    expect(() =>
      flow('two-kinds')
        .step('a', { run: () => 1, uses: 'shell' })
        .build(),
    ).toThrow('flow "two-kinds", step "a": has "run" and "uses"; give exactly one');
  });
});
