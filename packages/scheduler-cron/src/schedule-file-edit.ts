import { resolve } from 'node:path';
import { CascadenceError } from '@cascadence/core';
import { validateCron } from './cron';
import { didYouMean, ScheduleErrorCode, shown } from './errors';
import {
  readBytesIfExists,
  readBytesIfExistsSync,
  resolveWriteTarget,
  withFileLock,
  writeFileAtomic,
  type FileSignature,
  type LockOptions,
} from './files';
import { applyFastChange, fastRemove, fastUpsert, type FastMutation } from './schedule-fast-edit';
import {
  checkOptionNames,
  normalizeOptions,
  OPTION_KEYS,
  parseSchedules,
  type ParsedSchedules,
  type ScheduleEntries,
  type ScheduleEntry,
  type ScheduleEntryOptions,
  type ScheduleOptions,
} from './schedule-file';
import { scanSchedules } from './schedule-scan';
import { decodeSource, encodeSource, type SourceText } from './source-text';
import { applyEdits, deleteEntryEdits, setEntryEdits, type EditContext, type TextEdit } from './yaml-edit';

// Changes to the schedules file: each a read-modify-write under the file's lock that edits only
// the touched entries' text (see yaml-edit.ts), made from the line scanner's offsets when it is
// sure (schedule-fast-edit.ts), else from the YAML document.

/**
 * A change to apply to the parsed file under the lock: returns the text edits (or throws), and
 * what each touched task must look like afterwards (`null`: removed). No edits: nothing is written.
 */
export type ScheduleMutation = (
  parsed: ParsedSchedules,
  ctx: EditContext,
) => { edits: TextEdit[]; expected: Map<string, { cron: string; options: ScheduleEntryOptions } | null> };

export interface UpdateResult {
  /** False when the change was a no-op: nothing was written. */
  written: boolean;
  /** Entries of the file after the change. */
  entries: ScheduleEntry[];
  problems: CascadenceError[];
  /** Signature of the file after the write (or as read). */
  signature: FileSignature | undefined;
}

/** Reads the schedules file as `SourceText` (undefined when it does not exist); errors name the path. */
export function readScheduleSourceSync(path: string): SourceText | undefined {
  const bytes = readBytesIfExistsSync(path, 'schedules file');
  return bytes === undefined ? undefined : decodeSource(bytes, path);
}

export async function readScheduleSource(path: string): Promise<SourceText | undefined> {
  const bytes = await readBytesIfExists(path, 'schedules file');
  return bytes === undefined ? undefined : decodeSource(bytes, path);
}

/** The text after a change, or `after: undefined` when the change is a no-op. */
export interface PlannedEdit extends ScheduleEntries {
  after: string | undefined;
}

/**
 * A change to the file's text, checked: with `fast`, the line scanner reads the file and the
 * change is made from its line offsets when both are sure; else (or then undecided) the YAML
 * document is parsed (a file that does not parse is never changed) and `mutate` edits it.
 * Either way everything outside the edited entries stays byte for byte, and the result must read
 * back with exactly the touched entries changed.
 */
export function planScheduleEdit(text: string, eol: string, path: string, mutate: ScheduleMutation, fast?: FastMutation): PlannedEdit {
  if (fast !== undefined) {
    const scanned = scanSchedules(text);
    const change = scanned === undefined ? undefined : fast(scanned, text, eol);
    if (scanned !== undefined && change !== undefined) {
      if (change.replace.length === 0 && change.remove.length === 0 && change.append === '')
        return { after: undefined, entries: scanned.entries, problems: [] };
      const done = applyFastChange(scanned, text, change);
      if (done !== undefined) return { ...done, problems: [] };
    }
  }
  const parsed = parseSchedules(text, path);
  const ctx: EditContext = { path, text, doc: parsed.doc, eol, position: parsed.position };
  const { edits, expected } = mutate(parsed, ctx);
  const after = edits.length === 0 ? text : applyEdits(text, edits);
  if (after === text) return { after: undefined, entries: parsed.entries, problems: parsed.problems };
  const reparsed = parseSchedules(after, path);
  checkRoundTrip(path, parsed, reparsed, expected);
  return { after, entries: reparsed.entries, problems: reparsed.problems };
}

/**
 * Read-modify-write of the schedules file under its lock: read the current bytes (whatever
 * other processes wrote), plan the edit (`planScheduleEdit`), write atomically (temp file and
 * rename). A symlink is followed: the lock, the temp file and the write are at its target.
 */
