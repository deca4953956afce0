/**
 * A `map` step inside the workflow: one activity (or inline nested flow) per item, at most
 * `concurrency` at a time, each in its own cancellation scope, with the item-failure policy. The
 * list and the wording of errors come from `@cascadence/core/dag`, as on the local engine.
 * Sandbox-safe: bundled with workflow.ts (imports only `@temporalio/workflow` and core's dag).
 */
import { CancellationScope } from '@temporalio/workflow';
import { ErrorCode, invalidMapInputMessage, itemWhere, itemsAtPath, mapFailFastReason, mapItemsFailedMessage } from '@cascadence/core/dag';
import { TemporalErrorCode } from './error-codes';
import { MAX_INLINE_MAP_ITEMS, type StepReport, type WireError, type WireMap } from './wire';
import { StepCancelled, StepFailed, cancelledError, cascadenceError } from './workflow-failures';

export { MAX_INLINE_MAP_ITEMS } from './wire';

/** Runs a list longer than one batch in child workflows (map-batches.ts); fills `results` like runMapItems. */
export type RunBatches = (items: unknown[], results: WireItemResult[]) => Promise<unknown[]>;

/** One item's result, as RunResult.steps[id].items shows it. */
export interface WireItemResult {
  /** `pending` with attempts > 0 while the item runs (only in the workflow: a finished step has none). */
  status: 'pending' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';
  attempts: number;
  output?: unknown;
  error?: WireError;
  skipMessage?: string;
}

/** Runs one item (the item's scope is current); throws StepFailed or StepCancelled. */
export type RunItem = (k: number, item: unknown, count: number) => Promise<StepReport>;

/**
 * Runs the map step's items and returns the outputs in item order; fills the array `itemResults`
 * gives (asked for once the list is known: a step whose list is invalid has no items) with each
 * item's result. Throws StepFailed (CASCADENCE_INVALID_MAP_INPUT, _MAP_ITEMS_FAILED) or
 * StepCancelled when the step itself was cancelled (cancelMapItems then ends the items).
 */
export async function runMapItems(
  parent: CancellationScope,
  map: WireMap,
  neededResults: Record<string, unknown>,
  where: string,
  runItem: RunItem,
  itemResults: () => WireItemResult[],
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
  const results = itemResults();
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
      result.attempts = 1;
      try {
        // A batch (child workflow) runs items offset.. of a list of `total`: indices stay the list's.
        const report = await scope.run(() => runItem(offset + k, items[k], total));
        // Ended by fail-fast or by the step's cancellation while awaited: a late answer is ignored (as locally).
        if (result.status !== 'pending') {
          if (!stopped) cancelled = true;
          continue;
        }
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
        if (result.status !== 'pending') {
          // Already ended (cancelled by fail-fast or with its step); a step cancelled from outside stops the lanes.
          if (!stopped && !(err instanceof StepFailed)) cancelled = true;
        } else if (err instanceof StepFailed) {
          result.status = 'failed';
          result.attempts = err.attempts;
          result.error = err.error;
          failed++;
          if (first < 0 || (!map.failFast && k < first)) first = k;
          if (map.failFast && !stopped) {
            stopped = true;
            // The other running items end cancelled now, with the reason (their scopes are cancelled); the rest never start.
            const reason = { name: 'Error', message: mapFailFastReason(offset + k) };
            scopes.forEach((other, j) => {
              if (other === undefined || j === k) return;
              const running = results[j] as WireItemResult;
              running.status = 'cancelled';
              running.error = cancelledError(itemWhere(where, offset + j), reason);
              other.cancel();
            });
          }
        } else {
          // The step itself was cancelled (the run, or fail-fast of the flow): cancelMapItems ends the items.
          cancelled = true;
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

/**
 * The step of these items was cancelled (with `stepError`): as on the local engine, items that
 * were running end cancelled with an error that gives the step's as its reason, items not started
 * end cancelled without one. `where` is the step's; a batch's items keep the list's indices.
 */
export function cancelMapItems(results: WireItemResult[], map: WireMap, where: string, stepError: WireError): void {
  const offset = map.offset ?? 0;
  results.forEach((result, k) => {
    if (result.status !== 'pending') return;
    result.status = 'cancelled';
    if (result.attempts > 0) result.error = cancelledError(itemWhere(where, offset + k), stepError);
  });
}
