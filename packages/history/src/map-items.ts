import type { MapItemResult, MapItemStatus } from '@cascadence/core';
import type { RecordedError, RecordedValue } from './records';
import { recordError, recordValue } from './values';

/**
 * At most this many items of one `map` step are kept one by one; `counts` covers all of them.
 * A 10,000-item map would otherwise make the run's steps document (rewritten as the run goes, read
 * whole by `task show` and the dashboard) megabytes long.
 */
export const MAX_RECORDED_ITEMS = 100;

/** Cap on each item's output and error text (or `maxValueBytes` when that is smaller). */
export const MAX_ITEM_VALUE_BYTES = 1024;

/** One item of a `map` step as history keeps it. */
export interface RecordedItem {
  /** The item's index in the list the step mapped over. */
  index: number;
  status: MapItemStatus;
  attempts: number;
  error?: RecordedError | undefined;
  output: RecordedValue;
  /** The item called `ctx.skip(reason)`: its words. */
  skipMessage?: string | undefined;
}

/**
 * A `map` step's items (`StepRecord.items`): counts over every item, and up to
 * `MAX_RECORDED_ITEMS` of them in full, items that did not succeed first (they are what a reader
 * looks for), then the others from the start of the list; `list` is in item order.
 */
export interface RecordedItems {
  /** How many items the step mapped over. */
  total: number;
  /** Items by status, over all of them. */
  counts: Partial<Record<MapItemStatus, number>>;
  list: RecordedItem[];
}

/** The items of a map step's result as history keeps them. */
export function recordItems(items: readonly MapItemResult[], maxValueBytes: number, values: boolean): RecordedItems {
  const counts: Partial<Record<MapItemStatus, number>> = {};
  const chosen: number[] = [];
  for (let i = 0; i < items.length; i++) {
    const status = (items[i] as MapItemResult).status;
    counts[status] = (counts[status] ?? 0) + 1;
    if (status !== 'succeeded' && chosen.length < MAX_RECORDED_ITEMS) chosen.push(i);
  }
  for (let i = 0; i < items.length && chosen.length < MAX_RECORDED_ITEMS; i++) {
    if ((items[i] as MapItemResult).status === 'succeeded') chosen.push(i);
  }
  chosen.sort((a, b) => a - b);
  const cap = Math.min(maxValueBytes, MAX_ITEM_VALUE_BYTES);
  const list = chosen.map((index): RecordedItem => {
    const item = items[index] as MapItemResult;
    const recorded: RecordedItem = {
      index,
      status: item.status,
      attempts: item.attempts,
      output: item.status === 'succeeded' ? recordValue(item.output, cap, values) : { state: 'none' },
    };
    const error = recordError(item.error, cap);
    if (error !== undefined) recorded.error = error;
    if (item.skipMessage !== undefined) recorded.skipMessage = item.skipMessage;
    return recorded;
  });
  return { total: items.length, counts, list };
}