export async function updateSchedulesFile(
  path: string,
  mutate: ScheduleMutation,
  lockOptions: LockOptions = {},
  fast?: FastMutation,
): Promise<UpdateResult> {
  const absolute = resolve(path);
  const target = await resolveWriteTarget(absolute);
  return withFileLock(
    target,
    async (assertHeld) => {
      const source = (await readScheduleSource(target)) ?? { text: '', bom: false, eol: '\n' as const };
      const { after, entries, problems } = planScheduleEdit(source.text, source.eol, absolute, mutate, fast);
      if (after === undefined) return { written: false, entries, problems, signature: undefined };
      assertHeld();
      const signature = await writeFileAtomic(target, encodeSource(source, after), { shownPath: absolute });
      return { written: true, entries, problems, signature };
    },
    lockOptions,
  );
}

/** The edit must change exactly the touched entries: anything else is refused, nothing written. */
function checkRoundTrip(
  path: string,
  before: ScheduleEntries,
  after: ScheduleEntries,
  expected: Map<string, { cron: string; options: ScheduleEntryOptions } | null>,
): void {
  const strip = (entry: ScheduleEntry): string => JSON.stringify({ ...entry, line: 0, column: 0 });
  const old = new Map(before.entries.map((entry) => [entry.task, strip(entry)]));
  const now = new Map(after.entries.map((entry) => [entry.task, entry]));
  const problem = (what: string): CascadenceError =>
    new CascadenceError(
      ScheduleErrorCode.SCHEDULES_INVALID,
      `${path}: cannot edit the schedules file without changing more than asked (${what}); the file was not changed`,
      {
        details: { path },
      },
    );
  for (const [task, entry] of old) {
    if (expected.has(task)) continue;
    const current = now.get(task);
    if (current === undefined || strip(current) !== entry) throw problem(`schedule ${shown(task, 60)} would change`);
  }
  for (const task of now.keys()) if (!old.has(task) && !expected.has(task)) throw problem(`schedule ${shown(task, 60)} would appear`);
  const problemKey = (p: CascadenceError): string => `${String(p.details.task)}\n${p.code}`;
  const oldProblems = new Set(before.problems.filter((p) => !expected.has(p.details.task as string)).map(problemKey));
  const newProblems = new Set(after.problems.filter((p) => !expected.has(p.details.task as string)).map(problemKey));
  if ([...oldProblems].some((p) => !newProblems.has(p)) || [...newProblems].some((p) => !oldProblems.has(p)))
    throw problem('a malformed entry would change');
  for (const [task, want] of expected) {
    const current = now.get(task);
    if (want === null) {
      if (current !== undefined) throw problem(`schedule ${shown(task, 60)} would still be there`);
      continue;
    }
    if (current === undefined || current.cron !== want.cron || !sameOptions(optionsOf(current), want.options)) {
      throw problem(`schedule ${shown(task, 60)} would not read back as written`);
    }
  }
}

/** The options of `entry` merged with `changes` (`null` clears, `undefined` keeps), normalized. */
export function mergeOptions(entry: ScheduleEntryOptions | undefined, changes: ScheduleOptions): ScheduleEntryOptions {
  const merged: ScheduleOptions = {};
  for (const key of OPTION_KEYS) {
    const change = changes[key];
    (merged as Record<string, unknown>)[key] = change === undefined ? entry?.[key] : change;
  }
  return normalizeOptions(merged);
}

export function unknownScheduleError(path: string, task: string, known: string[]): CascadenceError {
  const { hint, suggestions } = didYouMean(task, known);
  return new CascadenceError(ScheduleErrorCode.UNKNOWN_SCHEDULE, `no schedule for task "${task}" in ${path}${hint}`, {
    details: { task, path, known },
    suggestions,
  });
}

function sameOptions(a: ScheduleEntryOptions, b: ScheduleEntryOptions): boolean {
  return OPTION_KEYS.every((key) => JSON.stringify(a[key]) === JSON.stringify(b[key]));
}

/** Options of an entry, without its task, cron and position. */
export function optionsOf(entry: ScheduleEntry): ScheduleEntryOptions {
  const out: ScheduleEntryOptions = {};
  for (const key of OPTION_KEYS) if (entry[key] !== undefined) (out as Record<string, unknown>)[key] = entry[key];
  return out;
}

