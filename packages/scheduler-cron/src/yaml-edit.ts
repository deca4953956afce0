import { CascadenceError } from '@cascadence/core';
import { isAlias, isMap, isScalar, isSeq, visit, type Document, type Node, type Pair, type Scalar, type YAMLMap } from 'yaml';
import { ScheduleErrorCode, shown } from './errors';

/**
 * Edits of the schedules file as replacements of byte ranges of its text, never as a
 * re-serialisation of the document: everything outside the edited entry stays exactly as the
 * user wrote it (comments, blank lines, quoting, spacing, line endings, anchors, unknown
 * entries). The rules:
 *
 * - changing an entry replaces only its value (a short entry's quoting style is kept; a long
 *   entry is edited option by option, in block or flow style as it is written);
 * - a new entry is appended as one block-style line (`name: "cron"` or
 *   `name: { cron: "...", timezone: "..." }`) at the end, in the file's line-ending style;
 * - removing an entry removes the lines of that entry only (its key line through the end of its
 *   value, with the comment at the end of its last line); comment lines above or below stay;
 * - an entry whose value carries an anchor (`&base`) that another entry uses (`*base`) is
 *   neither edited nor removed: that would silently change the other entry. The error names it.
 */
export interface TextEdit {
  from: number;
  to: number;
  insert: string;
}

export interface EditContext {
  path: string;
  text: string;
  doc: Document;
  eol: string;
  position: (offset: number) => { line: number; column: number };
  /** Set once an entry was appended (later appends need no leading line break). */
  appended?: boolean;
}

/** Applies non-overlapping edits (any order). */
export function applyEdits(text: string, edits: TextEdit[]): string {
  // From the end, so offsets stay valid; inserts at one offset keep their order.
  const sorted = edits.map((edit, index) => ({ edit, index })).sort((a, b) => b.edit.from - a.edit.from || b.index - a.index);
  let out = text;
  for (const { edit } of sorted) out = out.slice(0, edit.from) + edit.insert + out.slice(edit.to);
  return out;
}

type AnyPair = Pair<unknown, unknown>;

function topMap(doc: Document): YAMLMap | undefined {
  return isMap(doc.contents) ? (doc.contents as YAMLMap) : undefined;
}

export function findEntry(doc: Document, task: string): AnyPair | undefined {
  return (topMap(doc)?.items as AnyPair[] | undefined)?.find((pair) => isScalar(pair.key) && pair.key.value === task);
}

/** YAML text of a double-quoted string (JSON escapes are valid YAML escapes). */
export function quotedText(value: string): string {
  return JSON.stringify(value);
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_./-]*$/;
const RESERVED = /^(true|false|yes|no|on|off|null|y|n|~)$/i;

/** A task name as a key: plain when that reads back as the same string, else double-quoted. */
export function keyText(task: string): string {
  return PLAIN_KEY.test(task) && !RESERVED.test(task) ? task : quotedText(task);
}

