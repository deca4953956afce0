import type { SkipReason } from '@cascadence/core/dag';
import type { Carry } from './partition';

/**
 * The data that travels between the client, the workflow and the worker. Plain JSON only: the
 * workflow sandbox imports this file, so it imports nothing.
 */

/** Workflow type of the generic DAG interpreter. */
export const WORKFLOW_TYPE = 'cascadenceFlow';
/** The one activity that runs any step. */
export const STEP_ACTIVITY = 'cascadenceStep';
/** Runs a map step's `map: (ctx) => items` function on the worker (the function is code). */
export const MAP_ITEMS_ACTIVITY = 'cascadenceMapItems';
/** Computes a flow's `output(results, input)` on the worker (flows with an output function only). */
export const OUTPUT_ACTIVITY = 'cascadenceOutput';
/** Query returning the run's current (or final) summary. */
export const STATE_QUERY = 'cascadence.state';
/** Signal carrying the reason of a cancellation, sent just before the cancel request. */
export const CANCEL_REASON_SIGNAL = 'cascadence.cancelReason';
/** ApplicationFailure type of a workflow whose flow failed; details[0] is the RunSummary. */
export const RUN_FAILED_TYPE = 'CascadenceRunFailed';
/** Patch id (Temporal's `patched()`) gating local-activity steps: histories without it replay them as regular activities. */
export const LOCAL_STEPS_PATCH = 'cascadence-local-steps';
/** Patch id gating partitioned runs (continue-as-new once the history is long): histories without it never partition. */
export const PARTITIONS_PATCH = 'cascadence-partitions';
/**
 * `patched()` id: a run waits for nested runs still ending (the `always` steps of a cancelled or
 * timed-out nested step) before it completes. Earlier releases completed without waiting.
 */
export const NESTED_SETTLE_PATCH = 'cascadence-nested-settle';
/**
 * `patched()` id: a partitioned run continues as new only after those nested runs have ended too
 * (continuing abandons their activities: an `always` step's retries and its recorded end were
 * lost). Earlier releases continued without waiting.
 */
export const PARTITION_SETTLE_PATCH = 'cascadence-partition-settle';
/** Default of `partitionHistoryEvents` (partition.ts): well below the server's 51,200, leaving room for the steps still running. */
export const DEFAULT_PARTITION_HISTORY_EVENTS = 20_000;
/**
 * Items per map step run inline in one workflow: each item adds a few history events, and a
 * workflow's history is capped (about 50,000 events). Longer lists run in batches of at most this
 * many items, each batch a child workflow (map-batches.ts).
 */
export const MAX_INLINE_MAP_ITEMS = 2000;
/** RunSpec version of releases before the compact form: the graph travels as plain WireGraph (still read). */
export const PLAIN_SPEC_VERSION = 1;
/** Version of the RunSpec format clients send: the graph as tables (compact-spec.ts). */
export const SPEC_VERSION = 2;

export type WireRule = 'all-succeeded' | 'all-done' | 'any-failed' | 'none-failed' | 'one-succeeded' | 'all-failed' | 'always';

export interface WireRetry {
  /** Total tries including the first. */
  attempts: number;
  backoff: 'fixed' | 'exponential';
  delayMs: number;
  maxDelayMs: number;
  /** Kept for nested-flow retries done in the workflow; Temporal's RetryPolicy has no jitter. */
  jitter: number;
  /** Error names / codes that stop retrying (classes are sent by name). */
  nonRetryable: string[];
}

export interface WireStep {
  id: string;
  /** Task name, processor name, or the step id for inline `run:` steps. */
  label: string;
  kind: 'task' | 'processor' | 'inline' | 'flow';
  /** Indices (into the graph's steps) of the steps this one waits for. */
  needs: number[];
  when: WireRule;
  /** The step's `with`; absent means the step receives its flow's input. */
  with?: unknown;
  useFlowInput: boolean;
  retry: WireRetry;
  timeoutMs?: number;
  /** For `kind: 'flow'`: the nested flow, interpreted inline by the same workflow. */
  flow?: WireGraph;
  /** A short step (timeoutMs ≤ localStepMaxTimeoutMs): run as a Temporal local activity. */
  local?: true;
  /** The step's task is disabled: the workflow skips it (reason `disabled`) and never runs it. */
  disabled?: true;
  /** A `map` step: runs once per item of the list at `map.path` (map-items.ts). */
  map?: WireMap;
}

/** A map step's settings (only key-path sources travel: a function is code). */
export interface WireMap {
  /** `['list', 'items']` for `map: 'list.items'`; the first is a step in `needs`. */
  path: string[];
  /** Items running at once at most (absent: the run's concurrency). */
  concurrency?: number;
  failFast: boolean;
  /** The items come from the step's `map` function, run on the worker (MAP_ITEMS_ACTIVITY); `path` is then empty. */
  fn?: true;
  /** In a batch (a child workflow running part of a long list): the index of its first item in the list. */
  offset?: number;
  /** In a batch: the length of the whole list. */
  total?: number;
}

export interface WireGraph {
  /** Flow name, or the task name for a lone task. */
  name: string;
  kind: 'task' | 'flow';
  steps: WireStep[];
  /** The flow has an `output(results, input)` function: the worker computes it. */
  hasOutput: boolean;
  /** Whole-run deadline of a top-level flow. */
  timeoutMs?: number;
  /** The flow's `statusFrom: 'leaves'` (absent: `steps`). */
  statusFrom?: 'leaves';
}

