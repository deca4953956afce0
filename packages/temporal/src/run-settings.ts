/**
 * Run settings of the Temporal backend (and scheduler): their defaults and checks, and the RunSpec
 * (the workflow's input) built from a task or flow with them.
 */
import { CascadenceError, ErrorCode, type RunOptions, type Runnable, type StepResolver } from '@cascadence/core';
import { compileGraph } from './compile';
import { TemporalErrorCode, temporalError } from './errors';
import {
  DEFAULT_PARTITION_HISTORY_EVENTS,
  MAX_INLINE_MAP_ITEMS,
  PLAIN_SPEC_VERSION,
  formatBytes,
  jsonSize,
  type RunSpec,
  type WireGraph,
  type WireRunOptions,
} from './wire';

/** How steps run on Temporal; shared by TemporalBackend and TemporalScheduler. */
export interface TemporalRunSettings {
  /** Steps of one flow running at once (each nested flow has its own limit). Default 16. */
  concurrency?: number;
  /** Abort running steps and start no new ones once a step has failed. Default false. */
  failFast?: boolean;
  /** startToCloseTimeout of steps without timeoutMs. Default 24 h. */
  defaultStepTimeoutMs?: number;
  /** A step whose worker sends no heartbeat for this long is considered lost. Default 30 s. */
  heartbeatTimeoutMs?: number;
  /** Times a step lost with its worker is re-run without using up its retries. Default 3. */
  workerLossRetries?: number;
  /** Largest JSON payload sent through Temporal (step input + results, output, run result). Default 2 000 000 bytes. */
  maxPayloadBytes?: number;
  /**
   * Steps that declare a `timeoutMs` of at most this run as Temporal local activities: executed by
   * the worker running the workflow, without a round trip through the server per step. Default
   * 5000 ms; 0 runs every step as a regular activity.
   */
  localStepMaxTimeoutMs?: number;
  /**
   * Largest JSON output a step may return. Every output is recorded into the workflow's history
   * (and into the input of each step that needs it), which the server caps (50 MiB by default):
   * larger data belongs outside, passed by reference. Default 512 KiB (the server's own warning
   * size for a payload); at most maxPayloadBytes applies in any case.
   */
  maxOutputBytes?: number;
  /**
   * The server's limit of history events per workflow (`limit.historyCount.error`, default 51,200).
   * A run that needs more when every step runs (about 3 events per step, 6 per step in a chain,
   * 1 per short step) is refused before it starts when partitioning is off. Raise both together.
   */
  maxHistoryEvents?: number;
  /**
   * History events after which a run continues as a new workflow run carrying its state
   * (continue-as-new; the run keeps its workflow id, result, query and cancellation). Default
   * 20,000; 0 turns partitioning off (runs that cannot fit in maxHistoryEvents are refused).
   * Must be below maxHistoryEvents, leaving room for the steps still running at that point.
   */
  partitionHistoryEvents?: number;
  /**
   * A map step over more items than this runs them in batches of this many, each batch a child
   * workflow (its items' events in the child's history). Default 2,000, at most 2,000.
   */
  mapBatchItems?: number;
}

const DEFAULTS = {
  concurrency: 16,
  failFast: false,
  defaultStepTimeoutMs: 24 * 60 * 60 * 1000,
  heartbeatTimeoutMs: 30_000,
  workerLossRetries: 3,
  maxPayloadBytes: 2_000_000,
  localStepMaxTimeoutMs: 5000,
  maxOutputBytes: 512 * 1024,
  maxHistoryEvents: 51_200,
  partitionHistoryEvents: DEFAULT_PARTITION_HISTORY_EVENTS,
  mapBatchItems: MAX_INLINE_MAP_ITEMS,
};

