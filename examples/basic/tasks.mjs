import { readFile } from 'node:fs/promises';
import { defineTask } from '@cascadence/core';

/** Reads the orders file; retried because in real life this would be a flaky network call. */
export const loadOrders = defineTask({
  name: 'load-orders',
  description: 'Reads data/orders.json (input: { "file": "..." } to read another one)',
  retry: { attempts: 3, backoff: 'exponential', delayMs: 200 },
  timeoutMs: 5_000,
  async run(ctx, input) {
    const file = new URL(input?.file ?? './data/orders.json', import.meta.url);
    const orders = JSON.parse(await readFile(file, { encoding: 'utf8', signal: ctx.signal }));
    ctx.log.info(`loaded ${orders.length} orders`);
    return orders;
  },
});

/** Totals per customer from the orders its `needs` produced (any step whose output is a list). */
export const summarize = defineTask({
  name: 'summarize',
  description: 'Totals per customer of the orders produced by the steps it needs',
  run(ctx) {
    const orders = Object.values(ctx.results).filter(Array.isArray).flat();
    const totals = {};
    for (const order of orders) totals[order.customer] = (totals[order.customer] ?? 0) + order.amount;
    return { orders: orders.length, totals };
  },
});
