import type { RunRecord } from '@cascadence/history';

export interface TaskStats {
  runs: number;
  succeeded: number;
  failed: number;
  /** succeeded / ended runs, 0..1; null when no run ended. */
  successRate: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
}

/** Nearest-rank percentile of sorted numbers (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/** Success rate and duration percentiles per task, over the runs given. */
export function statsByTask(runs: readonly RunRecord[]): Map<string, TaskStats> {
  const groups = new Map<string, RunRecord[]>();
  for (const run of runs) {
    const list = groups.get(run.task);
    if (list === undefined) groups.set(run.task, [run]);
    else list.push(run);
  }
  const out = new Map<string, TaskStats>();
  for (const [task, list] of groups) {
    const ended = list.filter((r) => r.status !== 'running');
    const succeeded = ended.filter((r) => r.status === 'succeeded').length;
    const durations = ended.map((r) => r.durationMs).filter((d): d is number => typeof d === 'number').sort((a, b) => a - b);
    out.set(task, {
      runs: list.length,
      succeeded,
      failed: ended.filter((r) => r.status === 'failed').length,
      successRate: ended.length === 0 ? null : succeeded / ended.length,
      p50Ms: percentile(durations, 50),
      p95Ms: percentile(durations, 95),
    });
  }
  return out;
}
