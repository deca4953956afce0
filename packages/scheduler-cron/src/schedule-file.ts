import { resolve } from 'node:path';
import { CascadenceError, SCHEDULE_OVERLAPS, type ScheduleOverlap } from '@cascadence/core';
import { Document, isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair, type YAMLMap } from 'yaml';
import { validateCron, validateTimeZone } from './cron';
import { parseDuration } from './duration';
import { didYouMean, optionError, ScheduleErrorCode, shown } from './errors';
import { readBytesIfExistsSync } from './files';
import { scanSchedules } from './schedule-scan';
import { decodeSource } from './source-text';

/** What happens when a fire is due while the previous run of the same task is still going (core's ScheduleOverlap). */
export type OverlapPolicy = ScheduleOverlap;
export const OVERLAP_POLICIES: readonly OverlapPolicy[] = SCHEDULE_OVERLAPS;

export interface CatchUpOptions {
  /** A fire missed during downtime runs once at start-up if it was due at most this long ago. */
  window: number | string;
}

/** Options of one schedule (the long form of an entry). Absent means the default. */
export interface ScheduleEntryOptions {
  /** IANA zone the expression is read in; default: the scheduler's `timezone` (UTC). */
  timezone?: string;
  /** Default `skip`. */
  overlap?: OverlapPolicy;
  /** Off by default. */
  catchUp?: CatchUpOptions;
  /** Each fire waits a random 0..jitterMs ms after its due time. Default 0. */
  jitterMs?: number;
  /** A paused schedule keeps its entry but does not fire. Default false. */
  paused?: boolean;
}

/**
 * Options given to `schedule()`: a value sets the option, `null` removes it (back to the
 * default), leaving it out keeps what the file already has.
 */
export type ScheduleOptions = {
  [K in keyof ScheduleEntryOptions]?: ScheduleEntryOptions[K] | null;
};

/** One entry of the schedules file. */
export interface ScheduleEntry extends ScheduleEntryOptions {
  task: string;
  cron: string;
  /** 1-based position of the entry's key in the file (0 when not read from a file). */
  line: number;
  column: number;
}

export const ENTRY_KEYS = ['cron', 'timezone', 'overlap', 'catchUp', 'jitterMs', 'paused'] as const;
export const OPTION_KEYS = ['timezone', 'overlap', 'catchUp', 'jitterMs', 'paused'] as const;

/** Result of parsing the file's text: the YAML document (to edit) and its entries. */
export interface ParsedSchedules {
  path: string;
  doc: Document;
  /** The text parsed (the file without its BOM; undecodable bytes as U+DC80..U+DCFF). */
  text: string;
  /** 1-based line and column of an offset of `text`. */
  position: (offset: number) => { line: number; column: number };
  entries: ScheduleEntry[];
  /** Entries that are malformed (each error names path:line:column); they are not in `entries`. */
  problems: CascadenceError[];
}

/**
 * Parses the schedules file's text. YAML syntax errors, and a top level that is not a mapping,
 * throw (`CASCADENCE_SCHEDULES_PARSE` / `CASCADENCE_SCHEDULES_INVALID`, naming path, line and
 * column); a malformed entry is collected in `problems` and left out of `entries`.
 */
