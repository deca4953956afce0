import { WallClockCron } from './wall-clock';

/**
 * DST-safe fire times: a cron expression's matching wall-clock times (`WallClockCron`, a
 * timeline without zones) placed on real instants in an IANA zone.
 *
 * The set of fire instants is fixed for a (expression, zone) pair, and `nextFireAfter(t)` is the
 * smallest one after `t`; so a scheduler that ran through a transition and one (re)started
 * anywhere in it get the same answers. The rules:
 *
 * - a wall time that exists once fires at that instant;
 * - a wall time skipped by a forward shift (spring forward, 02:30 in Europe/Berlin on the last
 *   Sunday of March) fires once, shifted by the gap: read with the offset before the change
 *   (02:30 CET = 03:30 CEST). Several skipped times that land on one instant fire once;
 * - a wall time that occurs twice (fall back) fires at its first occurrence only, unless the
 *   expression's hour field is `*` (an interval such as `0 * * * *` or `*\/30 * * * *`): then it
 *   fires at both, keeping real elapsed time.
 *
 * No iteration limit: the walk goes segment by segment (stretches of constant UTC offset, at
 * most 7 days each) and a matching wall time is always found by arithmetic, not by search.
 */

const SECOND = 1000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Longest stretch assumed to hold at most one offset change (no zone changes twice in a week). */
const CHUNK_MS = 7 * DAY;
/** How far back a previous transition can still matter (repeats and gaps are at most a day). */
const LOOKBACK_MS = 26 * HOUR;
/** Give up (and report) after this many segments: ~40 years. */
const MAX_SEGMENTS = Math.ceil((40 * 366 * DAY) / CHUNK_MS);

/** UTC offsets of one zone, in ms, with a cache of the last stretch known to be constant. */
export class ZoneOffsets {
  private readonly formatter: Intl.DateTimeFormat | undefined;
  private stableFrom = Number.NaN;
  private stableTo = Number.NaN;
  private stableOffset = 0;

  constructor(readonly zone: string) {
    this.formatter =
      zone === 'UTC' || zone === 'Etc/UTC'
        ? undefined
        : new Intl.DateTimeFormat('en-US', {
            timeZone: zone,
            hourCycle: 'h23',
            year: 'numeric',
            month: 'numeric',
            day: 'numeric',
            hour: 'numeric',
            minute: 'numeric',
            second: 'numeric',
          });
  }

  /** Offset (ms) at instant `t`. */
  at(t: number): number {
    if (t >= this.stableFrom && t <= this.stableTo) return this.stableOffset;
    return this.compute(t);
  }

  private compute(t: number): number {
    if (this.formatter === undefined) return 0;
    const whole = Math.floor(t / SECOND) * SECOND;
    const parts = this.formatter.formatToParts(whole);
    let y = 0;
    let mo = 0;
    let d = 0;
    let h = 0;
    let mi = 0;
    let s = 0;
    for (const part of parts) {
      switch (part.type) {
        case 'year':
          y = Number(part.value);
          break;
        case 'month':
          mo = Number(part.value);
          break;
        case 'day':
          d = Number(part.value);
          break;
        case 'hour':
          h = Number(part.value);
          break;
        case 'minute':
          mi = Number(part.value);
          break;
        case 'second':
          s = Number(part.value);
          break;
        default:
      }
    }
    const eraBC = parts.some((part) => part.type === 'era' && /^B/.test(part.value));
    const local = Date.UTC(eraBC ? 1 - y : y, mo - 1, d, h, mi, s);
    return local - whole;
  }

  /** Remembers that the offset is `offset` throughout [from, to]. */
  markStable(from: number, to: number, offset: number): void {
    if (offset === this.stableOffset && from <= this.stableTo && to >= this.stableFrom) {
      this.stableFrom = Math.min(from, this.stableFrom);
      this.stableTo = Math.max(to, this.stableTo);
    } else {
      this.stableFrom = from;
      this.stableTo = to;
      this.stableOffset = offset;
    }
  }

  /**
   * The first whole-second instant in (lo, hi] whose offset differs from the offset at `lo`.
   * Call only when `at(hi) !== at(lo)`.
   */
  transitionBetween(lo: number, hi: number): number {
    const offset = this.compute(lo);
    let a = Math.floor(lo / SECOND);
    let b = Math.ceil(hi / SECOND);
    while (b - a > 1) {
      const mid = Math.floor((a + b) / 2);
      if (this.compute(mid * SECOND) === offset) a = mid;
      else b = mid;
    }
    return b * SECOND;
  }
}

const zones = new Map<string, ZoneOffsets>();

/** The shared offset cache of `zone`. */
export function zoneOffsets(zone: string): ZoneOffsets {
  let found = zones.get(zone);
  if (found === undefined) {
    if (zones.size > 1000) zones.clear();
    found = new ZoneOffsets(zone);
    zones.set(zone, found);
  }
  return found;
}

interface Transition {
  /** First instant with the new offset. */
  at: number;
  before: number;
  after: number;
}

/**
 * The first fire of `cron` in `offsets`' zone strictly after instant `after` (epoch ms), or NaN
 * when the expression has no fire in the next ~40 years (it cannot happen for an expression
 * `validateCron` accepted; the scheduler reports it loudly if it ever does).
 */
export function nextFireAfter(cron: WallClockCron, offsets: ZoneOffsets, after: number): number {
  let start = after;
  let offset = offsets.at(start);
  let previous: Transition | undefined;
  const back = offsets.at(start - LOOKBACK_MS);
  if (back === offset) {
    offsets.markStable(start - LOOKBACK_MS, start, offset);
  } else {
    const at = offsets.transitionBetween(start - LOOKBACK_MS, start);
    previous = { at, before: back, after: offsets.at(at) };
  }
  for (let segment = 0; segment < MAX_SEGMENTS; segment++) {
    const chunkEnd = start + CHUNK_MS;
    const endOffset = offsets.at(chunkEnd);
    let end = chunkEnd;
    if (endOffset === offset) offsets.markStable(start, chunkEnd, offset);
    else end = offsets.transitionBetween(start, chunkEnd);

    let best = Number.NaN;
    const first = cron.next(start + offset);
    if (Number.isNaN(first)) return Number.NaN;
    // Wall times that exist in this segment: instant = wall - offset.
    for (let wall = first; !Number.isNaN(wall) && wall - offset < end; wall = cron.next(wall)) {
      if (cron.everyHour || !isRepeat(previous, offset, wall)) {
        best = wall - offset;
        break;
      }
    }
    // Wall times skipped by a forward shift just before this segment fire shifted by the gap.
    if (previous !== undefined && previous.after > previous.before) {
      const gapStart = previous.at + previous.before;
      const gapEnd = previous.at + previous.after;
      const wall = cron.next(Math.max(gapStart - 1, start + previous.before));
      if (!Number.isNaN(wall) && wall < gapEnd) {
        const shifted = wall - previous.before;
        if (shifted < end && (Number.isNaN(best) || shifted < best)) best = shifted;
      }
    }
    if (!Number.isNaN(best)) return best;
    if (end !== chunkEnd) {
      const next = offsets.at(end);
      previous = { at: end, before: offset, after: next };
      offset = next;
    }
    start = end - 1;
  }
  return Number.NaN;
}

/** Whether `wall`, in the segment right after a backward shift, is the second occurrence of a repeated time. */
function isRepeat(previous: Transition | undefined, offset: number, wall: number): boolean {
  if (previous === undefined || previous.after !== offset || previous.before <= previous.after) return false;
  return wall >= previous.at + previous.after && wall < previous.at + previous.before;
}
