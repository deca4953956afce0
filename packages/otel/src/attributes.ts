/** Names of the span attributes and span events Cascadence records. Queries and dashboards use them. */
export const SPAN_ATTRIBUTES = {
  /** Run id (`ctx.runId`, RunResult.runId); nested flows share their parent's. */
  RUN_ID: 'cascadence.run.id',
  /** The task behind a step, or the task/flow a run runs. */
  TASK: 'cascadence.task',
  /** `task` or `flow` (run spans). */
  KIND: 'cascadence.kind',
  /** The flow a step belongs to (step spans; absent for a task run on its own). */
  FLOW: 'cascadence.flow',
  /** The flow a nested run is a step of (run spans). */
  PARENT_FLOW: 'cascadence.parent_flow',
  /** Step id (step spans). */
  STEP: 'cascadence.step',
  /** 1 for the first try, 2 for the first retry, ... (step spans). */
  ATTEMPT: 'cascadence.attempt',
  /** What started the run: `cli`, `schedule`, ... or `api` when not said (run spans). */
  TRIGGER: 'cascadence.trigger',
  /** Where it ran: `local`, `temporal`, ... */
  BACKEND: 'cascadence.backend',
  /** Final status: `succeeded`, `failed`, `cancelled`; `retrying` for an attempt that will be retried. */
  STATUS: 'cascadence.status',
  /** An item's index in the list its `map` step maps over (item spans and `cascadence.item.failed` events). */
  ITEM: 'cascadence.item',
  /** How many items a `map` step maps over (item spans, and the step attempt's span). */
  ITEMS: 'cascadence.items',
  /** Items of a step attempt beyond `maxItemSpans`: counted here, without a span of their own (step spans). */
  ITEMS_UNSPANNED: 'cascadence.items.unspanned',
  /** Error code of a CascadenceError that failed the run or attempt (e.g. `CASCADENCE_TIMEOUT`). */
  ERROR_CODE: 'cascadence.error.code',
} as const;

export const SPAN_EVENTS = {
  /** On an attempt that failed and will be retried: `cascadence.retry.delay_ms`, `cascadence.retry.next_attempt`. */
  RETRY: 'cascadence.retry',
  /** On an attempt that ran out of time: `cascadence.timeout_ms` when known. */
  TIMEOUT: 'cascadence.timeout',
  /** On an attempt cancelled while running, or on the run for a step cancelled while waiting to retry. */
  CANCELLED: 'cascadence.cancelled',
  /** On the run: a step that will not run, with `cascadence.step` and `cascadence.skip.reason`. */
  SKIPPED: 'cascadence.step.skipped',
  /** On a map step's attempt: an item beyond `maxItemSpans` that failed (`cascadence.item`, `exception.message`). */
  ITEM_FAILED: 'cascadence.item.failed',
} as const;

/** Span names: `cascadence.run <task or flow>`, `cascadence.step <step id>`, `cascadence.item <step id>` (a map step's item). */
export const RUN_SPAN_PREFIX = 'cascadence.run ';
export const STEP_SPAN_PREFIX = 'cascadence.step ';
export const ITEM_SPAN_PREFIX = 'cascadence.item ';
