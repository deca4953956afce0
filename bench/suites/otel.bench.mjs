// @cascadence/otel overhead: what tracing adds per step, with a real SDK pipeline that exports
// nothing (NodeTracerProvider's pieces: BatchSpanProcessor + a no-op exporter, the AsyncLocalStorage
// context manager). Two workloads, runs alternating between a plain engine (context manager off)
// and a traced one (context manager on, instrumentTracing attached):
// - the core DAG benchmark (seeded random DAG of no-op synchronous steps, unbounded concurrency):
//   the µs each step's span costs, and where they go — core's tracer hook alone (a tracer that
//   makes no spans), plus switching the active context per step (AsyncLocalStorage), and the
//   OpenTelemetry SDK alone making the same spans without Cascadence (the reference: what any
//   instrumentation making one span per step pays);
// - the same shape with 1 ms steps (timers one at a time, timers 16 at once, CPU work): the ratio
//   a workload whose steps do something sees (target <= 1.05x).
import { defineFlow, defineTask, Engine, silentLogger } from '@cascadence/core';
import { instrumentTracing } from '@cascadence/otel';
import { context, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { median, randomDag } from './lib.mjs';

function flowOf(size, run) {
  const task = defineTask({ name: 'step', run });
  const needs = randomDag(size);
  const steps = {};
  for (let i = 0; i < size; i++) steps[`s${i}`] = { task, needs: needs[i].map((j) => `s${j}`) };
  return defineFlow({ name: 'random-dag', steps });
}

/** Counts what it is given and sends it nowhere. */
export class CountingNoopExporter {
  spans = 0;
  export(spans, done) {
    this.spans += spans.length;
    done({ code: 0 });
  }
  shutdown() {
    return Promise.resolve();
  }
  forceFlush() {
    return Promise.resolve();
  }
}

/** A RunTracer that makes no spans: what core's hook costs (scopes, events, the per-attempt call). */
class HookOnlyTracer {
  startRun() {
    return 1;
  }
  endRun() {}
  startStep() {
    return 1;
  }
  endStep() {}
  stepEvent() {}
  within(_scope, fn) {
    return fn();
  }
}

/** Also runs each attempt inside a context (AsyncLocalStorage.run), as the real tracer does. */
class ContextOnlyTracer extends HookOnlyTracer {
  within(_scope, fn) {
    return context.with(ROOT_CONTEXT, fn);
  }
}

/**
 * The SDK alone, no Cascadence: `size` spans under one parent with the attributes a step span
 * gets, each put in a context (not entered: that is the context-only variant's part) and ended —
 * the least one span per step can cost.
 */
function sdkSpans(tracer, size) {
  const parent = tracer.startSpan('run');
  const parentContext = trace.setSpan(ROOT_CONTEXT, parent);
  const t0 = performance.now();
  for (let i = 0; i < size; i++) {
    const at = Date.now();
    const step = `s${i}`;
    const span = tracer.startSpan(
      `cascadence.step ${step}`,
      {
        kind: SpanKind.INTERNAL,
        startTime: at,
        attributes: {
          'cascadence.run.id': 'r',
          'cascadence.step': step,
          'cascadence.task': 'step',
          'cascadence.attempt': 1,
          'cascadence.backend': 'local',
          'cascadence.flow': 'random-dag',
        },
      },
      parentContext,
    );
    if (trace.setSpan(parentContext, span) === parentContext) throw new Error('unreachable');
    span.setAttribute('cascadence.status', 'succeeded');
    span.end(at);
  }
  const ms = performance.now() - t0;
  parent.end();
  return ms;
}

/**
 * The 10k DAG under each variant, alternating (rotating order), plus the SDK-alone loop; the
 * context manager is on only for the variants that switch contexts.
 */
async function dagBreakdown({ flow, size, warmup, reps, variants, sdkTracer, manager }) {
  const runs = {
    ...Object.fromEntries(
      variants.map((v) => [
        v.name,
        async () => {
          if (v.context) manager.enable();
          const t0 = performance.now();
          const result = await v.engine.run(flow, undefined, { concurrency: Infinity });
          const ms = performance.now() - t0;
          if (v.context) manager.disable();
          if (result.status !== 'succeeded') throw new Error(`bench run ${result.status}: ${result.error?.message}`);
          return ms;
        },
      ]),
    ),
    sdk: async () => sdkSpans(sdkTracer, size),
  };
  const names = Object.keys(runs);
  const times = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < warmup + reps; i++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(i + k) % names.length];
      const ms = await runs[name]();
      if (i >= warmup) times[name].push(ms);
    }
  }
  const us = Object.fromEntries(names.map((n) => [n, (median(times[n]) * 1000) / size]));
  const ratio = median(times.traced.map((t, i) => t / times.plain[i]));
  return { us, ratio, runs: warmup + reps };
}

async function compare({ flow, size, concurrency, warmup, reps, plain, traced, manager }) {
  const times = { plain: [], traced: [] };
  const once = async (name) => {
    const engine = name === 'traced' ? traced : plain;
    // The context manager is part of tracing: on only for the traced runs.
    if (name === 'traced') manager.enable();
    const t0 = performance.now();
    const result = await engine.run(flow, undefined, { concurrency });
    const ms = performance.now() - t0;
    if (name === 'traced') manager.disable();
    if (result.status !== 'succeeded') throw new Error(`bench run ${result.status}: ${result.error?.message}`);
    return ms;
  };
  const order = ['plain', 'traced'];
  for (let i = 0; i < warmup; i++) for (const name of order) await once(name);
  for (let i = 0; i < reps; i++) {
    for (let k = 0; k < order.length; k++) {
      const name = order[(i + k) % order.length];
      times[name].push(await once(name));
    }
  }
  const perStepUs = (name) => (median(times[name]) * 1000) / size;
  // Median of per-repetition ratios: drift on a shared machine disturbs it less.
  const ratio = median(times.traced.map((t, i) => t / times.plain[i]));
  return { plainUs: perStepUs('plain'), tracedUs: perStepUs('traced'), ratio, runs: warmup + reps };
}

