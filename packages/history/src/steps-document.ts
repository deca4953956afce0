import type { RecordedValue } from './records';
import type { StepsDocument, StoredAttempt, StoredStep } from './store';

/**
 * The steps document as stored (schema 3): built by hand as one string, once per run write.
 * Serialising every step as an object with keys cost more than everything else history does per
 * step (JSON.stringify of ~130 bytes a step, then those bytes through SQLite), so a step is a row:
 *
 *   {"v":3,"at":<run start>,"steps":[[step, status, attempts, start - at, durationMs, output, extra?], ...],"inner":[...]}
 *
 * Times are ms relative to the run's start, rounded to µs. `output` is null (none), `[<the value's
 * JSON>]` (recorded whole: embedded as JSON, not as an escaped string), or the RecordedValue object
 * (truncated, unserialisable, omitted). `extra` carries the rare fields (error, skipReason, skipMessage,
 * reused, tries, items: a map step's items, capped in map-items.ts); documents written before
 * skipMessage and items existed lack them and read as they are (no migration). `inner` (nested
 * flows' attempts) keeps the object form. Documents written before (schema 2:
 * `{"steps":[{...}]}`) are read as they are.
 */
export const STEPS_FORMAT = 3;

/** ms rounded to µs: shorter text, and µs is finer than anything a step can be timed at. */
const us = (ms: number): number => Math.round(ms * 1000) / 1000;

/** JSON of step names, made once per name (a flow's runs repeat them). */
const names = new Map<string, string>();
function nameJson(name: string): string {
  let json = names.get(name);
  if (json === undefined) {
    json = JSON.stringify(name);
    if (names.size < 10_000) names.set(name, json);
  }
  return json;
}

function outputJson(output: RecordedValue): string {
  if (output.state === 'none') return 'null';
  if (output.state === 'ok' && output.bytes === undefined && output.json !== undefined) return `[${output.json}]`;
  return JSON.stringify(output);
}

export function encodeSteps(steps: Iterable<StoredStep>, inner: readonly StoredAttempt[] | undefined, at: number): string {
  let text = `{"v":${STEPS_FORMAT},"at":${at},"steps":[`;
  let first = true;
  for (const step of steps) {
    text += `${first ? '' : ','}[${nameJson(step.step)},"${step.status}",${step.attempts},${step.startedAt === undefined ? 'null' : us(step.startedAt - at)},${step.durationMs === undefined ? 'null' : us(step.durationMs)},${outputJson(step.output)}`;
    if (
      step.error !== undefined ||
      step.skipReason !== undefined ||
      step.reused !== undefined ||
      step.tries !== undefined ||
      step.items !== undefined
    ) {
      const { error, skipReason, skipMessage, reused, tries, items } = step;
      text += `,${JSON.stringify({ error, skipReason, skipMessage, reused, tries, items })}`;
    }
    text += ']';
    first = false;
  }
  text += ']';
  if (inner !== undefined) text += `,"inner":${JSON.stringify(inner)}`;
  return `${text}}`;
}

type StepRow = [string, StoredStep['status'], number, number | null, number | null, unknown, Partial<StoredStep>?];

export function decodeSteps(text: string): StepsDocument {
  const parsed = JSON.parse(text) as StepsDocument | { v: number; at: number; steps: StepRow[]; inner?: StoredAttempt[] };
  if (!('v' in parsed)) return parsed;
  const at = parsed.at;
  const steps = parsed.steps.map(([step, status, attempts, start, durationMs, output, extra]): StoredStep => {
    const stored: StoredStep = {
      step,
      status,
      attempts,
      output:
        output === null
          ? { state: 'none' }
          : Array.isArray(output)
            ? { state: 'ok', json: JSON.stringify(output[0]) }
            : (output as RecordedValue),
    };
    if (start !== null) stored.startedAt = us(at + start);
    if (durationMs !== null) stored.durationMs = durationMs;
    if (extra?.error !== undefined) stored.error = extra.error;
    if (extra?.skipReason !== undefined) stored.skipReason = extra.skipReason;
    if (extra?.skipMessage !== undefined) stored.skipMessage = extra.skipMessage;
    if (extra?.items !== undefined) stored.items = extra.items;
    if (extra?.reused !== undefined) stored.reused = extra.reused;
    if (extra?.tries !== undefined) stored.tries = extra.tries;
    return stored;
  });
  return parsed.inner === undefined ? { steps } : { steps, inner: parsed.inner };
}
