// Checked by `tsc -p tsconfig.test-d.json` (part of `pnpm run typecheck`); never run.
import {
  defineFlow,
  defineProcessor,
  defineTask,
  Engine,
  flow,
  flowFromSpec,
  type Flow,
  type Runnable,
  type RunResult,
  type StepResult,
} from '../src/index';
import type { Equal, Expect } from './expect';

const engine = new Engine();

// The README's first example: every output inferred, no annotation, no cast.
const diamond = flow('diamond')
  .step('fetch', { run: async () => [1, 2, 3] })
  .step('sum', { needs: ['fetch'], run: (ctx) => ctx.results.fetch.reduce((a, b) => a + b, 0) })
  .step('count', { needs: ['fetch'], run: (ctx) => ctx.results.fetch.length })
  .step('mean', { needs: ['sum', 'count'], run: (ctx) => ctx.results.sum / ctx.results.count })
  .build();

type DiamondOutputs = { fetch: number[]; sum: number; count: number; mean: number };
type _diamond = Expect<Equal<typeof diamond, Flow<unknown, { mean?: number }, DiamondOutputs>>>;

async function runResults(): Promise<void> {
  const result = await engine.run(diamond);
  type _result = Expect<Equal<typeof result, RunResult<{ mean?: number }, DiamondOutputs>>>;
  type _output = Expect<Equal<typeof result.output, { mean?: number } | undefined>>;
  type _stepSum = Expect<Equal<typeof result.steps.sum, StepResult<number>>>;
  type _stepFetchOutput = Expect<Equal<typeof result.steps.fetch.output, number[] | undefined>>;
  const synced = engine.runSync(diamond);
  type _sync = Expect<Equal<typeof synced, RunResult<{ mean?: number }, DiamondOutputs>>>;
  // Reading steps by a computed id keeps compiling, as before.
  const id: string = 'sum';
  type _byString = Expect<Equal<(typeof result.steps)[typeof id], StepResult | undefined>>;
}
void runResults;

// ctx.results holds exactly the needed steps: nothing more, nothing less.
flow('exact')
  .step('a', { run: () => 'text' })
  .step('b', { run: () => 42 })
  .step('c', {
    needs: ['a'],
    run: (ctx) => {
      type _results = Expect<Equal<typeof ctx.results, { a: string }>>;
      // @ts-expect-error -- "b" is not in needs, so it is not in ctx.results
      return ctx.results.b;
    },
  });

// A typo in needs is a compile error (with a suggestion from TypeScript).
flow('typo')
  .step('fetch', { run: () => 1 })
  // @ts-expect-error -- "fecth" is not a step of the flow
  .step('sum', { needs: ['fecth'], run: () => 2 });

// needs may only name steps defined before: a graph built this way has no cycle.
flow('later')
  // @ts-expect-error -- "b" is not defined yet
  .step('a', { needs: ['b'], run: () => 1 })
  .step('b', { run: () => 2 });

// A step id can be used once.
flow('twice')
  .step('a', { run: () => 1 })
  // @ts-expect-error -- step "a" is already defined
  .step('a', { run: () => 2 });

// Outputs are the real types: misuse is an error.
flow('misuse')
  .step('list', { run: () => [1, 2] })
  // @ts-expect-error -- a number[] has no toUpperCase
  .step('bad', { needs: ['list'], run: (ctx) => ctx.results.list.toUpperCase() });

// Under a rule other than all-succeeded a need may be missing: each result is optional.
flow('rules')
  .step('risky', { run: () => ({ ok: true }) })
  .step('cleanup', {
    needs: ['risky'],
    when: 'all-done',
    run: (ctx) => {
      type _results = Expect<Equal<typeof ctx.results, { risky?: { ok: boolean } }>>;
      return ctx.results.risky?.ok ?? false;
    },
  })
  .step('alert', {
    needs: ['risky'],
    when: 'any-failed',
    // @ts-expect-error -- risky may be absent (it failed): its output is possibly undefined
    run: (ctx) => ctx.results.risky.ok,
  });

