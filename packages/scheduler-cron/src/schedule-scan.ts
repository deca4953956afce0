import { CascadenceError } from '@cascadence/core';
import { validateCron, validateTimeZone } from './cron';
import type { ScheduleEntry } from './schedule-file';

/**
 * A line scanner for the common shape of a schedules file: one `name: "cron"` entry per line at
 * column 0, with blank lines and comments between. It reads a 100,000-entry file in tens of
 * milliseconds where the YAML document takes seconds, and it is only a shortcut: on anything it
 * does not fully understand (other long-form entries, an indented line, an anchor, a duplicate key, a
 * value the YAML parser could read as something other than that string, an invalid expression)
 * it returns undefined and the caller parses the whole document, which stays the authority. The
 * long form with a time zone that the CLI writes (`name: { cron: "…", timezone: "…" }`) is read too.
 * Property tests check that whatever it accepts, the YAML parser reads the same way.
 */
export class ScannedSchedules {
  readonly entries: ScheduleEntry[] = [];
  /** Lines in the text (a last line without a line break counts). */
  lines = 0;
  /** Entry number by task name. */
  readonly index = new NameIndex();
  // Per entry, 4 offsets into the text: line start, line end (before the break), value start
  // and end (quotes included); and the value's style. Typed arrays grown by doubling: a scan
  // of 100,000 lines otherwise spends much of its time collecting garbage.
  private spans = new Int32Array(4 * 256);
  private styles = new Uint8Array(256);

  lineStart(entry: number): number {
    return this.spans[entry * 4] as number;
  }

  lineEnd(entry: number): number {
    return this.spans[entry * 4 + 1] as number;
  }

  valueFrom(entry: number): number {
    return this.spans[entry * 4 + 2] as number;
  }

  valueTo(entry: number): number {
    return this.spans[entry * 4 + 3] as number;
  }

  valueStyle(entry: number): ScalarStyle {
    return STYLES[this.styles[entry] as number] as ScalarStyle;
  }

  /** @internal */
  push(entry: ScheduleEntry, lineStart: number, lineEnd: number, valueFrom: number, valueTo: number, style: ScalarStyle): void {
    const at = this.entries.length;
    if (at === this.styles.length) {
      const spans = new Int32Array(this.spans.length * 2);
      spans.set(this.spans);
      this.spans = spans;
      const styles = new Uint8Array(this.styles.length * 2);
      styles.set(this.styles);
      this.styles = styles;
    }
    this.index.add(entry.task, at);
    this.entries.push(entry);
    this.spans[at * 4] = lineStart;
    this.spans[at * 4 + 1] = lineEnd;
    this.spans[at * 4 + 2] = valueFrom;
    this.spans[at * 4 + 3] = valueTo;
    this.styles[at] = STYLES.indexOf(style);
  }
}

const STYLES: readonly ScalarStyle[] = ['QUOTE_DOUBLE', 'QUOTE_SINGLE', 'PLAIN'];

export type ScalarStyle = 'QUOTE_DOUBLE' | 'QUOTE_SINGLE' | 'PLAIN';

// A plain key the YAML core schema reads as that very string (not a bool, null or number).
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_./-]*$/;
// YAML limits an implicit key to 1,024 characters.
const MAX_KEY = 1000;
const RESERVED_KEY = /^(?:true|false|null)$/i;
// A plain value: starts with a letter or digit, has a space (so it is no number, bool or null),
// and holds no character YAML gives a meaning to inside a plain scalar here (`:`, `#`, quotes,
// flow indicators).
const PLAIN_VALUE = /^[0-9A-Za-z][0-9A-Za-z*/,?\- ]* [0-9A-Za-z*/,?\- ]*$/;

/** Scans `text` (BOM already removed); undefined when the full parser must decide. */
export function scanSchedules(text: string): ScannedSchedules | undefined {
  const out = new ScannedSchedules();
  const length = text.length;
  let start = 0;
  let line = 0;
  while (start < length) {
    line++;
    let next = text.indexOf('\n', start);
    if (next < 0) next = length;
    let end = next;
    if (next < length && end > start && text.charCodeAt(end - 1) === 13) end--; // CRLF
    if (!scanLine(text, start, end, line, out)) return undefined;
    start = next + 1;
  }
  out.lines = line;
  return out;
}

