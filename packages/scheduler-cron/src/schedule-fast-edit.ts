import type { ScheduleEntry, ScheduleEntryOptions, ScheduleOptions } from './schedule-file';
import { scanSchedules, type ScannedSchedules } from './schedule-scan';
import { applyEdits, keyText, quotedText, scalarText, type TextEdit } from './yaml-edit';

/**
 * Changes to a file the line scanner read (`scanSchedules`), made from its line offsets instead
 * of the YAML document: the same text `setEntryEdits` / `deleteEntryEdits` give for one-line
 * entries, short or long with a time zone only (property tests compare the two on generated
 * files). A mutation returns undefined when it is not sure (an option other than the time zone,
 * a change of form, a name with no entry): the caller
 * then takes the full parser's path, which also words the errors.
 */
export type FastMutation = (scanned: ScannedSchedules, text: string, eol: string) => FastChange | undefined;

export interface FastChange {
  /** New value text of existing entries (by entry number). */
  replace: Array<{ entry: number; insert: string }>;
  /** Entries whose line goes. */
  remove: number[];
  /** Lines added at the end (with a leading line break when the text lacks a final one). */
  append: string;
  expected: Map<string, { cron: string; options: ScheduleEntryOptions } | null>;
}

/** `name: "cron"` entries set (the last request per task wins); undefined if any needs options. */
export function fastUpsert(
  requests: ReadonlyArray<{ task: string; cron: string; options?: ScheduleOptions }>,
  merge: (entry: ScheduleEntryOptions | undefined, changes: ScheduleOptions) => ScheduleEntryOptions,
): FastMutation {
  return (scanned, text, eol) => {
    const change: FastChange = { replace: [], remove: [], append: '', expected: new Map() };
    const last = new Map(requests.map((request) => [request.task, request]));
    for (const request of last.values()) {
      const at = scanned.index.get(request.task);
      const entry = at === undefined ? undefined : (scanned.entries[at] as ScheduleEntry);
      // A scanned entry has no options but perhaps a time zone (the one-line long form).
      const options = merge(entry?.timezone === undefined ? undefined : { timezone: entry.timezone }, request.options ?? {});
      if (Object.keys(options).some((key) => key !== 'timezone')) return undefined;
      change.expected.set(request.task, { cron: request.cron, options });
      if (at === undefined || entry === undefined) {
        const needsBreak = text.length > 0 && !text.endsWith('\n') && change.append === '';
        const value =
          options.timezone === undefined
            ? quotedText(request.cron)
            : `{ cron: ${quotedText(request.cron)}, timezone: ${quotedText(options.timezone)} }`;
        change.append += `${needsBreak ? eol : ''}${keyText(request.task)}: ${value}${eol}`;
        continue;
      }
      // A time zone set, changed or cleared changes the entry's form: the document path edits it.
      if (options.timezone !== entry.timezone) return undefined;
      if (entry.cron === request.cron) continue;
      const from = scanned.valueFrom(at);
      const to = scanned.valueTo(at);
      const style = scanned.valueStyle(at);
      const raw = style === 'PLAIN' ? text.slice(from, to) : text.slice(from + 1, to - 1);
      if (raw === request.cron) continue;
      change.replace.push({ entry: at, insert: scalarText(request.cron, { type: style }) });
    }
    return change;
  };
}

/** Removes `task`'s line (with its line break); undefined when it has no scanned entry. */
export function fastRemove(task: string): FastMutation {
  return (scanned) => {
    const at = scanned.index.get(task);
    if (at === undefined) return undefined;
    return { replace: [], remove: [at], append: '', expected: new Map([[task, null]]) };
  };
}

/**
 * The text and entries after `change`, or undefined when an edited or added line would not scan
 * back as expected (the caller then takes the full parser's path). Only the edited lines are
 * scanned again: the scanner reads each line on its own, so the other lines read as before.
 */
export function applyFastChange(
  scanned: ScannedSchedules,
  text: string,
  change: FastChange,
): { after: string; entries: ScheduleEntry[] } | undefined {
  const edits: TextEdit[] = [];
  const entries = scanned.entries.slice();
  for (const { entry, insert } of change.replace) {
    const start = scanned.lineStart(entry);
    const line = text.slice(start, scanned.valueFrom(entry)) + insert + text.slice(scanned.valueTo(entry), scanned.lineEnd(entry));
    const old = entries[entry] as ScheduleEntry;
    const read = scanSchedules(line)?.entries;
    const expected = change.expected.get(old.task);
    if (
      read?.length !== 1 ||
      read[0]?.task !== old.task ||
      read[0].cron !== expected?.cron ||
      read[0].timezone !== expected.options.timezone
    )
      return undefined;
    entries[entry] = { ...old, cron: read[0].cron };
    edits.push({ from: scanned.valueFrom(entry), to: scanned.valueTo(entry), insert });
  }
  if (change.append !== '') {
    const added = scanSchedules(change.append);
    if (added === undefined) return undefined;
    const wanted = [...change.expected.keys()].filter((task) => scanned.index.get(task) === undefined);
    if (
      added.entries.length !== wanted.length ||
      added.entries.some(
        (entry, i) =>
          entry.task !== wanted[i] ||
          entry.cron !== change.expected.get(entry.task)?.cron ||
          entry.timezone !== change.expected.get(entry.task)?.options.timezone,
      )
    )
      return undefined;
    const shift = scanned.lines - (text.length > 0 && !text.endsWith('\n') ? 1 : 0);
    for (const entry of added.entries) entries.push({ ...entry, line: entry.line + shift });
    edits.push({ from: text.length, to: text.length, insert: change.append });
  }
  if (change.remove.length === 0) return { after: applyEdits(text, edits), entries };
  const gone = new Set(change.remove);
  const kept: ScheduleEntry[] = [];
  let removedAbove = 0;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as ScheduleEntry;
    if (gone.has(i)) {
      removedAbove++;
      const nl = text.indexOf('\n', scanned.lineEnd(i));
      edits.push({ from: scanned.lineStart(i), to: nl < 0 ? text.length : nl + 1, insert: '' });
    } else {
      kept.push(removedAbove === 0 ? entry : { ...entry, line: entry.line - removedAbove });
    }
  }
  return { after: applyEdits(text, edits), entries: kept };
}
