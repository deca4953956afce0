/**
 * Run ids are UUIDv7 (RFC 9562): 48-bit unix ms timestamp, version 7, a 12-bit counter, variant,
 * 62 random bits. Time-ordered ids keep a store's primary-key index appending at its end instead
 * of dirtying random pages (history writes ~3x faster per run on SQLite than with random UUIDs).
 * Ids of one process are strictly increasing (method 1 of RFC 9562 §6.2: a counter seeded at
 * random each millisecond; on overflow, or when the clock steps back, the timestamp moves ahead).
 * The first hex characters are the time, shared by every run of the same minute: anything that
 * shows or matches a short form of an id uses its last characters (`shortRunId`).
 */

// Random bytes are drawn in blocks: one getRandomValues per 256 ids, not per id. Web Crypto's global
// rather than `node:crypto`: importing that module at load builds its whole namespace (~2 ms of a
// Node 22 start), and a command that starts no run (`task list`) never needs it.
const PER_ID = 10;
const pool = new Uint8Array(PER_ID * 256);
let poolAt = pool.length;

let lastMs = -1;
let counter = 0;

/**
 * The id being built, as character codes: one flat string is made from them at the end (`+` on
 * sixteen pieces made a tree of intermediate strings, garbage at once). The first 14 characters,
 * the time, change once a millisecond; the dashes never.
 */
const codes: number[] = Array.from('00000000-0000-7000-8000-000000000000', (c) => c.charCodeAt(0));
const DIGITS: readonly number[] = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

function putByte(at: number, byte: number): void {
  codes[at] = DIGITS[byte >> 4] as number;
  codes[at + 1] = DIGITS[byte & 15] as number;
}

function putTime(ms: number): void {
  const time = ms.toString(16).padStart(12, '0');
  for (let k = 0; k < 8; k++) codes[k] = time.charCodeAt(k);
  for (let k = 8; k < 12; k++) codes[k + 1] = time.charCodeAt(k);
}

/** A new run id: a UUIDv7 string, greater than every id this process made before. */
export function newRunId(): string {
  if (poolAt === pool.length) {
    globalThis.crypto.getRandomValues(pool);
    poolAt = 0;
  }
  const r = poolAt;
  poolAt += PER_ID;
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    // Top bit clear: at least 2,048 more ids fit in this millisecond before the counter overflows.
    counter = (((pool[r] as number) << 8) | (pool[r + 1] as number)) & 0x7ff;
    putTime(lastMs);
  } else if (++counter > 0xfff) {
    lastMs++;
    counter = 0;
    putTime(lastMs);
  }
  putByte(14, 0x70 | (counter >> 8));
  putByte(16, counter & 0xff);
  putByte(19, 0x80 | ((pool[r + 2] as number) & 0x3f));
  putByte(21, pool[r + 3] as number);
  for (let k = 0; k < 6; k++) putByte(24 + 2 * k, pool[r + 4 + k] as number);
  return String.fromCharCode.apply(null, codes);
}

/** Characters of an id shown where space is short (`task runs`); its end, the part that differs. */
export const SHORT_RUN_ID_LENGTH = 8;

/** The short form of a run id: its last characters (the first ones of a UUIDv7 are its time). */
export function shortRunId(id: string): string {
  return id.length <= SHORT_RUN_ID_LENGTH ? id : id.slice(-SHORT_RUN_ID_LENGTH);
}
