import type { RunStatus, RunTriggerKind, StepStatus } from '@cascadence/core';
import type { RecordedItems } from './map-items';

/**
 * A run as history shows it: `running` while its owner is alive, `interrupted` when the process
 * that owned it died (or stopped heartbeating) before the run ended.
 */
export type RecordedRunStatus = RunStatus | 'running' | 'interrupted';

/**
 * How a value (input, output) was kept: `ok` (JSON in `json`), `none` (the value was undefined),
 * `truncated` (over the size cap: `json` holds the start of its JSON text), `unserializable`
 * (not representable as JSON: `reason` says why), `omitted` (recording of values is off).
 */
export type ValueState = 'ok' | 'none' | 'truncated' | 'unserializable' | 'omitted';

export interface RecordedValue {
  state: ValueState;
  /** JSON text (`ok`), or the first `maxValueBytes` of it (`truncated`). */
  json?: string | undefined;
  /** Size of the whole JSON text in bytes, when known. */
  bytes?: number | undefined;
  reason?: string | undefined;
}

export interface RecordedError {
  name: string;
  message: string;
  code?: string | undefined;
  stack?: string | undefined;
}

export interface RunRecord {
  id: string;
  /** Name of the task or flow. */
  task: string;
  kind: 'task' | 'flow';
  /** Execution backend name: `local`, `temporal`, or a plugin's. */
  backend: string;
  workflowId?: string | undefined;
  workflowRunId?: string | undefined;
  trigger: RunTriggerKind;
  /** The schedule entry that fired the run (trigger `schedule`). */
  schedule?: string | undefined;
  /** The run this one retries (trigger `retry`). */
  retryOf?: string | undefined;
  host: string;
  pid: number;
  status: RecordedRunStatus;
  error?: RecordedError | undefined;
  /** First failed step of a failed flow run. */
  failedStep?: string | undefined;
  /** Epoch milliseconds. */
  startedAt: number;
  endedAt?: number | undefined;
  durationMs?: number | undefined;
  input: RecordedValue;
}

export interface StepRecord {
  runId: string;
  step: string;
  status: StepStatus;
  attempts: number;
  startedAt?: number | undefined;
  durationMs?: number | undefined;
  skipReason?: string | undefined;
  /** A step that skipped itself: the reason it gave to `ctx.skip(reason)` (untrusted text: escape it to show it). */
  skipMessage?: string | undefined;
  error?: RecordedError | undefined;
  output: RecordedValue;
  /** A `map` step's items: counts of all, and up to 100 of them one by one (see `RecordedItems`). */
  items?: RecordedItems | undefined;
  /** The output came from an earlier run (retry) and the step did not run again. */
  reused: boolean;
}

/** `skipped`: the attempt called `ctx.skip(reason)` (it ran, and ended on purpose). */
export type AttemptStatus = 'running' | 'succeeded' | 'failed' | 'retried' | 'cancelled' | 'skipped';

/** One attempt of one step; steps of nested flows are recorded here with their flow's name. */
export interface AttemptRecord {
  runId: string;
  /** Flow the step belongs to (a nested flow's name for its steps); undefined for a lone task. */
  flow?: string | undefined;
  step: string;
  attempt: number;
  status: AttemptStatus;
  startedAt: number;
  durationMs?: number | undefined;
  error?: RecordedError | undefined;
}

export interface RunQuery {
  /** Task or flow name. */
  task?: string;
  status?: RecordedRunStatus;
  trigger?: RunTriggerKind;
  /** Only runs started at or after this epoch-ms instant. */
  since?: number;
  /** Only runs started before this epoch-ms instant (paging: pass the last row's startedAt, and its id as `beforeId`). */
  before?: number;
  /**
   * With `before`: runs started exactly at `before` whose id sorts below this one are included
   * too. Pages are ordered by (startedAt, id), so a cursor of both loses no run that shares the
   * last row's start time.
   */
  beforeId?: string;
  /** Default 50, at most 10,000. */
  limit?: number;
}
