/**
 * Step results as tables: the form a run's summary takes when the plain one (about 100 bytes per
 * step) would not fit in a Temporal payload — a 20,000-step run's summary is ~2 MB plain, ~16 bytes
 * per step here — and the form a partitioned run carries its state in (partition.ts).
 *
 * Sandbox-safe (bundled with workflow.ts): imports only types and compact-spec's columns.
 */
import { decodeColumn, decodeIds, encodeColumn, encodeIds, type Column, type IdColumn } from './compact-spec';
import type { RunSummary, WireStepResult, WireStepStatus } from './wire';

/** One letter per step status. */
const LETTERS: Record<WireStepStatus, string> = {
  pending: 'p',
  running: 'r',
  succeeded: 's',
  failed: 'f',
  skipped: 'k',
  cancelled: 'c',
};
const STATUSES: Record<string, WireStepStatus> = Object.fromEntries(Object.entries(LETTERS).map(([k, v]) => [v, k as WireStepStatus]));

/** What a step result has beyond status, attempts, output and times (errors, skips, map items): rare, kept as objects. */
type Extra = Omit<WireStepResult, 'status' | 'attempts' | 'output' | 'startedAt' | 'durationMs'>;

export interface CompactStepResults {
  ids: IdColumn;
  /** One letter per step (LETTERS). */
  status: string;
  attempts: Column;
  /** Per step: startedAt minus the run's startedAt, -1 when absent. */
  started: Column;
  /** Per step: durationMs, -1 when absent. */
  duration: Column;
  /** Outputs of succeeded steps (except those in `undefinedOutputs`), in step order. */
  outputs: unknown[];
  /** Succeeded steps whose output is undefined (JSON would turn it into null in `outputs`). */
  undefinedOutputs: Column;
  /** [step index, extra fields] for steps that have any. */
  extra: Array<[number, Extra]>;
}

/** A RunSummary whose steps travel as tables. */
export type CompactSummary = Omit<RunSummary, 'steps'> & { compactSteps: CompactStepResults };

export function encodeStepResults(ids: readonly string[], results: readonly WireStepResult[], base: number): CompactStepResults {
  let status = '';
  const attempts: number[] = [];
  const started: number[] = [];
  const duration: number[] = [];
  const outputs: unknown[] = [];
  const undefinedOutputs: number[] = [];
  const extra: Array<[number, Extra]> = [];
  results.forEach((result, i) => {
    const { status: s, attempts: a, output, startedAt, durationMs, ...rest } = result;
    status += LETTERS[s];
    attempts.push(a);
    started.push(startedAt === undefined ? -1 : startedAt - base);
    duration.push(durationMs === undefined ? -1 : durationMs);
    if (s === 'succeeded') {
      if (output === undefined) undefinedOutputs.push(i);
      else outputs.push(output);
    }
    if (Object.keys(rest).length > 0) extra.push([i, rest]);
  });
  return {
    ids: encodeIds(ids),
    status,
    attempts: encodeColumn(attempts),
    started: encodeColumn(started),
    duration: encodeColumn(duration),
    outputs,
    undefinedOutputs: encodeColumn(undefinedOutputs),
    extra,
  };
}

export function decodeStepResults(compact: CompactStepResults, base: number): { ids: string[]; results: WireStepResult[] } {
  const ids = decodeIds(compact.ids);
  const attempts = decodeColumn(compact.attempts);
  const started = decodeColumn(compact.started);
  const duration = decodeColumn(compact.duration);
  const noOutput = new Set(decodeColumn(compact.undefinedOutputs));
  const extras = new Map(compact.extra);
  let next = 0;
  const results = ids.map((_, i): WireStepResult => {
    const status = STATUSES[compact.status[i] ?? ''] ?? 'pending';
    const result: WireStepResult = { status, attempts: attempts[i] ?? 0 };
    if (status === 'succeeded') result.output = noOutput.has(i) ? undefined : compact.outputs[next++];
    const extra = extras.get(i);
    if (extra !== undefined) Object.assign(result, extra);
    if ((started[i] ?? -1) >= 0) result.startedAt = base + started[i]!;
    if ((duration[i] ?? -1) >= 0) result.durationMs = duration[i]!;
    return result;
  });
  return { ids, results };
}

export function compactSummary(summary: RunSummary): CompactSummary {
  const { steps, ...rest } = summary;
  return { ...rest, compactSteps: encodeStepResults(Object.keys(steps), Object.values(steps), summary.startedAt) };
}

/** The plain summary, from either form (clients decode what the workflow returns, fails with, or answers a query with). */
export function plainSummary(summary: RunSummary | CompactSummary): RunSummary {
  if (!('compactSteps' in summary)) return summary;
  const { compactSteps, ...rest } = summary;
  const { ids, results } = decodeStepResults(compactSteps, summary.startedAt);
  const steps: RunSummary['steps'] = {};
  ids.forEach((id, i) => {
    steps[id] = results[i]!;
  });
  return { ...rest, steps };
}
