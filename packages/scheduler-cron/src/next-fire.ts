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

/** What is known about a stretch of time: one offset, or one change at `at`. */
interface Fact {
  from: number;
  to: number;
  /** The change's first instant; NaN for a stretch of constant offset. */
  at: number;
  before: number;
  after: number;
}

/** Facts kept per zone (the latest few stretches a scheduler or a sweep walks through). */
const MAX_FACTS = 32;

/**
 * UTC offsets of one zone, in ms. Intl is slow (µs per call) and a zone's offset changes twice a
 * year at most, so what was learned (stretches of constant offset, changes found by bisection)
 * is kept: chained fire computations need no Intl call at all.
 */
export class ZoneOffsets {
  private readonly formatter: Intl.DateTimeFormat | undefined;
  private readonly facts: Fact[] = [];

  constructor(readonly zone: string) {
    this.formatter = zone === 'UTC' || zone === 'Etc/UTC' ? undefined : formatterFor(zone);
  }

  /** Offset (ms) at instant `t`. */
  at(t: number): number {
    for (let i = this.facts.length - 1; i >= 0; i--) {
      const fact = this.facts[i] as Fact;
      if (t >= fact.from && t <= fact.to) return Number.isNaN(fact.at) || t < fact.at ? fact.before : fact.after;
    }
    return this.compute(t);
  }

  /** Remembers that the offset is `offset` throughout [from, to]. */
  markStable(from: number, to: number, offset: number): void {
    this.learn({ from, to, at: Number.NaN, before: offset, after: offset });
  }

  private learn(fact: Fact): void {
    for (let i = this.facts.length - 1; i >= 0; i--) {
      const known = this.facts[i] as Fact;
      const sameKind = Number.isNaN(known.at) ? Number.isNaN(fact.at) && known.before === fact.before : known.at === fact.at;
      if (sameKind && fact.from <= known.to && fact.to >= known.from) {
        known.from = Math.min(known.from, fact.from);
        known.to = Math.max(known.to, fact.to);
        return;
      }
    }
    if (this.facts.length >= MAX_FACTS) this.facts.shift();
    this.facts.push(fact);
  }

  /**
   * The first whole-second instant in (lo, hi] whose offset differs from the offset at `lo`.
   * Call only when `at(hi) !== at(lo)`.
   */
  transitionBetween(lo: number, hi: number): number {
    for (let i = this.facts.length - 1; i >= 0; i--) {
      const fact = this.facts[i] as Fact;
      if (!Number.isNaN(fact.at) && lo >= fact.from && fact.at > lo && fact.at <= hi) return fact.at;
    }
    const offset = this.compute(lo);
    let a = Math.floor(lo / SECOND);
    let b = Math.ceil(hi / SECOND);
    while (b - a > 1) {
      const mid = Math.floor((a + b) / 2);
      if (this.compute(mid * SECOND) === offset) a = mid;
      else b = mid;
    }
    const at = b * SECOND;
    this.learn({ from: lo, to: hi, at, before: offset, after: this.compute(at) });
    return at;
  }

  private compute(t: number): number {
    if (this.formatter === undefined) return 0;
    const whole = Math.floor(t / SECOND) * SECOND;
    // "3/30/2025, 03:30:00" (format is several times faster than formatToParts).
    const match = LOCAL_TIME.exec(this.formatter.format(whole));
    if (match === null) throw new Error(`cannot read the local time of ${new Date(whole).toISOString()} in ${this.zone}`);
    const local = Date.UTC(Number(match[3]), Number(match[1]) - 1, Number(match[2]), Number(match[4]), Number(match[5]), Number(match[6]));
    return local - whole;
  }
}

const LOCAL_TIME = /(\d+)\/(\d+)\/(-?\d+),? (\d+):(\d+):(\d+)/;

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

const formatters = new Map<string, Intl.DateTimeFormat>();

/** One wall-clock formatter per zone, shared by the whole package (they are costly to build). */
export function formatterFor(timezone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timezone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timezone, formatter);
  }
  return formatter;
}
