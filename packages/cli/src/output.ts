import { sanitizeForTerminal, type RunResult, type StepResult } from '@cascadence/core';

/** JSON for --json: errors become { name, message, code } instead of `{}`. */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (v instanceof Error) {
        const code = (v as { code?: unknown }).code;
        return { name: v.name, message: v.message, ...(typeof code === 'string' ? { code } : {}) };
      }
      return v;
    },
    2,
  );
}

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return '';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

const MARKS: Record<StepResult['status'], string> = {
  pending: '·',
  running: '…',
  succeeded: '✓',
  failed: '✗',
  skipped: '-',
  cancelled: '⊘',
};

/** One line per step: mark, id, status and duration or error. */
export function stepLine(id: string, step: Pick<StepResult, 'status' | 'durationMs' | 'error' | 'attempts'>): string {
  const tries = step.attempts > 1 ? `, ${step.attempts} attempts` : '';
  const detail =
    step.status === 'succeeded'
      ? step.attempts === 0
        ? '(reused from the earlier run)'
        : `(${formatDuration(step.durationMs)}${tries})`
      : step.status === 'failed' || step.status === 'cancelled'
        ? `${step.status}${tries}: ${sanitizeForTerminal(step.error?.message ?? '')}`
        : step.status;
  return `  ${MARKS[step.status]} ${sanitizeForTerminal(id)} ${detail}`.trimEnd();
}

/** The summary `task run` prints: a header line, the steps of a flow, then the output. */
export function formatRunResult(result: RunResult, kind: 'task' | 'flow'): string {
  const lines = [`${sanitizeForTerminal(result.task)} ${result.status} in ${formatDuration(result.durationMs)} (run ${result.runId})`];
  if (kind === 'flow') for (const [id, step] of Object.entries(result.steps)) lines.push(stepLine(id, step));
  if (result.status === 'succeeded' && result.output !== undefined) lines.push(toJson(result.output));
  return lines.join('\n');
}
