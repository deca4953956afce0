import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What a YAML flow file parsed to, kept in `.cascadence/cache/flows/` (one file per flow file,
 * overwritten when its text changes), so that commands that only read flows (`task list`) need
 * neither load nor run the YAML parser while the files are unchanged. The key is the file's whole
 * text (a hash), not its time stamp: a hit is always what parsing the text again would give.
 * Only data that JSON carries exactly is kept, and only for files that made a valid flow.
 */
const FORMAT = 1;

function entryPath(projectDir: string, file: string): string {
  return join(projectDir, '.cascadence', 'cache', 'flows', `${createHash('sha256').update(file).digest('hex').slice(0, 24)}.json`);
}

function textKey(text: string): string {
  return createHash('sha256').update(`${FORMAT}\0${text}`).digest('hex');
}

/** The data a previous parse of exactly `text` gave, or undefined (no entry, other text, unreadable). */
export function cachedFlowData(projectDir: string, file: string, text: string): unknown {
  try {
    const entry = JSON.parse(readFileSync(entryPath(projectDir, file), 'utf8')) as { key?: unknown; data?: unknown };
    return entry.key === textKey(text) ? entry.data : undefined;
  } catch {
    return undefined;
  }
}

/** Keeps `data` for `text` when JSON round-trips it exactly; never fails (a read-only project just has no cache). */
export function storeFlowData(projectDir: string, file: string, text: string, data: unknown): void {
  if (!jsonExact(data)) return;
  const path = entryPath(projectDir, file);
  try {
    mkdirSync(join(path, '..'), { recursive: true });
    const temp = `${path}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify({ key: textKey(text), data }));
    renameSync(temp, path);
  } catch {
    // No cache: the next command parses the file again.
  }
}

/** True when JSON.parse(JSON.stringify(value)) gives the same value back (no .inf/.nan, -0, Maps, `__proto__` keys...). */
function jsonExact(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (Array.isArray(value)) return value.every(jsonExact);
  if (typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  for (const key of Object.keys(value)) if (key === '__proto__' || !jsonExact((value as Record<string, unknown>)[key])) return false;
  return true;
}
