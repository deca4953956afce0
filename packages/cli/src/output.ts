import {
  CascadenceError,
  ErrorCode,
  sanitizeForTerminal,
  sanitizeLinesForTerminal,
  toJsonSafe,
  type JsonSafeProblem,
  type RunResult,
  type StepResult,
} from '@cascadence/core';
import { plain, type Palette } from './colour';

/**
 * JSON for --json and printed outputs. Never throws: errors become { name, message, code, details }
 * instead of `{}`, and what JSON cannot hold (BigInt, cycles, a throwing toJSON, a revoked Proxy,
 * absurd nesting) becomes `{ "$unserialisable": why }`, listed in `problems` when given.
 */
export function toJson(value: unknown, problems?: JsonSafeProblem[]): string {
  return JSON.stringify(toJsonSafe(value, problems), null, 2) ?? 'null';
}

/** A RunResult as `--json` prints it: times as ISO-8601 strings (`startedAt`), durations in ms. */
export function runResultJson(result: RunResult): Record<string, unknown> {
  const steps: Record<string, unknown> = {};
  for (const [id, step] of Object.entries(result.steps)) {
    Object.defineProperty(steps, id, {
      value: { ...step, startedAt: isoTime(step.startedAt) },
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return { ...result, steps, startedAt: isoTime(result.startedAt) };
}

/** Undefined (left out of the JSON, as before) for a step that never started. */
function isoTime(epochMs: number | undefined): string | undefined {
  return epochMs === undefined || !Number.isFinite(epochMs) ? undefined : new Date(epochMs).toISOString();
}

/** One warning line for values of a task's output that JSON could not hold (empty when none). */
export function unserialisableWarning(what: string, problems: readonly JsonSafeProblem[]): string {
  if (problems.length === 0) return '';
  const clip = (path: string) => (path.length > 60 ? `${path.slice(0, 30)}…${path.slice(-20)}` : path);
  const shown = problems
    .slice(0, 3)
    .map((p) => `${clip(p.path)}: ${p.reason}`)
    .join('; ');
  const more = problems.length > 3 ? `; and ${problems.length - 3} more` : '';
  return `warning: ${sanitizeForTerminal(`the output of ${what} has ${problems.length === 1 ? 'a value' : `${problems.length} values`} JSON cannot hold, printed as {"$unserialisable": ...}: ${shown}${more}`)}`;
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

/** How each status is coloured (when colour is on). */
export function statusColour(status: StepResult['status'] | RunResult['status'], palette: Palette): (text: string) => string {
  return status === 'succeeded'
    ? palette.green
    : status === 'failed'
      ? palette.red
      : status === 'cancelled'
        ? palette.yellow
        : status === 'skipped'
          ? palette.dim
          : (t) => t;
}

/** One line per step: mark, id, status and duration or error (untrusted parts escaped, then coloured). */
export function stepLine(
  id: string,
  step: Pick<StepResult, 'status' | 'durationMs' | 'error' | 'attempts' | 'skipReason' | 'skipMessage'>,
  palette: Palette = plain,
): string {
  const tries = step.attempts > 1 ? `, ${step.attempts} attempts` : '';
  const detail =
    step.status === 'succeeded'
      ? step.attempts === 0
        ? '(reused from the earlier run)'
        : `(${formatDuration(step.durationMs)}${tries})`
      : step.status === 'failed' || step.status === 'cancelled'
        ? `${step.status}${tries}: ${sanitizeForTerminal(stepErrorText(step.status, step.error))}`
        : step.status === 'skipped' && step.skipReason !== undefined
          ? `skipped (${skipText(step.skipReason, step.skipMessage)})`
          : step.status;
  const colour = statusColour(step.status, palette);
  const line = `${sanitizeForTerminal(id)} ${detail}`.trimEnd();
  return `  ${colour(MARKS[step.status])} ${step.status === 'succeeded' ? line : colour(line)}`;
}

/** `self: <the step's words>` for a step that skipped itself with a reason (escaped: the text is the step's own), else the reason. */
export function skipText(reason: string, message: string | undefined): string {
  return message === undefined || message === '' ? reason : `${reason}: ${sanitizeForTerminal(message)}`;
}

/**
 * What a step line says after `failed:` or `cancelled:`. A cancelled step's error reads `step "a"
 * of flow "f" was cancelled: <why>`; the line already names the step and says cancelled, so only
 * the why is shown.
 */
function stepErrorText(status: StepResult['status'], error: Error | undefined): string {
  if (error === undefined) return '';
  if (status === 'cancelled' && CascadenceError.isInstance(error, ErrorCode.CANCELLED)) {
    const cause = error.cause;
    if (
      typeof cause === 'object' &&
      cause !== null &&
      typeof (cause as Error).message === 'string' &&
      (cause as Error).name !== 'AbortError' &&
      (cause as Error).message !== ''
    ) {
      return (cause as Error).message;
    }
  }
  return error.message;
}

/**
 * The summary `task run` prints: a header line, the steps of a flow, then the output (JSON-safe:
 * parts JSON cannot hold are marked and listed in `problems`).
 */
export function formatRunResult(result: RunResult, kind: 'task' | 'flow', problems?: JsonSafeProblem[], palette: Palette = plain): string {
  const status = statusColour(result.status, palette)(result.status);
  const lines = [
    `${palette.bold(sanitizeForTerminal(result.task))} ${status} in ${formatDuration(result.durationMs)} (run ${sanitizeForTerminal(result.runId)})`,
  ];
  if (kind === 'flow') for (const [id, step] of Object.entries(result.steps)) lines.push(stepLine(id, step, palette));
  // JSON escapes C0 controls but not C1 or bidi characters: escape those too for a terminal.
  if (result.status === 'succeeded' && result.output !== undefined) lines.push(sanitizeLinesForTerminal(toJson(result.output, problems)));
  return lines.join('\n');
}
