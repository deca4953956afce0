/**
 * A map step over a list longer than one batch (`mapBatchItems`, default 2,000): its items run in
 * batches, each batch a child workflow — the same `cascadenceFlow`, given a graph of the map step
 * alone whose needs are reused outputs (the mapped list cut down to the batch's items, at the same
 * key path) and the batch's place in the list (`map.offset`, `map.total`). So each batch's items
 * are activities in the child's own history (the parent records a few events per batch), item
 * indices, activity ids (`…#<item>`), retries, timeouts and errors are those of an inline map, and a
 * worker killed mid-batch leaves completed items completed (they are in the child's history).
 *
 * Batches run one after the other (each with the step's item concurrency); after a batch with a
 * failed item, fail-fast stops the batches not started (their items end cancelled). Cancelling the
 * step cancels the running child (its items are cancelled). Sandbox-safe: bundled with workflow.ts.
 */
import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  executeChild,
  isCancellation,
  workflowInfo,
} from '@temporalio/workflow';
import { ErrorCode, mapItemsFailedMessage } from '@cascadence/core/dag';
import type { WireItemResult } from './map-items';
import { plainSummary, type CompactSummary } from './summary-codec';
import {
  PLAIN_SPEC_VERSION,
  RUN_FAILED_TYPE,
  WORKFLOW_TYPE,
  type RunSpec,
  type RunSummary,
  type WireGraph,
  type WireMap,
  type WireStep,
} from './wire';
import { StepCancelled, StepFailed, cascadenceError } from './workflow-failures';
import type { RunContext } from './graph-run';

/** What batching needs of the graph run the map step belongs to. */
export interface BatchHost {
  readonly spec: RunSpec;
  readonly graph: WireGraph;
  readonly path: string[];
  readonly context: RunContext;
}

/** `value` with the list at `path` (below its first key) replaced by `items`. */
function withList(value: unknown, path: readonly string[], items: unknown[]): unknown {
  if (path.length === 0) return items;
  const [key, ...rest] = path;
  return { ...(value as Record<string, unknown>), [key!]: withList((value as Record<string, unknown>)[key!], rest, items) };
}

/** The child workflow's spec for items [from, to) of the map step `i`. */
function batchSpec(
  host: BatchHost,
  i: number,
  map: WireMap,
  needed: Record<string, unknown>,
  items: unknown[],
  from: number,
  to: number,
): RunSpec {
  const step = host.graph.steps[i]!;
  const [source, ...keys] = map.path;
  // Needs that produced a result become steps whose output is reused; the list keeps only the batch.
  const ids = Object.keys(needed);
  const reuse: Record<string, unknown> = {};
  const steps: WireStep[] = ids.map((id) => {
    reuse[id] = id === source ? withList(needed[id], keys, items.slice(from, to)) : needed[id];
    return { id, label: id, kind: 'inline', needs: [], when: 'all-succeeded', useFlowInput: false, retry: step.retry };
  });
  steps.push({ ...step, needs: ids.map((_, k) => k), map: { ...map, offset: from, total: items.length } });
  const graph: WireGraph = { name: host.graph.name, kind: host.graph.kind, steps, hasOutput: false };
  return {
    version: PLAIN_SPEC_VERSION,
    runId: host.spec.runId,
    root: host.spec.root,
    graph,
    input: undefined,
    options: { ...host.spec.options, partitionHistoryEvents: 0 },
    reuse,
    pathPrefix: host.path,
  };
}

/**
 * Runs `items` of map step `i` in child workflows of at most `size` items; fills `results` and
 * returns the outputs in item order, or throws StepFailed / StepCancelled like runMapItems.
 */
export async function runMapBatches(
  host: BatchHost,
  i: number,
  map: WireMap,
  stepScope: CancellationScope,
  needed: Record<string, unknown>,
  where: string,
  items: unknown[],
  results: WireItemResult[],
  size: number,
): Promise<unknown[]> {
  const step = host.graph.steps[i]!;
  const n = items.length;
  for (let k = 0; k < n; k++) results.push({ status: 'pending', attempts: 0 });
  const outputs: unknown[] = new Array(n);
  let failed = 0;
  let first = -1;
  for (let from = 0; from < n; from += size) {
    if (failed > 0 && map.failFast) break;
    const to = Math.min(n, from + size);
    const spec = batchSpec(host, i, map, needed, items, from, to);
    const workflowId = `${workflowInfo().workflowId}/${++host.context.activitySeq}:${[...host.path, step.id].join('/')}#${from}-${to - 1}`;
    let summary: RunSummary;
    try {
      summary = plainSummary(
        await stepScope.run(() =>
          executeChild<(spec: RunSpec) => Promise<RunSummary | CompactSummary>>(WORKFLOW_TYPE, { args: [spec], workflowId }),
        ),
      );
    } catch (err) {
      const cause = err instanceof ChildWorkflowFailure ? err.cause : undefined;
      if (cause instanceof ApplicationFailure && cause.type === RUN_FAILED_TYPE && cause.details?.[0] !== undefined) {
        summary = plainSummary(cause.details[0] as RunSummary | CompactSummary);
      } else if (isCancellation(err) || (err instanceof ChildWorkflowFailure && isCancellation(err.cause))) {
        for (const result of results) if (result.status === 'pending') result.status = 'cancelled';
        throw new StepCancelled();
      } else {
        const message = `${where}: the child workflow of items ${from}-${to - 1} failed: ${err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err)}`;
        throw new StepFailed(cascadenceError('CascadenceError', ErrorCode.MAP_ITEMS_FAILED, message, { items: n }), 1);
      }
    }
    const batch = summary.steps[step.id];
    if (summary.status === 'cancelled' || batch === undefined || batch.items === undefined) {
      for (const result of results) if (result.status === 'pending') result.status = 'cancelled';
      throw new StepCancelled();
    }
    const cause = batch.error?.cause;
    batch.items.forEach((item, k) => {
      results[from + k] = item as WireItemResult;
      if (item.status === 'succeeded') outputs[from + k] = item.output;
      if (item.status === 'failed') {
        failed++;
        // Fail-fast: the item whose failure stopped the batch (its error is the step's cause); else the lowest index.
        if (first < 0 && (!map.failFast || cause === undefined || item.error?.message === cause.message)) first = from + k;
      }
    });
  }
  for (const result of results) if (result.status === 'pending') result.status = 'cancelled';
  if (failed === 0) return outputs;
  const cause = results[first]!.error!;
  const error = cascadenceError(
    'CascadenceError',
    ErrorCode.MAP_ITEMS_FAILED,
    mapItemsFailedMessage(where, map.failFast, failed, n, first, cause.message),
    {
      items: n,
      failed,
    },
  );
  error.cause = cause;
  throw new StepFailed(error, 1);
}