export interface WireRunOptions {
  concurrency: number;
  failFast: boolean;
  /** Steps without timeoutMs still need a Temporal startToCloseTimeout. */
  defaultStepTimeoutMs: number;
  /** A step attempt whose worker stops heartbeating this long is considered lost. */
  heartbeatTimeoutMs: number;
  /** Times a step lost with its worker (heartbeat timeout) is re-scheduled beyond its retries. */
  workerLossRetries: number;
  /** Largest JSON payload (step input + results, step output, run result) accepted. */
  maxPayloadBytes: number;
  /** Steps with a timeoutMs at most this run as local activities (0: none). Absent in specs of older releases. */
  localStepMaxTimeoutMs?: number;
  /** Largest JSON step output recorded into the workflow history. Absent in specs of older releases (then only maxPayloadBytes). */
  maxOutputBytes?: number;
  /** The server's limit of history events per workflow: runs that cannot fit are refused before starting. Absent in older specs. */
  maxHistoryEvents?: number;
  /**
   * History events after which the run continues as a new workflow run (continue-as-new) carrying
   * its state (partition.ts). Absent in older specs, 0: never (runs that cannot fit are refused).
   */
  partitionHistoryEvents?: number;
  /** Items per child workflow of a map step over a longer list (map-batches.ts). Absent in older specs: 2,000. */
  mapBatchItems?: number;
}

/** The workflow's single argument. */
export interface RunSpec {
  version: number;
  /** Cascadence run id (`ctx.runId`). */
  runId: string;
  /** Name of the task or flow run; the worker resolves every step from it. */
  root: string;
  graph: WireGraph;
  input: unknown;
  options: WireRunOptions;
  /** Outputs of steps reused from an earlier run (`RunOptions.reuse`); absent on most runs. */
  reuse?: Record<string, unknown>;
  /** A partitioned run's state, carried into its next workflow run (partition.ts). */
  carry?: Carry;
  /** A map batch (map-batches.ts): the step ids leading to the graph the batch's map step belongs to. */
  pathPrefix?: string[];
}

/** Argument of the step activity. */
export interface StepCall {
  runId: string;
  root: string;
  /** Step ids from the root flow down to this step (nested flows add one id per level). */
  path: string[];
  /** Name of the flow the step belongs to; absent for a lone task. */
  flow?: string;
  label: string;
  input: unknown;
  /** Outputs of the step's `needs`, keyed by step id. */
  results: Record<string, unknown>;
  /** Attempts consumed by earlier activities of this step (lost workers); added to Temporal's attempt. */
  attemptOffset: number;
  maxPayloadBytes: number;
  /** Largest output the step may return (it is recorded into the history); absent from workflows of older releases. */
  maxOutputBytes?: number;
  /** One item of a map step: its index and the item count (the worker reports `step:item` events). */
  item?: { index: number; count: number };
}

/** Argument of the map-function activity: the step (as for StepCall) and its needed results. */
export interface MapItemsCall {
  runId: string;
  root: string;
  path: string[];
  flow?: string;
  label: string;
  results: Record<string, unknown>;
  maxPayloadBytes: number;
}

/** What the map-function activity returns: the list, or why the function's value is not one. */
export type MapItemsReport = { items: unknown[]; problem?: undefined } | { items?: undefined; problem: string };

/** What the step activity returns. */
export interface StepReport {
  output: unknown;
  attempt: number;
  /** Set when the step skipped itself (`ctx.skip(reason)`): the reason. */
  skipped?: string;
}

/** Argument of the output activity. */
export interface OutputCall {
  root: string;
  /** Path of the nested-flow step; empty for the root flow. */
  path: string[];
  results: Record<string, unknown>;
  input: unknown;
  maxPayloadBytes: number;
}

/** Details attached to a failed step activity (ApplicationFailure.details[0]). */
export interface StepFailureDetails {
  attempt: number;
  name: string;
  code?: string;
  details?: Record<string, unknown>;
}

/** Heartbeat payload of a running step attempt. */
export interface StepHeartbeat {
  attempt: number;
}

/** An error as JSON. */
export interface WireError {
  name: string;
  message: string;
  code?: string;
  details?: Record<string, unknown>;
  stack?: string;
  /** For a failed nested flow: the inner error. */
  cause?: WireError;
}

export type WireStepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

export interface WireStepResult {
  status: WireStepStatus;
  output?: unknown;
  error?: WireError;
  attempts: number;
  startedAt?: number;
  durationMs?: number;
  skipReason?: SkipReason;
  /** A step that skipped itself: the reason it gave. */
  skipMessage?: string;
  /** A map step: each item's result. */
  items?: Array<{ status: WireStepStatus; attempts: number; output?: unknown; error?: WireError; skipMessage?: string }>;
}

/** The workflow's result (also the details of its failure, and the state query's answer). */
export interface RunSummary {
  runId: string;
  task: string;
  status: 'running' | 'succeeded' | 'failed' | 'cancelled';
  output?: unknown;
  error?: WireError;
  steps: Record<string, WireStepResult>;
  startedAt: number;
  durationMs: number;
}

/** UTF-8 length of a string without TextEncoder (the workflow sandbox may lack it). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** Size in bytes of `value` as JSON (what Temporal's default converter sends); undefined is 0. */
export function jsonSize(value: unknown): number {
  const text = JSON.stringify(value);
  return text === undefined ? 0 : utf8Length(text);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
}
