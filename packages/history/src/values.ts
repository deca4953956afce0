import type { RecordedError, RecordedValue } from './records';

/** Default per-value cap: a value whose JSON is larger is kept truncated (documented in the README). */
export const DEFAULT_MAX_VALUE_BYTES = 64 * 1024;

const NONE: RecordedValue = { state: 'none' };
const OMITTED: RecordedValue = { state: 'omitted' };

/**
 * A value as history keeps it. Never throws: BigInts, cycles, throwing `toJSON`, revoked proxies
 * and nesting too deep for JSON.stringify are recorded as `unserializable` with the reason.
 */
export function recordValue(value: unknown, maxBytes: number, enabled: boolean): RecordedValue {
  if (!enabled) return OMITTED;
  if (value === undefined) return NONE;
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    return { state: 'unserializable', reason: describe(error) };
  }
  if (json === undefined) return { state: 'unserializable', reason: `a ${typeof value} is not representable as JSON` };
  // Byte length only matters near the cap: a string of n UTF-16 units is at most 3n UTF-8 bytes.
  if (json.length * 3 <= maxBytes) return { state: 'ok', json };
  const bytes = Buffer.byteLength(json);
  if (bytes <= maxBytes) return { state: 'ok', json, bytes };
  return { state: 'truncated', json: utf8Prefix(json, maxBytes), bytes };
}

/** The recorded value back, when it was recorded whole. */
export function recoveredValue(value: RecordedValue): { ok: true; value: unknown } | { ok: false; why: string } {
  switch (value.state) {
    case 'ok':
      return { ok: true, value: JSON.parse(value.json as string) };
    case 'none':
      return { ok: true, value: undefined };
    case 'truncated':
      return { ok: false, why: `it was ${value.bytes ?? '?'} bytes, over the history value cap, and was kept truncated` };
    case 'unserializable':
      return { ok: false, why: `it could not be recorded as JSON (${value.reason ?? 'unknown reason'})` };
    case 'omitted':
      return { ok: false, why: 'recording of inputs and outputs was off (history.values: false)' };
  }
}

export function recordError(error: Error | undefined, maxBytes: number): RecordedError | undefined {
  if (error === undefined || error === null) return undefined;
  try {
    const code = (error as { code?: unknown }).code;
    const stack = typeof error.stack === 'string' ? utf8Prefix(error.stack, maxBytes) : undefined;
    return {
      name: String(error.name ?? 'Error'),
      message: utf8Prefix(String(error.message ?? error), maxBytes),
      ...(typeof code === 'string' ? { code } : {}),
      ...(stack === undefined ? {} : { stack }),
    };
  } catch (thrown) {
    return { name: 'Error', message: `(the error could not be read: ${describe(thrown)})` };
  }
}

function describe(error: unknown): string {
  try {
    if (error instanceof Error) return `${error.name}: ${error.message}`;
    return String(error);
  } catch {
    return 'an error that cannot be described';
  }
}

/** The longest prefix of `text` whose UTF-8 encoding fits in `maxBytes`, never splitting a character. */
function utf8Prefix(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes) return text;
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  // Back off continuation bytes (10xxxxxx) so the cut falls on a character boundary.
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}