// The flow's input reaches every step without its own `with`; `with` replaces it.
const withInput = flow<{ userId: number }>('input')
  .step('id', {
    run: (_ctx, input) => {
      type _input = Expect<Equal<typeof input, { userId: number }>>;
      return input.userId;
    },
  })
  .step('options', {
    with: { retries: 3 },
    run: (_ctx, input) => {
      type _input = Expect<Equal<typeof input, { retries: number }>>;
      return input.retries;
    },
  })
  .build((results, input) => {
    type _results = Expect<Equal<typeof results, Partial<{ id: number; options: number }>>>;
    type _input = Expect<Equal<typeof input, { userId: number }>>;
    return `${input.userId}:${results.id ?? -1}`;
  });
type _withInput = Expect<Equal<typeof withInput, Flow<{ userId: number }, string, { id: number; options: number }>>>;
void engine.run(withInput, { userId: 1 });
// @ts-expect-error -- the flow's input is { userId: number }
void engine.run(withInput, { userId: 'one' });

// Outputs through typed tasks, nested flows and typed processors.
const fetchUser = defineTask({ name: 'fetch-user', run: async (_ctx, id: number) => ({ id, name: `user ${id}` }) });
type _task = Expect<Equal<Awaited<ReturnType<typeof engine.run<typeof fetchUser>>>, RunResult<{ id: number; name: string }>>>;
void engine.run(fetchUser, 7);
// @ts-expect-error -- the task's input is a number
void engine.run(fetchUser, 'seven');

const child = flow('child')
  .step('n', { run: () => 5 })
  .build((results) => results.n ?? 0);

const slugify = defineProcessor({
  name: 'slugify',
  options: { text: { type: 'string', required: true } },
  run: (_ctx, o: { text: string }) => ({ slug: o.text.toLowerCase() }),
});
declare module '../src/index' {
  interface ProcessorTypes {
    slugify: typeof slugify;
  }
}

const composed = flow<number>('composed')
  .step('user', { task: fetchUser })
  .step('nested', { task: child })
  .step('slug', { uses: 'slugify', with: { text: 'Hello' } })
  .step('shell', { uses: 'not-registered' })
  .step('named', { task: 'some-task-name' })
  .step('report', {
    needs: ['user', 'nested', 'slug', 'shell', 'named'],
    run: (ctx) => {
      type _results = Expect<
        Equal<
          typeof ctx.results,
          { user: { id: number; name: string }; nested: number; slug: { slug: string }; shell: unknown; named: unknown }
        >
      >;
      return `${ctx.results.user.name} ${ctx.results.nested} ${ctx.results.slug.slug}`;
    },
  })
  .build();
type _composed = Expect<
  Equal<
    typeof composed,
    Flow<
      number,
      { report?: string },
      {
        user: { id: number; name: string };
        nested: number;
        slug: { slug: string };
        shell: unknown;
        named: unknown;
        report: string;
      }
    >
  >
>;

// A builder is immutable: two flows can grow from one start.
const base = flow('base').step('a', { run: () => 1 });
const left = base.step('b', { needs: ['a'], run: (ctx) => String(ctx.results.a) }).build();
const right = base.step('c', { needs: ['a'], run: (ctx) => ctx.results.a > 0 }).build();
type _left = Expect<Equal<typeof left, Flow<unknown, { b?: string }, { a: number; b: string }>>>;
type _right = Expect<Equal<typeof right, Flow<unknown, { c?: boolean }, { a: number; c: boolean }>>>;

// A typed flow is a Flow wherever any flow is accepted.
const anyFlow: Flow = diamond;
void anyFlow;