export function parseSchedules(text: string, path: string): ParsedSchedules {
  const lineCounter = new LineCounter();
  // Duplicate keys are checked below in O(n): yaml's own check compares every pair of keys.
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false });
  const where = (offset: number | undefined): { line: number; column: number } => {
    if (offset === undefined) return { line: 0, column: 0 };
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  const position = (offset: number): { line: number; column: number } => where(offset);
  const [syntax] = doc.errors;
  if (syntax !== undefined) {
    const pos = syntax.linePos?.[0] ?? where(syntax.pos[0]);
    const line = 'line' in pos ? pos.line : 0;
    const column = 'col' in pos ? pos.col : (pos as { column: number }).column;
    const reason = syntax.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? 'syntax error';
    throw new CascadenceError(
      ScheduleErrorCode.SCHEDULES_PARSE,
      `${path}:${line}:${column}: cannot parse the schedules file: ${reason} (the file was not changed; fix it by hand)`,
      { details: { path, line, column, reason, yamlCode: syntax.code } },
    );
  }
  const entries: ScheduleEntry[] = [];
  const problems: CascadenceError[] = [];
  const contents = doc.contents;
  if (contents === null || (isScalar(contents) && (contents.value === null || contents.value === ''))) {
    return { path, doc, text, position, entries, problems };
  }
  if (!isMap(contents)) {
    const { line, column } = where(contents.range?.[0]);
    const found = isSeq(contents) ? 'a list' : 'a single value';
    throw new CascadenceError(
      ScheduleErrorCode.SCHEDULES_INVALID,
      `${path}:${line}:${column}: the schedules file must be a mapping from task name to cron expression (e.g. example: "0 12 * * *"), found ${found}`,
      { details: { path, line, column } },
    );
  }
  assertUniqueKeys(contents, path, where);
  for (const pair of contents.items as Array<Pair<unknown, unknown>>) {
    const keyNode = pair.key as Node | null;
    const { line, column } = where(keyNode?.range?.[0]);
    const task = isScalar(keyNode) ? keyNode.value : undefined;
    const fail = (problem: string, extra: Record<string, unknown> = {}, suggestions: string[] = [], at = { line, column }): void => {
      const label = typeof task === 'string' ? `schedule ${shown(task, 60)}` : 'entry';
      problems.push(
        new CascadenceError(ScheduleErrorCode.SCHEDULES_INVALID, `${path}:${at.line}:${at.column}: ${label}: ${problem}`, {
          details: { path, line: at.line, column: at.column, task, ...extra },
          suggestions,
        }),
      );
    };
    if (typeof task !== 'string' || task === '') {
      fail('the key must be a task name');
      continue;
    }
    let valueNode = pair.value as Node | null;
    if (isAlias(valueNode)) valueNode = (valueNode.resolve(doc) ?? null) as Node | null;
    const valueAt = valueNode?.range ? where(valueNode.range[0]) : { line, column };
    try {
      if (isScalar(valueNode) && typeof valueNode.value === 'string') {
        validateCron(valueNode.value);
        entries.push({ task, cron: valueNode.value.trim(), line, column });
      } else if (isMap(valueNode)) {
        const raw = valueNode.toJSON() as Record<string, unknown>;
        entries.push({ task, ...checkEntryOptions(raw), line, column });
      } else {
        fail(
          'expected a cron expression string (e.g. "0 12 * * *") or a mapping { cron, timezone, overlap, catchUp, jitterMs, paused }',
          {},
          [],
          valueAt,
        );
      }
    } catch (error) {
      if (!CascadenceError.isInstance(error)) throw error;
      fail(error.message, { code: error.code, ...error.details }, error.suggestions, valueAt);
    }
  }
  return { path, doc, text, position, entries, problems };
}

/** What the scheduler and the listing need of the file: its entries and malformed ones. */
export interface ScheduleEntries {
  entries: ScheduleEntry[];
  problems: CascadenceError[];
}

/**
 * The entries of the file's text: read by the line scanner when the file has its common
 * one-line-per-entry shape (fast at 100,000 entries), else by `parseSchedules`, which stays the
 * authority (same results, same errors).
 */
export function scheduleEntries(text: string, path: string): ScheduleEntries {
  const scanned = scanSchedules(text);
  if (scanned !== undefined) return { entries: scanned.entries, problems: [] };
  const { entries, problems } = parseSchedules(text, path);
  return { entries, problems };
}

/** Duplicate keys (in the file or in one long-form entry) are a parse error at the second one. */
function assertUniqueKeys(map: YAMLMap, path: string, where: (offset: number | undefined) => { line: number; column: number }): void {
  const check = (items: Array<Pair<unknown, unknown>>): void => {
    const seen = new Map<unknown, Node>();
    for (const pair of items) {
      const key = pair.key as Node | null;
      const value = isScalar(key) ? key.value : key;
      const first = seen.get(value);
      if (first !== undefined) {
        const { line, column } = where(key?.range?.[0]);
        const before = where(first.range?.[0]);
        throw new CascadenceError(
          ScheduleErrorCode.SCHEDULES_PARSE,
          `${path}:${line}:${column}: cannot parse the schedules file: duplicate key ${shown(value, 60)} (first at line ${before.line}) (the file was not changed; fix it by hand)`,
          { details: { path, line, column, reason: 'duplicate key', yamlCode: 'DUPLICATE_KEY' } },
        );
      }
      if (key !== null) seen.set(value, key);
      if (isMap(pair.value)) check(pair.value.items as Array<Pair<unknown, unknown>>);
    }
  };
  check(map.items as Array<Pair<unknown, unknown>>);
}