/**
 * The SDK pipeline the otel suites trace into: the AsyncLocalStorage context manager (set globally,
 * enabled by the caller for traced runs), a BatchSpanProcessor and a counting no-op exporter.
 */
export function noopPipeline() {
  const manager = new AsyncLocalStorageContextManager();
  context.setGlobalContextManager(manager);
  const exporter = new CountingNoopExporter();
  // A queue large enough that no span is dropped (the default, 2048, drops most of a 10k-step run):
  // dropping would make tracing look cheaper than exporting every span.
  const provider = new BasicTracerProvider({
    spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: 200_000, maxExportBatchSize: 2048 })],
  });
  return { manager, exporter, provider };
}

export async function run({ quick }) {
  const { manager, exporter, provider } = noopPipeline();
  const plain = new Engine({ logger: silentLogger });
  const traced = new Engine({ logger: silentLogger });
  const detach = instrumentTracing(traced, { tracerProvider: provider });
  const rows = [];
  try {
    const size = quick ? 2_000 : 10_000;
    const hookOnly = new Engine({ logger: silentLogger });
    hookOnly.events.trace(new HookOnlyTracer());
    const contextOnly = new Engine({ logger: silentLogger });
    contextOnly.events.trace(new ContextOnlyTracer());
    // The SDK-alone loop's spans go through a processor of their own: the traced runs' count stays exact.
    const sdkProvider = new BasicTracerProvider({
      spanProcessors: [new BatchSpanProcessor(new CountingNoopExporter(), { maxQueueSize: 200_000, maxExportBatchSize: 2048 })],
    });
    const dag = await dagBreakdown({
      flow: flowOf(size, () => 1),
      size,
      warmup: quick ? 3 : 10,
      reps: quick ? 9 : 31,
      variants: [
        { name: 'plain', engine: plain, context: false },
        { name: 'hook', engine: hookOnly, context: false },
        { name: 'context', engine: contextOnly, context: true },
        { name: 'traced', engine: traced, context: true },
      ],
      sdkTracer: sdkProvider.getTracer('bench'),
      manager,
    });
    await sdkProvider.shutdown();
    await provider.forceFlush();
    // Tracing really happened: one span per step and one per run, for every traced run.
    const expected = dag.runs * (size + 1);
    if (exporter.spans !== expected) throw new Error(`otel bench: expected ${expected} spans exported, got ${exporter.spans}`);
    const label = `dag ${size / 1000}k no-op steps`;
    const { us } = dag;
    rows.push({ case: `${label}, no tracing`, value: us.plain, unit: 'µs/step' });
    rows.push({
      case: `${label}, tracing (batch, no-op exporter)`,
      value: us.traced,
      unit: 'µs/step',
      ratio: dag.ratio,
      baseline: 'no tracing',
    });
    rows.push({ case: `${label}, added by tracing`, value: us.traced - us.plain, unit: 'µs/step' });
    // Where the added µs go: core's hook, the context switch, the SDK's span (reference), the rest.
    rows.push({ case: `  of which core's tracer hook (a tracer making no spans)`, value: us.hook - us.plain, unit: 'µs/step' });
    rows.push({ case: `  of which running each attempt in a context (AsyncLocalStorage)`, value: us.context - us.hook, unit: 'µs/step' });
    rows.push({ case: `  of which spans (traced - context-only)`, value: us.traced - us.context, unit: 'µs/step' });
    rows.push({ case: `  reference: the SDK alone making the same spans (no Cascadence)`, value: us.sdk, unit: 'µs/step' });
    rows.push({ case: `  @cascadence/otel beyond the SDK (spans - reference)`, value: us.traced - us.context - us.sdk, unit: 'µs/step' });

    // 1 ms steps, three ways: waiting on a timer one at a time, waiting 16 at once (the spans of a
    // whole wave land between two timer ticks), and 1 ms of CPU work.
    const slowCases = [
      {
        label: '1 ms timer steps, concurrency 1',
        size: quick ? 100 : 300,
        concurrency: 1,
        run: () => new Promise((resolve) => setTimeout(resolve, 1)),
      },
      {
        label: '1 ms timer steps, concurrency 16',
        size: quick ? 300 : 1_000,
        concurrency: 16,
        run: () => new Promise((resolve) => setTimeout(resolve, 1)),
      },
      {
        label: '1 ms CPU steps',
        size: quick ? 100 : 300,
        concurrency: 16,
        run: () => {
          const end = performance.now() + 1;
          while (performance.now() < end);
        },
      },
    ];
    for (const c of slowCases) {
      const slow = await compare({
        flow: flowOf(c.size, c.run),
        size: c.size,
        concurrency: c.concurrency,
        warmup: quick ? 1 : 2,
        reps: quick ? 5 : 11,
        plain,
        traced,
        manager,
      });
      rows.push({
        case: `dag ${c.size} ${c.label}, tracing on`,
        value: slow.tracedUs,
        unit: 'µs/step',
        ratio: slow.ratio,
        baseline: 'no tracing',
        target: '<= 1.05x',
        met: slow.ratio <= 1.05,
      });
    }
  } finally {
    detach();
    await provider.shutdown();
    trace.disable();
    context.disable();
  }
  return rows;
}