/** Checks run settings and fills in defaults. */
export function resolveRunSettings(
  settings: TemporalRunSettings,
  overrides: Pick<RunOptions, 'concurrency' | 'failFast'> = {},
): WireRunOptions {
  const out: WireRunOptions = {
    concurrency: overrides.concurrency ?? settings.concurrency ?? DEFAULTS.concurrency,
    failFast: overrides.failFast ?? settings.failFast ?? DEFAULTS.failFast,
    defaultStepTimeoutMs: settings.defaultStepTimeoutMs ?? DEFAULTS.defaultStepTimeoutMs,
    heartbeatTimeoutMs: settings.heartbeatTimeoutMs ?? DEFAULTS.heartbeatTimeoutMs,
    workerLossRetries: settings.workerLossRetries ?? DEFAULTS.workerLossRetries,
    maxPayloadBytes: settings.maxPayloadBytes ?? DEFAULTS.maxPayloadBytes,
    localStepMaxTimeoutMs: settings.localStepMaxTimeoutMs ?? DEFAULTS.localStepMaxTimeoutMs,
    maxOutputBytes: settings.maxOutputBytes ?? DEFAULTS.maxOutputBytes,
    maxHistoryEvents: settings.maxHistoryEvents ?? DEFAULTS.maxHistoryEvents,
    partitionHistoryEvents: settings.partitionHistoryEvents ?? DEFAULTS.partitionHistoryEvents,
    mapBatchItems: settings.mapBatchItems ?? DEFAULTS.mapBatchItems,
  };
  const positive = (name: keyof WireRunOptions, allowZero = false): void => {
    const value = out[name] as number;
    const ok =
      name === 'concurrency'
        ? value === Infinity || (Number.isInteger(value) && value >= 1)
        : Number.isFinite(value) && (allowZero ? value >= 0 : value > 0);
    if (!ok)
      throw new CascadenceError(
        ErrorCode.INVALID_DEFINITION,
        `${name} must be a ${allowZero ? 'non-negative' : 'positive'} number (got ${String(value)})`,
      );
  };
  positive('concurrency');
  positive('defaultStepTimeoutMs');
  positive('heartbeatTimeoutMs');
  positive('workerLossRetries', true);
  positive('maxPayloadBytes');
  positive('localStepMaxTimeoutMs', true);
  positive('maxOutputBytes');
  positive('maxHistoryEvents');
  positive('partitionHistoryEvents', true);
  const batch = out.mapBatchItems!;
  if (!Number.isInteger(batch) || batch < 1 || batch > MAX_INLINE_MAP_ITEMS) {
    throw new CascadenceError(
      ErrorCode.INVALID_DEFINITION,
      `mapBatchItems must be an integer from 1 to ${MAX_INLINE_MAP_ITEMS} (got ${String(batch)})`,
    );
  }
  if (out.partitionHistoryEvents! >= out.maxHistoryEvents!) {
    throw new CascadenceError(
      ErrorCode.INVALID_DEFINITION,
      `partitionHistoryEvents (${out.partitionHistoryEvents}) must be below maxHistoryEvents (${out.maxHistoryEvents}), or 0 to turn partitioning off`,
    );
  }
  // JSON has no Infinity: the workflow treats a huge number the same.
  if (out.concurrency === Infinity) out.concurrency = Number.MAX_SAFE_INTEGER;
  return out;
}

export { workflowArgument } from './workflow-argument';

/** Builds the workflow argument for a task or flow. */
export function buildRunSpec(
  runnable: Runnable,
  input: unknown,
  runId: string,
  settings: WireRunOptions,
  resolver: StepResolver | undefined,
): RunSpec {
  const graph = compileGraph(runnable, resolver);
  const size = jsonSize(input);
  if (size > settings.maxPayloadBytes) {
    throw temporalError(
      TemporalErrorCode.PAYLOAD_TOO_LARGE,
      `the input of ${runnable.kind} "${runnable.name}" is ${formatBytes(size)}, over the ${formatBytes(settings.maxPayloadBytes)} Temporal payload limit (maxPayloadBytes)`,
      {
        details: { size, limit: settings.maxPayloadBytes },
        suggestions: ['pass a reference (a path, a URL, an object key) instead of the data'],
      },
    );
  }
  markShortSteps(graph, settings.localStepMaxTimeoutMs ?? 0);
  return { version: PLAIN_SPEC_VERSION, runId, root: runnable.name, graph, input, options: settings };
}

/** The documented rule: a step (not a nested flow) whose timeoutMs is at most `maxMs` is short. */
function markShortSteps(graph: WireGraph, maxMs: number): void {
  for (const step of graph.steps) {
    if (step.flow !== undefined) markShortSteps(step.flow, maxMs);
    else if (step.timeoutMs !== undefined && step.timeoutMs <= maxMs) step.local = true;
  }
}
