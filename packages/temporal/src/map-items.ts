/**
 * A `map` step inside the workflow: one activity (or inline nested flow) per item, at most
 * `concurrency` at a time, each in its own cancellation scope, with the item-failure policy. The
 * list and the wording of errors come from `@cascadence/core/dag`, as on the local engine.
 * Sandbox-safe: bundled with workflow.ts (imports only `@temporalio/workflow` and core's dag).
 */
import { CancellationScope } from '@temporalio/workflow';
import { ErrorCode, invalidMapInputMessage, itemsAtPath, mapItemsFailedMessage } from '@cascadence/core/dag';
import { TemporalErrorCode } from './error-codes';
import { MAX_INLINE_MAP_ITEMS, type StepReport, type WireError, type WireMap } from './wire';
import { StepCancelled, StepFailed, cascadenceError } from './workflow-failures';

export { MAX_INLINE_MAP_ITEMS } from './wire';

/** Runs a list longer than one batch in child workflows (map-batches.ts); fills `results` like runMapItems. */
export type RunBatches = (items: unknown[], results: WireItemResult[]) => Promise<unknown[]>;

/** One item's result, as RunResult.steps[id].items shows it. */
export interface WireItemResult {
  status: 'pending' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';
  attempts: number;
  output?: unknown;
  error?: WireError;
  skipMessage?: string;
}

/** Runs one item (the item's scope is current); throws StepFailed or StepCancelled. */
export type RunItem = (k: number, item: unknown, count: number) => Promise<StepReport>;

/**
 * Runs the map step's items and returns the outputs in item order; fills `results` with each
 * item's result. Throws StepFailed (CASCADENCE_INVALID_MAP_INPUT, _MAP_ITEMS_FAILED) or
 * StepCancelled when the step itself was cancelled.
 */
export async function runMapItems(
  parent: CancellationScope,
  map: WireMap,
  neededResults: Record<string, unknown>,
  where: string,
  runItem: RunItem,
  results: WireItemResult[],
  defaultConcurrency: number,
  batchItems: number = MAX_INLINE_MAP_ITEMS,
  runBatches?: RunBatches,
): Promise<unknown[]> {
  const found = itemsAtPath(neededResults, map.path);
  if (found.items === undefined) {
    const source = `"${map.path.join('.')}"`;
    throw new StepFailed(
      cascadenceError('CascadenceError', ErrorCode.INVALID_MAP_INPUT, invalidMapInputMessage(where, source, found.problem), { source }),
      1,
    );
  }
  const items = found.items;
  const n = items.length;
  if (n > batchItems && runBatches !== undefined) return runBatches(items, results);
  if (n > MAX_INLINE_MAP_ITEMS) {
    const message = `${where}: ${n} items are more than the ${MAX_INLINE_MAP_ITEMS} a map step runs in one Temporal workflow (history limits), and this worker cannot batch them into child workflows`;
    throw new StepFailed(cascadenceError('CascadenceError', TemporalErrorCode.UNSUPPORTED, message, { items: n }), 1);
  }
  for (let k = 0; k < n; k++) results.push({ status: 'pending', attempts: 0 });
  const offset = map.offset ?? 0;
  const total = map.total ?? n;
  const outputs: unknown[] = new Array(n);
  const scopes: Array<CancellationScope | undefined> = new Array(n);
  let next = 0;
  let failed = 0;
  let first = -1;
  let stopped = false;
  let cancelled = false;

  const lane = async (): Promise<void> => {
    while (next < n && !stopped && !cancelled) {
      const k = next++;
      const scope = new CancellationScope({ cancellable: true, parent });
      scopes[k] = scope;
      const result = results[k] as WireItemResult;
      try {
        // A batch (child workflow) runs items offset.. of a list of `total`: indices stay the list's.
        const report = await scope.run(() => runItem(offset + k, items[k], total));
        result.attempts = report.attempt;
        if (report.skipped !== undefined) {
          result.status = 'skipped';
          result.skipMessage = report.skipped;
        } else {
          result.status = 'succeeded';
          result.output = report.output;
          outputs[k] = report.output;
        }
      } catch (err) {
        if (err instanceof StepFailed) {
          result.status = 'failed';
          result.attempts = err.attempts;
          result.error = err.error;
          failed++;
          if (first < 0 || (!map.failFast && k < first)) first = k;
          if (map.failFast && !stopped) {
            stopped = true;
            // The other running items are cancelled (their scopes), the rest never start.
            for (const other of scopes) other?.cancel();
          }
        } else if (stopped) {
          result.status = 'cancelled';
        } else {
          // The step itself was cancelled (the run, or fail-fast of the flow).
          cancelled = true;
          result.status = 'cancelled';
        }
      } finally {
        scopes[k] = undefined;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, Math.max(1, map.concurrency ?? defaultConcurrency)) }, lane));
  if (cancelled) throw new StepCancelled();
  for (const result of results) if (result.status === 'pending' && stopped) result.status = 'cancelled';
  if (failed === 0) return outputs;
  const cause = (results[first] as WireItemResult).error as WireError;
  const error = cascadenceError(
    'CascadenceError',
    ErrorCode.MAP_ITEMS_FAILED,
    mapItemsFailedMessage(where, map.failFast, failed, n, first, cause.message),
    { items: n, failed },
  );
  error.cause = cause;
  throw new StepFailed(error, 1);
}