export interface UpsertRequest {
  task: string;
  cron: string;
  options?: ScheduleOptions;
}

/**
 * Adds or edits schedules in the file in one locked read-modify-write (for the CLI's
 * `task schedule NAME "CRON"`, without a running scheduler). Everything is validated before
 * the file is touched: an invalid expression leaves it byte-for-byte unchanged.
 */
export async function upsertSchedules(path: string, requests: UpsertRequest[], lockOptions: LockOptions = {}): Promise<UpdateResult> {
  const { mutate, fast } = upsertChange(requests);
  return updateSchedulesFile(path, mutate, lockOptions, fast);
}

/** The change `upsertSchedules` makes, both ways (validated before any file is read). */
export function upsertChange(requests: UpsertRequest[]): { mutate: ScheduleMutation; fast: FastMutation } {
  const checked = requests.map((request) => {
    checkOptionNames(request.options ?? {});
    const cron = validateCron(request.cron).expression;
    // Validate the given options now; merging with the file's happens under the lock.
    normalizeOptions(request.options ?? {});
    return { ...request, cron };
  });
  const mutate: ScheduleMutation = (parsed, ctx) => {
    const byTask = new Map(parsed.entries.map((entry) => [entry.task, entry]));
    const edits: TextEdit[] = [];
    const expected = new Map<string, { cron: string; options: ScheduleEntryOptions }>();
    // One edit per task: when a task is requested twice, the last request wins.
    const last = new Map(checked.map((request) => [request.task, request]));
    for (const request of last.values()) {
      const existing = byTask.get(request.task);
      const options = mergeOptions(existing, request.options ?? {});
      expected.set(request.task, { cron: request.cron, options });
      if (existing !== undefined && existing.cron === request.cron && sameOptions(optionsOf(existing), options)) continue;
      edits.push(...setEntryEdits(ctx, request.task, request.cron, options as Record<string, unknown>, OPTION_KEYS));
    }
    return { edits, expected };
  };
  return { mutate, fast: fastUpsert(checked, mergeOptions) };
}

/** Adds or edits one schedule in the file; see `upsertSchedules`. */
export function upsertSchedule(
  path: string,
  task: string,
  cron: string,
  options: ScheduleOptions = {},
  lockOptions: LockOptions = {},
): Promise<UpdateResult> {
  return upsertSchedules(path, [{ task, cron, options }], lockOptions);
}

/** Removes the schedule of `task` from the file; an unknown name throws `CASCADENCE_UNKNOWN_SCHEDULE`. */
export async function removeSchedule(path: string, task: string, lockOptions: LockOptions = {}): Promise<UpdateResult> {
  const absolute = resolve(path);
  const { mutate, fast } = removeChange(absolute, task);
  return updateSchedulesFile(absolute, mutate, lockOptions, fast);
}

/** The change `removeSchedule` makes, both ways. */
export function removeChange(absolute: string, task: string): { mutate: ScheduleMutation; fast: FastMutation } {
  const mutate: ScheduleMutation = (parsed, ctx) => {
    const edits = deleteEntryEdits(ctx, task);
    if (edits === undefined)
      throw unknownScheduleError(
        absolute,
        task,
        parsed.entries.map((entry) => entry.task),
      );
    return { edits, expected: new Map([[task, null]]) };
  };
  return { mutate, fast: fastRemove(task) };
}

/** Sets or clears `paused` on the schedule of `task` (keeping everything else). */
export async function setSchedulePaused(path: string, task: string, paused: boolean, lockOptions: LockOptions = {}): Promise<UpdateResult> {
  const absolute = resolve(path);
  return updateSchedulesFile(
    absolute,
    (parsed, ctx) => {
      const entry = parsed.entries.find((candidate) => candidate.task === task);
      if (entry === undefined) {
        const broken = parsed.problems.find((problem) => problem.details.task === task);
        if (broken !== undefined) throw broken;
        throw unknownScheduleError(
          absolute,
          task,
          parsed.entries.map((candidate) => candidate.task),
        );
      }
      const options = mergeOptions(entry, { paused });
      const expected = new Map([[task, { cron: entry.cron, options }]]);
      if (sameOptions(optionsOf(entry), options)) return { edits: [], expected };
      return { edits: setEntryEdits(ctx, task, entry.cron, options as Record<string, unknown>, OPTION_KEYS), expected };
    },
    lockOptions,
  );
}
