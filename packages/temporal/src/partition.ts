/**
 * Partitioned runs: a run whose history grows long continues as a new workflow run
 * (continue-as-new) with its state, instead of hitting Temporal's per-workflow history limit.
 *
 * Why continue-as-new and not child workflows per partition of the graph: one workflow id keeps
 * one run from the outside — `handle.result()` follows the continuations, cancellation and the
 * `cascadence.state` query reach the current run by workflow id, and a worker killed at any point
 * is recovered by Temporal as for any workflow task (the continuation is one atomic command). A
 * DAG has no natural partitions (any step may need any other); the state machine of core's dag
 * simply resumes from the carried state.
 *
 * How: once the history has `partitionHistoryEvents` events (or 16 MiB), the root graph starts no
 * new steps; when its running steps have ended it continues as new with `carry`: every step's
 * result (as tables, summary-codec.ts) and the order in which steps ended, which the next run
 * re-applies to a fresh RunState (statuses, skips and trigger-rule decisions come out the same).
 * A run that is stopping (cancelled, timed out, fail-fast) ends in its current partition.
 *
 * Sandbox-safe: bundled with workflow.ts.
 */
import { workflowInfo } from '@temporalio/workflow';
import type { Column } from './compact-spec';
import type { CompactStepResults } from './summary-codec';
import type { WireRunOptions } from './wire';

/** History bytes after which a run continues as new too (the server fails a workflow at 50 MiB). */
export const PARTITION_HISTORY_BYTES = 16 * 1024 * 1024;

/** The state a partitioned run carries into its next workflow run. */
export interface Carry {
  /** Workflow runs before this one. */
  partition: number;
  /** When the Cascadence run started (its first workflow run). */
  startedAt: number;
  /** Activity ids stay unique across partitions. */
  activitySeq: number;
  cancelReason?: string;
  /** Root steps that ended (succeeded, failed, skipped themselves, or reused), in the order they ended. */
  order: Column;
  /** Every root step's result. */
  steps: CompactStepResults;
}

/** Whether the history is long enough to move to the next partition (deterministic: the same on replay). */
export function historyFull(options: WireRunOptions): boolean {
  const limit = options.partitionHistoryEvents;
  if (limit === undefined || limit <= 0) return false;
  const info = workflowInfo();
  return info.historyLength >= limit || info.historySize >= PARTITION_HISTORY_BYTES;
}