function scanLine(text: string, start: number, end: number, line: number, out: ScannedSchedules): boolean {
  let at = start;
  while (at < end && text.charCodeAt(at) === 32) at++;
  if (at === end) return true; // blank
  const first = text.charCodeAt(at);
  if (first === 35) return plain(text, at, end); // a comment line (`#`, possibly indented)
  if (at !== start) return false; // an indented line belongs to something longer
  // The key.
  let task: string;
  if (first === 34) {
    const close = text.indexOf('"', at + 1);
    if (close < 0 || close >= end) return false;
    task = text.slice(at + 1, close);
    if (task === '' || task.length > MAX_KEY || !simpleQuoted(task, '"')) return false;
    at = close + 1;
  } else {
    const colon = text.indexOf(':', at);
    if (colon < 0 || colon >= end) return false;
    task = text.slice(at, colon);
    if (task.length > MAX_KEY || !PLAIN_KEY.test(task) || RESERVED_KEY.test(task)) return false;
    at = colon;
  }
  if (text.charCodeAt(at) !== 58 || text.charCodeAt(at + 1) !== 32) return false;
  at += 2;
  while (at < end && text.charCodeAt(at) === 32) at++;
  // The value.
  const valueFrom = at;
  let valueTo: number;
  let raw: string;
  let style: ScalarStyle;
  const open = text.charCodeAt(at);
  if (open === 123) return scanLongForm(text, start, end, line, out, task, at);
  if (open === 34 || open === 39) {
    const quote = open === 34 ? '"' : "'";
    const close = text.indexOf(quote, at + 1);
    if (close < 0 || close >= end) return false;
    raw = text.slice(at + 1, close);
    if (!simpleQuoted(raw, quote)) return false;
    valueTo = close + 1;
    style = open === 34 ? 'QUOTE_DOUBLE' : 'QUOTE_SINGLE';
    at = valueTo;
    while (at < end && text.charCodeAt(at) === 32) at++;
    if (at < end && (text.charCodeAt(at) !== 35 || at === valueTo)) return false; // only ` # comment` may follow
  } else {
    const hash = text.indexOf(' #', at);
    const stop = hash >= 0 && hash < end ? hash : end;
    valueTo = stop;
    while (valueTo > valueFrom && text.charCodeAt(valueTo - 1) === 32) valueTo--;
    raw = text.slice(valueFrom, valueTo);
    if (!PLAIN_VALUE.test(raw)) return false;
    style = 'PLAIN';
  }
  if (!plain(text, start, end)) return false;
  if (out.index.get(task) !== undefined) return false; // a duplicate key: the parser reports it
  let cron: string;
  try {
    validateCron(raw);
    cron = raw.trim();
  } catch (error) {
    if (CascadenceError.isInstance(error)) return false; // the parser reports it, with its position
    throw error;
  }
  out.push({ task, cron, line, column: 1 }, start, end, valueFrom, valueTo, style);
  return true;
}

/**
 * The long form the CLI writes when a time zone is set, on one line: `name: { cron: "…", timezone: "…" }`
 * (either value double- or single-quoted, a ` # comment` may follow). Other options, another order,
 * or a mapping over several lines go to the parser. The cron value's span is the entry's value span,
 * so an edit of the expression alone is made like one of a short entry.
 */
