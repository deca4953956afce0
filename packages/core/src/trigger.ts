/**
 * What started a run, as callers tell the engine (`RunOptions.trigger`) and run history records
 * it: the CLI, a schedule entry, code calling the API, or a retry of an earlier run.
 */
export type RunTrigger = { kind: 'cli' } | { kind: 'api' } | { kind: 'schedule'; schedule: string } | { kind: 'retry'; retryOf: string };

export type RunTriggerKind = RunTrigger['kind'];
