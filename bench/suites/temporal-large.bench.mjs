// Large flows on Temporal (issue 22): a 10,000-step wide flow (one source, every other step needs
// it) and a 10,000-step chain, run through TemporalBackend on a real dev server, beside a
// hand-written workflow doing the same work the same way: the wide flow's steps as regular
// activities, 64 at once (10,000 local activities side by side ended in one workflow task whose
// completion passed gRPC's 4 MB), the chain's as short steps (timeoutMs 5 s: local activities, one
// after the other — a chain of regular activities would need ~60,000 history events, over the
// server's 51,200). Reported: wall time and its ratio, history events per step (both sides),
// and RunSpec bytes per step before (the plain version-1 spec) and after (the compact one).
// A run longer than partitionHistoryEvents (20,000) continues as new (partitioned runs): its
// events are counted over every workflow run of the chain.
// BENCH_QUICK: 2,000 steps, one run each. No server binary: the spec rows only.
import { defineFlow, defineTask, silentLogger } from '@cascadence/core';
import { TemporalBackend, buildRunSpec, createWorker, resolveRunSettings, workflowArgument } from '@cascadence/temporal';
import { alternating, withDevServer } from './lib/temporal.mjs';

const CONCURRENCY = 64;

const source = defineTask({ name: 'source', run: () => 1 });
const add = defineTask({ name: 'add', run: (ctx) => Object.values(ctx.results)[0] + 1 });
const shortSource = defineTask({ name: 'short-source', timeoutMs: 5000, run: () => 1 });
const shortAdd = defineTask({ name: 'short-add', timeoutMs: 5000, run: (ctx) => Object.values(ctx.results)[0] + 1 });

function wide(n) {
  const steps = { source: { task: source } };
  for (let i = 0; i < n; i++) steps[`s${i}`] = { needs: ['source'], task: add };
  return defineFlow({ name: `bench-wide-${n}`, steps });
}
function chain(n) {
  const steps = { s0: { task: shortSource } };
  for (let i = 1; i < n; i++) steps[`s${i}`] = { needs: [`s${i - 1}`], task: shortAdd };
  return defineFlow({ name: `bench-chain-${n}`, steps });
}

const HAND_WRITTEN = `
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
const regular = proxyActivities({ startToCloseTimeout: '1 minute' });
const { source, add } = proxyLocalActivities({ startToCloseTimeout: '5 seconds' });
export async function handWide(n, concurrency) {
  const first = await regular.source();
  const outputs = new Array(n);
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) { const i = next++; outputs[i] = await regular.add(first); }
  }));
  return outputs.length;
}
export async function handChain(n) {
  let value = await source();
  for (let i = 1; i < n; i++) value = await add(value);
  return value;
}
`;

export async function run({ quick }) {
  const n = quick ? 2000 : 10_000;
  const flows = { wide: wide(n), chain: chain(n) };
  const rows = [];
  // Ids without an arithmetic pattern (each id is then stored once, as it is).
  const named = { source: { task: source } };
  for (let i = 0; i < n; i++) named[`user-${((i * 2654435761) >>> 0).toString(36)}`] = { needs: ['source'], task: add };
  const specFlows = { ...flows, 'wide (ids without a pattern, ~12 chars)': defineFlow({ name: `bench-named-${n}`, steps: named }) };
  for (const [shape, flow] of Object.entries(specFlows)) {
    const plain = buildRunSpec(flow, undefined, 'run-1', resolveRunSettings({}), undefined);
    const before = Buffer.byteLength(JSON.stringify(plain));
    const after = Buffer.byteLength(JSON.stringify(workflowArgument(plain)));
    rows.push({ case: `${n}-step ${shape} flow: RunSpec bytes per step, plain (version 1) spec`, value: before / n, unit: 'B/step' });
    rows.push({
      case: `${n}-step ${shape} flow: RunSpec bytes per step, compact (version 2) spec`,
      value: after / n,
      unit: 'B/step',
      ratio: after / before,
      baseline: 'plain spec',
      target: '<= 30 B/step',
      met: after / n <= 30,
    });
  }
  const serverRows = await withDevServer('large', async ({ server, cleanups, client: connect, handWorker }) => {
    const worker = await createWorker({
      address: server.address,
      taskQueue: 'bench-large',
      tasks: Object.values(flows),
      logger: silentLogger,
    });
    worker.start();
    cleanups.push(() => worker.shutdown());
    const backend = new TemporalBackend({ address: server.address, taskQueue: 'bench-large', concurrency: CONCURRENCY });
    cleanups.push(() => backend.close());
    await handWorker('bench-large-hand', HAND_WRITTEN, { source: async () => 1, add: async (value) => value + 1 });
    const client = await connect();
    /** History events of every workflow run of a (possibly partitioned) run. */
    const events = async (workflowId, firstRunId) => {
      let total = 0;
      for (let runId = firstRunId; runId;) {
        const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
        total += history.events.length;
        runId = history.events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
      }
      return total;
    };

    let id = 0;
    const contenders = {
      wide: {
        hand: async () => {
          const handle = await client.workflow.start('handWide', {
            taskQueue: 'bench-large-hand',
            workflowId: `hand-wide-${id++}`,
            args: [n, CONCURRENCY],
          });
          if ((await handle.result()) !== n) throw new Error('hand-written wide flow: wrong result');
          return events(handle.workflowId, handle.firstExecutionRunId);
        },
        ours: async () => {
          const handle = await backend.start(flows.wide);
          const result = await handle.result();
          if (result.status !== 'succeeded' || result.steps[`s${n - 1}`].output !== 2)
            throw new Error(`wide flow ${result.status}: ${result.error?.message}`);
          return events(handle.workflowId, handle.temporalRunId);
        },
      },
      chain: {
        hand: async () => {
          const handle = await client.workflow.start('handChain', {
            taskQueue: 'bench-large-hand',
            workflowId: `hand-chain-${id++}`,
            args: [n],
          });
          if ((await handle.result()) !== n) throw new Error('hand-written chain: wrong result');
          return events(handle.workflowId, handle.firstExecutionRunId);
        },
        ours: async () => {
          const handle = await backend.start(flows.chain);
          const result = await handle.result();
          if (result.status !== 'succeeded' || result.output[`s${n - 1}`] !== n)
            throw new Error(`chain ${result.status}: ${result.error?.message}`);
          return events(handle.workflowId, handle.temporalRunId);
        },
      },
    };
    const out = [];
    for (const [shape, pair] of Object.entries(contenders)) {
      const { fastest, last } = await alternating(pair, { warmup: 0, reps: quick ? 1 : 2 });
      out.push({
        case: `${n}-step ${shape} flow, hand-written workflow (${shape === 'wide' ? `regular activities, ${CONCURRENCY} at once` : 'local activities'})`,
        value: fastest.hand,
        unit: 'ms/run',
      });
      out.push({
        case: `${n}-step ${shape} flow, TemporalBackend`,
        value: fastest.ours,
        unit: 'ms/run',
        ratio: fastest.ours / fastest.hand,
        baseline: 'hand-written',
      });
      out.push({
        case: `${n}-step ${shape} flow, history events per step: TemporalBackend (hand-written ${(last.hand / n).toFixed(2)})`,
        value: last.ours / n,
        unit: 'events/step',
        ratio: last.ours / last.hand,
        baseline: 'hand-written',
      });
    }
    return out;
  });
  if (serverRows === undefined) {
    rows.push({
      case: 'server rows skipped: no temporal binary (see packages/temporal/README.md, "Getting a server")',
      value: 0,
      unit: '',
    });
  } else rows.push(...serverRows);
  return rows;
}