// Untyped usage keeps compiling: defineFlow (object and list forms) and YAML/JSON flows.
const untyped = defineFlow({
  name: 'untyped',
  steps: {
    fetch: { run: async () => [1, 2, 3] },
    sum: { needs: ['fetch'], run: (ctx) => (ctx.results.fetch as number[]).length },
  },
});
const listed = defineFlow({
  name: 'listed',
  steps: [
    { id: 'a', run: () => 1 },
    { id: 'b', needs: ['a'], run: () => 2 },
  ],
});
const fromYaml = flowFromSpec({ name: 'yaml', steps: { a: { task: 'x' } } });
async function untypedResults(): Promise<void> {
  const result = await engine.run(untyped, 'anything');
  type _untyped = Expect<Equal<typeof result, RunResult<Record<string, unknown>>>>;
  type _step = Expect<Equal<typeof result.steps.sum, StepResult | undefined>>;
  await engine.run(listed);
  await engine.run(fromYaml, { any: 'input' });
}
void untypedResults;

// Code that holds "some task or flow" still runs it, with any input.
declare const someRunnable: Runnable;
async function anyRunnable(): Promise<void> {
  const result = await engine.run(someRunnable, { whatever: true });
  type _any = Expect<Equal<typeof result.status, 'succeeded' | 'failed' | 'cancelled'>>;
}
void anyRunnable;

// A task or nested flow must accept the step's input: the flow's input, or the step's `with`.
const double = defineTask({ name: 'double', run: (_ctx, n: number) => n * 2 });
const anyInput = defineTask({ name: 'any-input', run: () => 'ok' });
const needsA = flow<{ a: number }>('needs-a')
  .step('x', { run: (_ctx, input) => input.a })
  .build();
flow<number>('fits').step('d', { task: double }).step('a', { task: anyInput }).step('n', { task: 'by-name' });
flow('own-with').step('d', { with: 3, task: double });
flow<{ a: number; b: string }>('wider').step('c', { task: needsA });
// @ts-expect-error -- the flow's input is a string, the task wants a number
flow<string>('wrong-input').step('d', { task: double });
// @ts-expect-error -- an untyped flow input (unknown) is not a number: say flow<number>(...)
flow('unknown-input').step('d', { task: double });
// @ts-expect-error -- the nested flow wants { a: number }
flow<number>('nested-wrong').step('c', { task: needsA });
// @ts-expect-error -- the step's own with is a string
flow<number>('with-wrong').step('d', { with: 'three', task: double });

// map: the item type comes from the upstream output's element type; the output is an array.
const fanOut = flow('fan-out')
  .step('list', { run: () => ({ ids: [1, 2, 3], names: ['a'] }) })
  .step('ids', { needs: ['list'], run: (ctx) => ctx.results.list.ids })
  .step('each', {
    needs: ['ids'],
    map: 'ids',
    run: (_ctx, id) => {
      type _item = Expect<Equal<typeof id, number>>;
      return `#${id}`;
    },
  })
  .step('lengths', {
    needs: ['list'],
    map: (ctx) => ctx.results.list.names,
    run: (_ctx, name) => {
      type _item = Expect<Equal<typeof name, string>>;
      return name.length;
    },
  })
  .step('byPath', {
    needs: ['list'],
    map: 'list.ids',
    run: (_ctx, item) => {
      type _item = Expect<Equal<typeof item, unknown>>;
      return item;
    },
  })
  .step('sum', {
    needs: ['each', 'lengths'],
    run: (ctx) => {
      type _each = Expect<Equal<typeof ctx.results.each, string[]>>;
      type _lengths = Expect<Equal<typeof ctx.results.lengths, number[]>>;
      return ctx.results.lengths.reduce((a, b) => a + b, 0);
    },
  })
  .build();
void fanOut;
const badMap = flow('bad-map').step('list', { run: () => [1] });
// @ts-expect-error -- "list" is not in needs, so it cannot be mapped
badMap.step('each', { map: 'list', run: (_ctx, n) => n });
