// @cascadence/otel on map steps (issues 19/20): what item spans cost. A 10,000-item map of no-op
// async items and a 1,000-item map of 1 ms timer items, 16 at a time, run alternately without
// tracing, traced with item spans off (maxItemSpans 0: step spans only), traced with the default
// (the first 1,000 items of a step attempt get spans) and traced with a span for every item. Same
// SDK pipeline as the otel suite: BatchSpanProcessor, a no-op exporter, AsyncLocalStorage context.
import { defineFlow, Engine, silentLogger } from '@cascadence/core';
import { instrumentTracing } from '@cascadence/otel';
import { context, trace } from '@opentelemetry/api';
import { interleaved } from './lib.mjs';
import { noopPipeline } from './otel.bench.mjs';

const CONCURRENCY = 16;

function mapFlow(size, run) {
  const items = Array.from({ length: size }, (_, k) => k);
  return defineFlow({
    name: 'fan-out',
    steps: {
      list: { run: () => items },
      each: { needs: ['list'], map: 'list', concurrency: CONCURRENCY, run },
    },
  });
}

export async function run({ quick }) {
  const { manager, provider } = noopPipeline();
  const engines = { 'no tracing': new Engine({ logger: silentLogger }) };
  const detaches = [];
  for (const [name, maxItemSpans] of [
    ['traced, item spans off', 0],
    ['traced, default (1,000 item spans)', undefined],
    ['traced, a span per item', 1_000_000],
  ]) {
    engines[name] = new Engine({ logger: silentLogger });
    detaches.push(instrumentTracing(engines[name], { tracerProvider: provider, maxItemSpans }));
  }
  const rows = [];
  try {
    const cases = [
      { label: 'no-op async items', size: quick ? 2_000 : 10_000, run: async (_ctx, item) => item, reps: quick ? 5 : 15 },
      {
        label: '1 ms timer items',
        size: quick ? 300 : 1_000,
        run: () => new Promise((resolve) => setTimeout(resolve, 1)),
        reps: quick ? 3 : 9,
      },
    ];
    for (const c of cases) {
      const flow = mapFlow(c.size, c.run);
      const contenders = {};
      const timed = {};
      for (const [name, engine] of Object.entries(engines)) {
        timed[name] = true;
        contenders[name] = async () => {
          // The context manager is part of tracing: on only for the traced runs.
          if (name !== 'no tracing') manager.enable();
          const t0 = performance.now();
          const result = await engine.run(flow);
          const ms = performance.now() - t0;
          manager.disable();
          if (result.status !== 'succeeded') throw new Error(`otel-map bench: run ${result.status}`);
          return ms;
        };
      }
      const times = await interleaved(contenders, { warmup: 2, reps: c.reps, timed });
      const base = times['no tracing'];
      for (const [name, ms] of Object.entries(times)) {
        rows.push({
          case: `${c.size.toLocaleString('en-US')}-item map, ${c.label}, concurrency ${CONCURRENCY}: ${name}`,
          value: (ms * 1000) / c.size,
          unit: 'µs/item',
          ratio: ms / base,
          baseline: 'no tracing',
        });
      }
    }
  } finally {
    for (const detach of detaches) detach();
    await provider.shutdown();
    trace.disable();
    context.disable();
  }
  return rows;
}
