/**
 * A `map` step's list, read from its needs' outputs by key path, and the wording of map errors:
 * shared by the local engine and the Temporal workflow (pure, sandbox-safe).
 */

/** The array at `path` (`['list', 'items']`) in `results`, or why there is none. */
export function itemsAtPath(
  results: Readonly<Record<string, unknown>>,
  path: readonly string[],
): { items: unknown[]; problem?: undefined } | { items?: undefined; problem: string } {
  let value: unknown = results[path[0] as string];
  for (let k = 1; k < path.length; k++) {
    if (value === null || typeof value !== 'object')
      return { problem: `${describeValue(value)} at "${path.slice(0, k).join('.')}" has no key "${path[k] as string}"` };
    value = (value as Record<string, unknown>)[path[k] as string];
  }
  return checkItems(value);
}

/** `value` as a map step's list, or why it cannot be one. */
export function checkItems(value: unknown): { items: unknown[]; problem?: undefined } | { items?: undefined; problem: string } {
  return Array.isArray(value) ? { items: value } : { problem: `expected an array, got ${describeValue(value)}` };
}

/** CASCADENCE_INVALID_MAP_INPUT's message: `source` is `"list.items"` or `the map function`. */
export function invalidMapInputMessage(where: string, source: string, problem: string): string {
  return `${where}: cannot map over ${source}: ${problem}`;
}

/** CASCADENCE_MAP_ITEMS_FAILED's message. */
export function mapItemsFailedMessage(
  where: string,
  failFast: boolean,
  failed: number,
  total: number,
  first: number,
  firstMessage: string,
): string {
  return failFast
    ? `${where}: item ${first} failed (onItemFailure: fail-fast; the other items were cancelled): ${firstMessage}`
    : `${where}: ${failed} of ${total} items failed; first, item ${first}: ${firstMessage}`;
}

/** Where an item is: `step "each" of flow "f", item 3`. */
export function itemWhere(stepWhere: string, item: number): string {
  return `${stepWhere}, item ${item}`;
}

/** Why the other items of a fail-fast map were cancelled: the reason in their CancelledError. */
export function mapFailFastReason(failedItem: number): string {
  return `fail-fast after item ${failedItem} failed`;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}