/** Validates a long-form entry; throws (a CascadenceError) on the first problem. */
function checkEntryOptions(raw: Record<string, unknown>): { cron: string } & ScheduleEntryOptions {
  for (const key of Object.keys(raw)) {
    if (!(ENTRY_KEYS as readonly string[]).includes(key)) {
      const { hint, suggestions } = didYouMean(key, ENTRY_KEYS);
      throw optionError(`unknown option "${key}"${hint}; known: ${ENTRY_KEYS.join(', ')}`, { option: key }, suggestions);
    }
  }
  if (typeof raw.cron !== 'string') throw optionError('"cron" is required and must be a string such as "0 12 * * *"', { option: 'cron' });
  const cron = validateCron(raw.cron).expression;
  const options = normalizeOptions(raw as ScheduleOptions);
  return { cron, ...options };
}

/**
 * Validates options and drops the ones equal to their default (so an entry with only defaults
 * is written in the short form). `null` and `undefined` both mean "not set".
 */
export function normalizeOptions(options: ScheduleOptions): ScheduleEntryOptions {
  const out: ScheduleEntryOptions = {};
  if (options.timezone !== undefined && options.timezone !== null) out.timezone = validateTimeZone(options.timezone);
  if (options.overlap !== undefined && options.overlap !== null) {
    if (!OVERLAP_POLICIES.includes(options.overlap)) {
      const { hint, suggestions } = didYouMean(String(options.overlap), OVERLAP_POLICIES);
      throw optionError(
        `overlap must be one of ${OVERLAP_POLICIES.join(', ')} (got ${JSON.stringify(options.overlap)})${hint}`,
        { option: 'overlap' },
        suggestions,
      );
    }
    if (options.overlap !== 'skip') out.overlap = options.overlap;
  }
  const catchUp = options.catchUp as unknown;
  if (catchUp !== undefined && catchUp !== null && catchUp !== false) {
    if (typeof catchUp !== 'object' || !('window' in (catchUp as object))) {
      throw optionError(`catchUp must be { window: "1h" } (a duration) or false (got ${JSON.stringify(catchUp)})`, { option: 'catchUp' });
    }
    const window = (catchUp as CatchUpOptions).window;
    parseDuration(window, 'catchUp.window');
    out.catchUp = { window };
  }
  if (options.jitterMs !== undefined && options.jitterMs !== null) {
    const jitter = options.jitterMs;
    if (typeof jitter !== 'number' || !Number.isInteger(jitter) || jitter < 0) {
      throw optionError(`jitterMs must be a non-negative integer number of milliseconds (got ${JSON.stringify(jitter)})`, {
        option: 'jitterMs',
      });
    }
    if (jitter > 0) out.jitterMs = jitter;
  }
  if (options.paused !== undefined && options.paused !== null) {
    if (typeof options.paused !== 'boolean')
      throw optionError(`paused must be true or false (got ${JSON.stringify(options.paused)})`, { option: 'paused' });
    if (options.paused) out.paused = true;
  }
  return out;
}

/** Checks the option names given to `schedule()` (typos would otherwise be silently ignored). */
export function checkOptionNames(options: object): void {
  for (const key of Object.keys(options)) {
    if (!(OPTION_KEYS as readonly string[]).includes(key)) {
      const { hint, suggestions } = didYouMean(key, OPTION_KEYS);
      throw optionError(`unknown schedule option "${key}"${hint}; known: ${OPTION_KEYS.join(', ')}`, { option: key }, suggestions);
    }
  }
}

/** Reads and validates a schedules file; a missing file has no entries. Throws on any problem. */
export function readSchedules(path = './schedules.yml'): ScheduleEntry[] {
  const absolute = resolve(path);
  const bytes = readBytesIfExistsSync(absolute, 'schedules file');
  if (bytes === undefined) return [];
  const parsed = scheduleEntries(decodeSource(bytes, absolute).text, absolute);
  if (parsed.problems[0] !== undefined) throw parsed.problems[0];
  return parsed.entries;
}

/**
 * Like `readSchedules` but lenient about entries: malformed ones are returned in `problems`
 * (each naming path:line:column) instead of thrown. YAML syntax errors still throw.
 */
export function inspectSchedules(path = './schedules.yml'): {
  path: string;
  exists: boolean;
  entries: ScheduleEntry[];
  problems: CascadenceError[];
} {
  const absolute = resolve(path);
  const bytes = readBytesIfExistsSync(absolute, 'schedules file');
  if (bytes === undefined) return { path: absolute, exists: false, entries: [], problems: [] };
  const { entries, problems } = scheduleEntries(decodeSource(bytes, absolute).text, absolute);
  return { path: absolute, exists: true, entries, problems };
}