function scanLongForm(text: string, start: number, end: number, line: number, out: ScannedSchedules, task: string, from: number): boolean {
  let at = skipSpaces(text, from + 1, end);
  if (!text.startsWith('cron: ', at)) return false;
  const cronValue = quoted(text, skipSpaces(text, at + 6, end), end);
  if (cronValue === undefined) return false;
  at = skipSpaces(text, cronValue.to, end);
  if (text.charCodeAt(at) !== 44) return false; // ,
  at = skipSpaces(text, at + 1, end);
  if (!text.startsWith('timezone: ', at)) return false;
  const zoneValue = quoted(text, skipSpaces(text, at + 10, end), end);
  if (zoneValue === undefined) return false;
  at = skipSpaces(text, zoneValue.to, end);
  if (text.charCodeAt(at) !== 125) return false; // }
  const close = at + 1;
  at = skipSpaces(text, close, end);
  if (at < end && (text.charCodeAt(at) !== 35 || at === close)) return false; // only ` # comment` may follow
  if (!plain(text, start, end)) return false;
  if (out.index.get(task) !== undefined) return false;
  let cron: string;
  let timezone: string;
  try {
    cron = validateCron(cronValue.raw).expression;
    timezone = validateTimeZone(zoneValue.raw);
  } catch (error) {
    if (CascadenceError.isInstance(error)) return false;
    throw error;
  }
  out.push({ task, cron, timezone, line, column: 1 }, start, end, cronValue.from, cronValue.to, cronValue.style);
  return true;
}

function skipSpaces(text: string, at: number, end: number): number {
  while (at < end && text.charCodeAt(at) === 32) at++;
  return at;
}

/** A simple quoted scalar starting at `at` (see `simpleQuoted`), or undefined. */
function quoted(text: string, at: number, end: number): { raw: string; from: number; to: number; style: ScalarStyle } | undefined {
  const open = text.charCodeAt(at);
  if (open !== 34 && open !== 39) return undefined;
  const quote = open === 34 ? '"' : "'";
  const close = text.indexOf(quote, at + 1);
  if (close < 0 || close >= end) return undefined;
  const raw = text.slice(at + 1, close);
  if (!simpleQuoted(raw, quote)) return undefined;
  return { raw, from: at, to: close + 1, style: open === 34 ? 'QUOTE_DOUBLE' : 'QUOTE_SINGLE' };
}

/** Quoted text with no escapes, line breaks or unusual characters (see `plain`). */
function simpleQuoted(value: string, quote: string): boolean {
  if (quote === '"' && value.includes('\\')) return false; // a backslash escape
  return plain(value, 0, value.length);
}

/**
 * Only printable characters the YAML parser reads as themselves: no control characters (tab
 * and carriage return included), no C1 controls, no lone surrogates (undecodable bytes), no
 * byte-order mark, no line or paragraph separators.
 */
function plain(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 32 || (c >= 127 && c <= 159) || (c >= 0xd800 && c <= 0xdfff) || c === 0xfeff || c === 0x2028 || c === 0x2029) return false;
  }
  return true;
}

/**
 * Entry numbers by name: an open-addressing hash table of FNV-1a hashes. At 100,000 names it is
 * several times cheaper than a Map (which hashes and grows in ways that dominated a scan).
 */
export class NameIndex {
  private names: string[] = [];
  private values: number[] = [];
  private hashes: number[] = [];
  private slots = new Int32Array(1024).fill(-1);

  get size(): number {
    return this.names.length;
  }

  get(name: string): number | undefined {
    const mask = this.slots.length - 1;
    for (let slot = hashOf(name) & mask; ; slot = (slot + 1) & mask) {
      const at = this.slots[slot] as number;
      if (at === -1) return undefined;
      if (this.names[at] === name) return this.values[at];
    }
  }

  /** Adds a name that is not in the index yet. */
  add(name: string, value: number): void {
    if ((this.names.length + 1) * 2 > this.slots.length) this.grow();
    const hash = hashOf(name);
    this.place(hash, this.names.length);
    this.names.push(name);
    this.values.push(value);
    this.hashes.push(hash);
  }

  private place(hash: number, at: number): void {
    const mask = this.slots.length - 1;
    let slot = hash & mask;
    while (this.slots[slot] !== -1) slot = (slot + 1) & mask;
    this.slots[slot] = at;
  }

  private grow(): void {
    this.slots = new Int32Array(this.slots.length * 2).fill(-1);
    for (let i = 0; i < this.hashes.length; i++) this.place(this.hashes[i] as number, i);
  }
}

function hashOf(name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}