/** A scalar's new text in the quoting style of the old one (plain only when it stays a string). */
export function scalarText(value: string, like: Pick<Scalar, 'type'> | undefined): string {
  if (like?.type === 'QUOTE_SINGLE') return `'${value.replace(/'/g, "''")}'`;
  if (like?.type === 'PLAIN' && /^[^\s#'"&*!|>%@`{}[\],:?-][^#:]*$/.test(value) && !/\s$/.test(value) && !/^\d/.test(value)) return value;
  return quotedText(value);
}

function optionText(key: string, value: unknown): string {
  if (key === 'catchUp') {
    const window = (value as { window: number | string }).window;
    return `{ window: ${typeof window === 'string' ? quotedText(window) : String(window)} }`;
  }
  if (typeof value === 'string') return key === 'overlap' ? value : quotedText(value);
  return String(value);
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/** The offset just past the line break ending the line that holds `offset` (or the text's end). */
function pastLineEnd(text: string, offset: number): number {
  const nl = text.indexOf('\n', offset);
  return nl < 0 ? text.length : nl + 1;
}

/** End of a node's own text, without the line breaks a block node's range takes in. */
function contentEnd(text: string, node: Node): number {
  let end = (node.range as [number, number, number])[1];
  while (end > 0 && (text[end - 1] === '\n' || text[end - 1] === '\r')) end--;
  return end;
}

/** Refuses to touch an entry whose anchors are used by aliases outside it. */
export function assertNoSharedAnchor(ctx: EditContext, pair: AnyPair, task: string, action: 'edit' | 'remove'): void {
  const anchors = new Set<string>();
  const collect = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    visit(node as Node, {
      Node(_key, n) {
        const anchor = (n as { anchor?: string }).anchor;
        if (typeof anchor === 'string') anchors.add(anchor);
      },
      Pair(_key, p) {
        const anchor = (p.key as { anchor?: string } | null)?.anchor;
        if (typeof anchor === 'string') anchors.add(anchor);
      },
    });
  };
  collect(pair.key);
  collect(pair.value);
  if (anchors.size === 0) return;
  const users: string[] = [];
  let firstUser: { task: string; anchor: string; line: number } | undefined;
  for (const other of (topMap(ctx.doc)?.items ?? []) as AnyPair[]) {
    if (other === pair) continue;
    const name = isScalar(other.key) ? String(other.key.value) : '?';
    let uses: string | undefined;
    visit(other.value as Node, {
      Alias(_key, alias) {
        if (anchors.has(alias.source)) {
          uses = alias.source;
          if (firstUser === undefined) firstUser = { task: name, anchor: alias.source, line: ctx.position(alias.range?.[0] ?? 0).line };
          return visit.BREAK;
        }
        return undefined;
      },
    });
    if (uses !== undefined) users.push(name);
  }
  if (firstUser === undefined) return;
  const at = ctx.position((pair.key as Node).range?.[0] ?? 0);
  const others = users.map((user) => shown(user, 40)).join(', ');
  throw new CascadenceError(
    ScheduleErrorCode.SCHEDULES_INVALID,
    `${ctx.path}:${at.line}:${at.column}: cannot ${action} schedule ${shown(task, 40)}: its value carries the anchor &${firstUser.anchor}, which ${others} ${users.length === 1 ? 'uses' : 'use'} through the alias *${firstUser.anchor} (line ${firstUser.line}); ${action === 'edit' ? 'editing' : 'removing'} it would ${action === 'edit' ? 'silently change' : 'break'} ${users.length === 1 ? 'that entry' : 'those entries'} too. Give ${others} ${users.length === 1 ? 'its' : 'their'} own value first; the file was not changed`,
    { details: { path: ctx.path, line: at.line, column: at.column, task, anchor: firstUser.anchor, aliasedBy: users } },
  );
}

export type OptionValues = Record<string, unknown>;

/**
 * Edits that make `task`'s entry `cron` with `options` (only keys whose value is not undefined
 * are written; the others are removed). `keys` is the order options are written in.
 */
export function setEntryEdits(ctx: EditContext, task: string, cron: string, options: OptionValues, keys: readonly string[]): TextEdit[] {
  const { text } = ctx;
  const present = keys.filter((key) => options[key] !== undefined);
  const longText = (): string =>
    `{ cron: ${quotedText(cron)}${present.map((key) => `, ${key}: ${optionText(key, options[key])}`).join('')} }`;
  const pair = findEntry(ctx.doc, task);
  if (pair === undefined) return appendEntry(ctx, `${keyText(task)}: ${present.length === 0 ? quotedText(cron) : longText()}`);
  assertNoSharedAnchor(ctx, pair, task, 'edit');
  let value = pair.value as Node | null;
  // `name:` with nothing after it: an empty scalar (its range is where the next line starts).
  if (isScalar(value) && value.range !== undefined && value.range !== null && value.range[0] === value.range[1]) value = null;
  const key = pair.key as Node;
  const afterKey = (): TextEdit => {
    // Replace everything from just after "key:" to the end of the value.
    const colon = text.indexOf(':', (key.range as [number, number, number])[1]);
    const end = value === null ? colon + 1 : contentEnd(text, value);
    return { from: colon + 1, to: end, insert: ` ${present.length === 0 ? quotedText(cron) : longText()}` };
  };
  if (value === null || isAlias(value) || isSeq(value)) return [afterKey()];
  if (present.length === 0) {
    if (isScalar(value)) {
      if (value.value === cron) return [];
      const range = value.range as [number, number, number];
      return [{ from: range[0], to: range[1], insert: scalarText(cron, value) }];
    }
    return [afterKey()];
  }
  if (!isMap(value)) {
    const range = (value as Node).range as [number, number, number];
    return [{ from: range[0], to: range[1], insert: longText() }];
  }
  // A long entry: edit it option by option, keeping its style, comments and order.
  const edits: TextEdit[] = [];
  const items = value.items as AnyPair[];
  const itemOf = (name: string): AnyPair | undefined => items.find((item) => isScalar(item.key) && item.key.value === name);
  const additions: string[] = [];
  const removals: AnyPair[] = [];
  for (const name of ['cron', ...keys]) {
    const wanted = name === 'cron' ? cron : options[name];
    const item = itemOf(name);
    if (wanted === undefined) {
      if (item !== undefined) removals.push(item);
      continue;
    }
    let node = item?.value as Node | null | undefined;
    if (isScalar(node) && node.range !== undefined && node.range !== null && node.range[0] === node.range[1]) node = null;
    if (item === undefined) {
      additions.push(`${name}: ${name === 'cron' ? quotedText(cron) : optionText(name, wanted)}`);
      continue;
    }
    const current = isScalar(node) ? node.value : isMap(node) ? (node.toJSON() as unknown) : undefined;
    if (JSON.stringify(current) === JSON.stringify(wanted)) continue;
    const insert =
      name === 'cron' || name === 'timezone' ? scalarText(wanted as string, isScalar(node) ? node : undefined) : optionText(name, wanted);
    if (node === null || node === undefined) {
      const colon = text.indexOf(':', ((item.key as Node).range as [number, number, number])[1]);
      edits.push({ from: colon + 1, to: colon + 1, insert: ` ${insert}` });
    } else {
      edits.push({ from: (node.range as [number, number, number])[0], to: contentEnd(text, node), insert });
    }
  }
  if (value.flow) {
    for (const item of removals) {
      const index = items.indexOf(item);
      const start = (item.key as Node).range?.[0] as number;
      const end = contentEnd(text, (item.value as Node | null) ?? (item.key as Node));
      if (index > 0) {
        const before = items[index - 1] as AnyPair;
        edits.push({ from: contentEnd(text, (before.value as Node | null) ?? (before.key as Node)), to: end, insert: '' });
      } else if (items.length > 1) {
        edits.push({ from: start, to: ((items[1] as AnyPair).key as Node).range?.[0] as number, insert: '' });
      } else {
        edits.push({ from: start, to: end, insert: '' });
      }
    }
    if (additions.length > 0) {
      const last = items.filter((item) => !removals.includes(item)).at(-1);
      if (last === undefined) {
        const range = value.range as [number, number, number];
        edits.push({ from: range[0], to: contentEnd(text, value), insert: `{ ${additions.join(', ')} }` });
      } else {
        const at = contentEnd(text, (last.value as Node | null) ?? (last.key as Node));
        edits.push({ from: at, to: at, insert: additions.map((a) => `, ${a}`).join('') });
      }
    }
    return edits;
  }
  // Block style: one line per option, at the indentation of the entry's first option.
  const firstKey = (items[0]?.key as Node | undefined)?.range?.[0] ?? (value.range as [number, number, number])[0];
  const indent = text.slice(lineStart(text, firstKey), firstKey);
  for (const item of removals) {
    const start = lineStart(text, (item.key as Node).range?.[0] as number);
    const node = (item.value as Node | null) ?? (item.key as Node);
    edits.push({ from: start, to: pastLineEnd(text, contentEnd(text, node)), insert: '' });
  }
  if (additions.length > 0) {
    const last = items.at(-1) as AnyPair;
    const lastNode = (last.value as Node | null) ?? (last.key as Node);
    const end = pastLineEnd(text, contentEnd(text, lastNode));
    const needsBreak = end === text.length && !text.endsWith('\n');
    edits.push({
      from: end,
      to: end,
      insert: `${needsBreak ? ctx.eol : ''}${additions.map((a) => `${/^\s*$/.test(indent) ? indent : '  '}${a}${ctx.eol}`).join('')}`,
    });
  }
  return edits;
}

/** A new entry at the end of the file (or of a flow mapping). */
function appendEntry(ctx: EditContext, entry: string): TextEdit[] {
  const { text } = ctx;
  const map = topMap(ctx.doc);
  if (map !== undefined && map.flow) {
    const items = map.items as AnyPair[];
    const range = map.range as [number, number, number];
    if (items.length === 0) return [{ from: range[0], to: contentEnd(text, map), insert: entry }];
    const last = items.at(-1) as AnyPair;
    const at = contentEnd(text, (last.value as Node | null) ?? (last.key as Node));
    return [{ from: at, to: at, insert: `, ${entry}` }];
  }
  let indent = '';
  const firstKey = (map?.items[0]?.key as Node | undefined)?.range?.[0];
  if (firstKey !== undefined) indent = text.slice(lineStart(text, firstKey), firstKey);
  if (!/^[ ]*$/.test(indent)) indent = '';
  const needsBreak = text.length > 0 && !text.endsWith('\n') && ctx.appended !== true;
  ctx.appended = true;
  return [{ from: text.length, to: text.length, insert: `${needsBreak ? ctx.eol : ''}${indent}${entry}${ctx.eol}` }];
}

/** Edits that remove `task`'s entry (its own lines only), or undefined when there is none. */
export function deleteEntryEdits(ctx: EditContext, task: string): TextEdit[] | undefined {
  const { text } = ctx;
  const map = topMap(ctx.doc);
  const pair = findEntry(ctx.doc, task);
  if (map === undefined || pair === undefined) return undefined;
  assertNoSharedAnchor(ctx, pair, task, 'remove');
  const key = pair.key as Node;
  const value = pair.value as Node | null;
  const keyStart = key.range?.[0] as number;
  if (map.flow) {
    const items = map.items as AnyPair[];
    const index = items.indexOf(pair);
    const end = contentEnd(text, value ?? key);
    if (index > 0) {
      const before = items[index - 1] as AnyPair;
      return [{ from: contentEnd(text, (before.value as Node | null) ?? (before.key as Node)), to: end, insert: '' }];
    }
    if (items.length > 1) return [{ from: keyStart, to: ((items[1] as AnyPair).key as Node).range?.[0] as number, insert: '' }];
    return [{ from: keyStart, to: end, insert: '' }];
  }
  const start = lineStart(text, keyStart);
  const from = /^[ \t]*$/.test(text.slice(start, keyStart)) ? start : keyStart;
  const valueEnd = value === null ? (key.range as [number, number, number])[1] : (value.range as [number, number, number])[1];
  // Through the end of the value's last line (its trailing comment included).
  const lastLine = valueEnd > 0 && text[valueEnd - 1] === '\n' ? valueEnd : pastLineEnd(text, valueEnd);
  return [{ from, to: lastLine, insert: '' }];
}
