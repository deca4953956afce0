import { sanitizeForTerminal, shortRunId } from '@cascadence/core';
import type { AttemptRecord, RecordedItems, RecordedValue, RunRecord, StepRecord } from '@cascadence/history';
import { formatDuration, skipText } from './output';

const safe = sanitizeForTerminal;

/** First line of an error message, escaped: one table cell. */
function firstLine(text: string | undefined): string {
  return safe((text ?? '').split('\n')[0] ?? '');
}

function when(epochMs: number | undefined): string {
  return epochMs === undefined
    ? '-'
    : new Date(epochMs)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z');
}

/** Left-aligned columns; cells are already escaped. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** `task runs`: newest first; failures name the failed step and the error's first line. */
export function formatRuns(runs: readonly RunRecord[]): string {
  return table(
    ['RUN', 'TASK', 'STATUS', 'STARTED', 'DURATION', 'TRIGGER', 'DETAIL'],
    runs.map((run) => [
      // An id's end: run ids are time-ordered, their start is the same for a minute of runs.
      safe(shortRunId(run.id)),
      safe(run.task),
      run.status,
      when(run.startedAt),
      run.durationMs === undefined ? '-' : formatDuration(run.durationMs),
      run.trigger === 'schedule' && run.schedule !== undefined
        ? `schedule ${safe(run.schedule)}`
        : run.trigger === 'retry' && run.retryOf !== undefined
          ? `retry of ${safe(shortRunId(run.retryOf))}`
          : run.trigger,
      run.status === 'failed' || run.status === 'cancelled'
        ? `${run.failedStep === undefined ? '' : `step ${safe(run.failedStep)}: `}${firstLine(run.error?.message)}`
        : run.status === 'interrupted'
          ? `process ${run.pid} on ${safe(run.host)} ended before the run`
          : '',
    ]),
  );
}

function valueText(value: RecordedValue): string {
  switch (value.state) {
    case 'ok':
      return safe(value.json ?? '');
    case 'none':
      return '(none)';
    case 'truncated':
      return `${safe(value.json ?? '')}… (truncated: ${value.bytes ?? '?'} bytes)`;
    case 'unserializable':
      return `(not recorded: ${safe(value.reason ?? 'not JSON')})`;
    case 'omitted':
      return '(not recorded: history.values is false)';
  }
}

/** Items a map step shows one by one: the ones that did not succeed (with outputs: every recorded one). */
const ITEM_LINES = 20;

/** A map step's items: counts, then the items worth a look (failed, skipped, cancelled first). */
function itemLines(step: string, items: RecordedItems, withOutputs: boolean): string[] {
  const counts = Object.entries(items.counts)
    .map(([status, n]) => `${n} ${status}`)
    .join(', ');
  const lines = ['', `items of ${safe(step)}: ${items.total} (${counts})`];
  const shown = withOutputs ? items.list : items.list.filter((item) => item.status !== 'succeeded');
  for (const item of shown.slice(0, ITEM_LINES)) {
    const detail =
      item.status === 'succeeded'
        ? valueText(item.output)
        : item.skipMessage !== undefined
          ? firstLine(item.skipMessage)
          : item.error === undefined
            ? ''
            : firstLine(item.error.message);
    lines.push(
      `  [${item.index}] ${item.status}${item.attempts > 1 ? ` after ${item.attempts} attempts` : ''}${detail === '' ? '' : `: ${detail}`}`,
    );
  }
  // Succeeded items are listed only with outputs: the rest are what was left out.
  const listable = withOutputs ? items.total : items.total - (items.counts.succeeded ?? 0);
  const unshown = listable - Math.min(shown.length, ITEM_LINES);
  if (unshown > 0) lines.push(`  … ${unshown} more not shown (history keeps ${items.list.length} of ${items.total} items one by one)`);
  return lines;
}

/** `task show`: the run, then its steps as a table, then (with outputs) each step's output. */
export function formatRun(run: RunRecord, steps: readonly StepRecord[], attempts: readonly AttemptRecord[], withOutputs: boolean): string {
  const lines = [
    `run ${run.id}`,
    `  ${run.kind} ${safe(run.task)} ${run.status}${run.durationMs === undefined ? '' : ` in ${formatDuration(run.durationMs)}`}`,
    `  started ${when(run.startedAt)}  ended ${when(run.endedAt)}`,
    `  trigger ${run.trigger}${run.schedule === undefined ? '' : ` (schedule ${safe(run.schedule)})`}${run.retryOf === undefined ? '' : ` (retry of ${run.retryOf})`}`,
    `  backend ${safe(run.backend)}${run.workflowId === undefined ? '' : ` (workflow ${safe(run.workflowId)}${run.workflowRunId === undefined ? '' : `, run ${safe(run.workflowRunId)}`})`}  host ${safe(run.host)} pid ${run.pid}`,
    `  input ${valueText(run.input)}`,
  ];
  if (run.error !== undefined)
    lines.push(`  error ${firstLine(`${run.error.code === undefined ? '' : `[${run.error.code}] `}${run.error.message}`)}`);
  if (steps.length > 0) {
    lines.push('');
    const retries = new Map<string, number>();
    for (const attempt of attempts)
      if (attempt.status === 'retried' && attempt.flow === (run.kind === 'flow' ? run.task : undefined))
        retries.set(attempt.step, (retries.get(attempt.step) ?? 0) + 1);
    lines.push(
      table(
        ['STEP', 'STATUS', 'ATTEMPTS', 'DURATION', 'DETAIL'],
        steps.map((step) => [
          safe(step.step),
          step.reused ? 'succeeded (reused)' : step.status,
          String(step.attempts),
          step.durationMs === undefined ? '-' : formatDuration(step.durationMs),
          step.status === 'skipped'
            ? firstLine(skipText(step.skipReason ?? '', step.skipMessage))
            : step.error === undefined
              ? ''
              : firstLine(step.error.message),
        ]),
      ),
    );
    for (const step of steps) if (step.items !== undefined) lines.push(...itemLines(step.step, step.items, withOutputs));
  }
  if (withOutputs) {
    lines.push('', 'outputs:');
    for (const step of steps) lines.push(`  ${safe(step.step)}: ${valueText(step.output)}`);
  }
  return lines.join('\n');
}
