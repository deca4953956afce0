/**
 * `@cascadence/history`: every run remembered. `openHistory` opens the store (SQLite by default,
 * PostgreSQL for many hosts); `history.record(backend)` records what a backend runs; queries and
 * `planRetry` back `task runs`, `task show` and `task retry`.
 */
export { History, openHistory, type HistoryOptions } from './history';
export type {
  AttemptRecord,
  AttemptStatus,
  RecordedError,
  RecordedRunStatus,
  RecordedValue,
  RunQuery,
  RunRecord,
  StepRecord,
  ValueState,
} from './records';
export { MAX_RECORDED_ITEMS, MAX_ITEM_VALUE_BYTES, type RecordedItem, type RecordedItems } from './map-items';
export { planRetry, type RetryPlan } from './retry-plan';
export { recoveredValue, DEFAULT_MAX_VALUE_BYTES } from './values';
export { parseDuration, parseSince } from './since';
export { parseRetention, type Retention } from './retention';
export { SCHEMA_VERSION } from './schema';
export { percentile, TASK_STATS_MAX_RUNS, type TaskStats } from './task-stats';
export { HistoryErrorCode, type HistoryErrorCodeValue } from './errors';
