/**
 * Names, help texts and label names of every metric, without the optional prefix. Labels are
 * bounded by the code (task, flow and step names, a few fixed status/reason values), never by runs.
 */
export const TASK_LABELS = ['task', 'flow', 'step'] as const;

export const METRICS = {
  latency: {
    name: 'task_latency_seconds',
    type: 'histogram',
    help: 'Time from the first attempt of a task (step) to its final outcome, retries and their backoff included',
    labelNames: [...TASK_LABELS, 'status'],
  },
  success: {
    name: 'task_success_total',
    type: 'counter',
    help: 'Task (step) executions that succeeded',
    labelNames: [...TASK_LABELS],
  },
  failure: {
    name: 'task_failure_total',
    type: 'counter',
    help: 'Task (step) executions that failed (status="failed") or were cancelled (status="cancelled"), after retries',
    labelNames: [...TASK_LABELS, 'status'],
  },
  retries: {
    name: 'task_retries_total',
    type: 'counter',
    help: 'Failed attempts of a task (step) that were retried',
    labelNames: [...TASK_LABELS],
  },
  skipped: {
    name: 'task_skipped_total',
    type: 'counter',
    help: 'Flow steps skipped because their trigger rule could not be met (reason: upstream-failed, trigger-rule, fail-fast, disabled, self)',
    labelNames: [...TASK_LABELS, 'reason'],
  },
  mapItems: {
    name: 'task_map_items_total',
    type: 'counter',
    help: 'Items of map steps that ended (status: succeeded, failed, skipped), after their retries; one series per step, not per item',
    labelNames: [...TASK_LABELS, 'status'],
  },
  inProgress: {
    name: 'tasks_in_progress',
    type: 'gauge',
    help: 'Tasks (steps) started and not finished yet, including those waiting for a retry',
    labelNames: [...TASK_LABELS],
  },
  scheduleFires: {
    name: 'schedule_fires_total',
    type: 'counter',
    help: 'Times a schedule fired its task',
    labelNames: ['task'],
  },
  scheduleMissed: {
    name: 'schedule_missed_total',
    type: 'counter',
    help: 'Due fires that were missed (nothing was running them) and not caught up',
    labelNames: ['task'],
  },
  scheduleSkipped: {
    name: 'schedule_skipped_total',
    type: 'counter',
    help: 'Due fires that were not run (reason: overlap, disabled, paused)',
    labelNames: ['task', 'reason'],
  },
  scheduleLag: {
    name: 'schedule_lag_seconds',
    type: 'gauge',
    help: 'How late after its due time the last fire of a schedule started',
    labelNames: ['task'],
  },
  scheduleLastFire: {
    name: 'schedule_last_fire_timestamp_seconds',
    type: 'gauge',
    help: 'Unix time of the last fire of a schedule',
    labelNames: ['task'],
  },
  scheduleStalled: {
    name: 'schedule_stalled',
    type: 'gauge',
    help: 'Schedules with no next fire time: 1 until the schedule fires again (its entry or the clock changed)',
    labelNames: ['task'],
  },
} as const;

export type MetricKey = keyof typeof METRICS;

/**
 * Default `task_latency_seconds` buckets: from half a millisecond (no-op and in-memory steps)
 * to four hours (batch jobs), roughly 2.5x apart.
 */
export const DEFAULT_LATENCY_BUCKETS: readonly number[] = Object.freeze([
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400,
]);

export const METRIC_NAME_PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
