/**
 * The DST sweep: every IANA zone the runtime knows, every offset change from 2020 to 2035, a set
 * of representative expressions. For each (zone, transition, expression) the fires a scheduler
 * sees when it runs through the change (`nextAfter` chained from before it) must be exactly the
 * expected set, computed here independently by brute force over the window (minute by minute,
 * second by second for the every-second expression) from the offsets before and after the change:
 *
 * - a matching wall time that exists fires (never skipped, never "no next fire");
 * - a matching wall time skipped by a forward shift fires once, shifted by the gap;
 * - a repeated wall time fires once (first occurrence), or twice for interval expressions
 *   (hour field `*`): the README's rule; no other wall time fires twice;
 * - fires strictly increase;
 * and a scheduler (re)started at sampled minutes of the window (every minute with
 * CASCADENCE_DST_SWEEP_FULL=1) gets the same next fire as the one that ran through.
 *
 * Transitions are found by sampling each zone's offset every 7 days (Intl, not the code under
 * test) and bisecting to the second; the sweep also checks that no zone changes offset twice
 * within 26 hours of a change (the brute force below relies on one change per window).
 *
 * DST_SWEEP_ZONES=<n> limits the sweep to the first n zones (for a quick local look).
 */
import { CronSchedule } from '../src';

const FULL = process.env.CASCADENCE_DST_SWEEP_FULL === '1' || process.env.DST_SWEEP_FULL === '1';
const RESTARTS_PER_SERIES = FULL ? Number.POSITIVE_INFINITY : 6;
const ZONE_LIMIT = Number(process.env.DST_SWEEP_ZONES ?? Number.POSITIVE_INFINITY);
const SECOND = 1000;
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const FROM = Date.UTC(2020, 0, 1);
const TO = Date.UTC(2036, 0, 1);

const formatters = new Map<string, Intl.DateTimeFormat>();
/** Offset (ms) of `zone` at `t`, straight from Intl ("GMT+05:45"; another path than the code under test). */
function offsetOf(zone: string, t: number): number {
  let f = formatters.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
    formatters.set(zone, f);
  }
  const text = f.format(t);
  const match = /GMT(?:([+-])(\d\d):(\d\d)(?::(\d\d))?)?$/.exec(text);
  if (match === null) throw new Error(`unexpected offset text ${text} for ${zone}`);
  if (match[1] === undefined) return 0;
  const ms = Number(match[2]) * HOUR + Number(match[3]) * MINUTE + Number(match[4] ?? 0) * SECOND;
  return match[1] === '-' ? -ms : ms;
}

interface Change {
  zone: string;
  at: number;
  before: number;
  after: number;
}

function transitions(zone: string): Change[] {
  const out: Change[] = [];
  let t = FROM;
  let o = offsetOf(zone, t);
  while (t < TO) {
    const u = Math.min(t + 7 * DAY, TO);
    const p = offsetOf(zone, u);
    if (p !== o) {
      let a = t / SECOND;
      let b = u / SECOND;
      while (b - a > 1) {
        const mid = Math.floor((a + b) / 2);
        if (offsetOf(zone, mid * SECOND) === o) a = mid;
        else b = mid;
      }
      out.push({ zone, at: b * SECOND, before: o, after: offsetOf(zone, b * SECOND) });
    }
    t = u;
    o = p;
  }
  return out;
}

interface Series {
  expr: string;
  interval: boolean;
  /** Matching wall times (epoch ms read in UTC) are those ≡ phase (mod period). */
  period: number;
  phase: number;
  from: number;
  to: number;
  step: number;
}

function seriesFor(c: Change): Series[] {
  const list: Series[] = [
    { expr: '0 * * * *', interval: true, period: HOUR, phase: 0, from: c.at - 3 * HOUR, to: c.at + 3 * HOUR, step: MINUTE },
    { expr: '*/30 * * * *', interval: true, period: 30 * MINUTE, phase: 0, from: c.at - 3 * HOUR, to: c.at + 3 * HOUR, step: MINUTE },
    { expr: '* * * * * *', interval: true, period: SECOND, phase: 0, from: c.at - 30 * SECOND, to: c.at + 30 * SECOND, step: SECOND },
  ];
  // Daily at the first affected local minute (missing or repeated) and in the middle of it.
  const lo = Math.min(c.before, c.after);
  const hi = Math.max(c.before, c.after);
  const firstWall = c.at + lo;
  const span = hi - lo;
  for (const wall of new Set([firstWall, firstWall + Math.floor(span / 2 / MINUTE) * MINUTE])) {
    const ofDay = ((wall % DAY) + DAY) % DAY;
    const h = Math.floor(ofDay / HOUR);
    const m = Math.floor((ofDay % HOUR) / MINUTE);
    list.push({
      expr: `${m} ${h} * * *`,
      interval: false,
      period: DAY,
      phase: h * HOUR + m * MINUTE,
      from: c.at - 26 * HOUR,
      to: c.at + 26 * HOUR,
      step: MINUTE,
    });
  }
  return list;
}

const mod = (a: number, n: number): number => ((a % n) + n) % n;

/**
 * The fires in (from, to], from the definition: every instant of the window whose wall time
 * (instant + the offset in force then) matches, in order, keeping only the first occurrence of a
 * wall time unless the series is an interval; plus, for a forward shift, each skipped matching
 * wall time read with the offset before the change.
 */
function expected(c: Change, s: Series): number[] {
  const off = (u: number): number => (u < c.at ? c.before : c.after);
  const instants: number[] = [];
  for (const o of new Set([c.before, c.after])) {
    // u + o ≡ phase (mod period)
    let u = s.from + 1 + mod(s.phase - o - (s.from + 1), s.period);
    for (; u <= s.to; u += s.period) if (off(u) === o) instants.push(u);
  }
  instants.sort((a, b) => a - b);
  const fires = new Set<number>();
  const seen = new Set<number>();
  for (const u of instants) {
    const w = u + off(u);
    if (s.interval || !seen.has(w)) fires.add(u);
    seen.add(w);
  }
  if (c.after > c.before) {
    const gapStart = c.at + c.before;
    for (let w = gapStart + mod(s.phase - gapStart, s.period); w < c.at + c.after; w += s.period) {
      if (w - c.before > s.from && w - c.before <= s.to) fires.add(w - c.before);
    }
  }
  return [...fires].sort((a, b) => a - b);
}

function iso(ms: number): string {
  return Number.isNaN(ms) ? 'NaN' : new Date(ms).toISOString();
}

/** Deterministic pseudo-random sampling. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

describe('DST sweep: every zone, every change 2020-2035', () => {
  it('always has a next fire, never goes backwards, fires each wall time as the README says, and agrees with restarts', () => {
    const started = Date.now();
    const zones = [...Intl.supportedValuesOf('timeZone'), 'UTC'].slice(0, ZONE_LIMIT);
    const random = rng(20261201);
    const failures: string[] = [];
    let changes = 0;
    let series = 0;
    let fires = 0;
    let restarts = 0;
    const zonesWithChanges = new Set<string>();
    for (const zone of zones) {
      for (const c of transitions(zone)) {
        changes++;
        zonesWithChanges.add(zone);
        // The brute force assumes one change per window.
        if (offsetOf(zone, c.at - 26 * HOUR) !== c.before || offsetOf(zone, c.at + 26 * HOUR) !== c.after) {
          failures.push(`${zone} ${iso(c.at)}: another offset change within 26 h; the sweep cannot judge it`);
          continue;
        }
        for (const s of seriesFor(c)) {
          series++;
          const want = expected(c, s);
          // Ran through: chained from before the window.
          const ran: number[] = [];
          const schedule = new CronSchedule(s.expr, zone);
          let at = s.from;
          for (;;) {
            const next = schedule.nextAfter(at);
            if (Number.isNaN(next)) {
              failures.push(`${zone} "${s.expr}": no next fire after ${iso(at)}`);
              break;
            }
            if (next <= at) {
              failures.push(`${zone} "${s.expr}": went backwards: ${iso(at)} -> ${iso(next)}`);
              break;
            }
            if (next > s.to) break;
            ran.push(next);
            at = next;
          }
          fires += ran.length;
          if (ran.join() !== want.join()) {
            failures.push(
              `${zone} "${s.expr}" around ${iso(c.at)} (${c.before / MINUTE} -> ${c.after / MINUTE} min): ran through ${ran.map(iso).join(' ')}; expected ${want.map(iso).join(' ')}`,
            );
            continue;
          }
          // Restarted: at sampled minutes (and around the change itself), with a fresh schedule.
          const step = s.step === SECOND ? SECOND : MINUTE;
          const points = new Set<number>([c.at - step, c.at, c.at + step, c.at + Math.abs(c.after - c.before)]);
          const count = Math.floor((s.to - s.from) / step);
          if (RESTARTS_PER_SERIES >= count) {
            for (let k = 0; k < count; k++) points.add(s.from + k * step);
          } else {
            for (let k = 0; k < RESTARTS_PER_SERIES; k++) points.add(s.from + Math.floor(random() * count) * step);
          }
          for (const r of points) {
            const wanted = want.find((f) => f > r);
            if (wanted === undefined) continue;
            restarts++;
            const got = new CronSchedule(s.expr, zone).nextAfter(r);
            if (got !== wanted)
              failures.push(`${zone} "${s.expr}": restarted at ${iso(r)} gives ${iso(got)}, ran through gives ${iso(wanted)}`);
          }
        }
        if (failures.length > 20) break;
      }
      if (failures.length > 20) break;
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    // The size of the run, for the README (printed by jest with --verbose=false too).
    process.stdout.write(
      `DST sweep${FULL ? ' (full)' : ''}: ${zones.length} zones, ${zonesWithChanges.size} with changes, ${changes} changes, ${series} series, ${fires} fires checked, ${restarts} restarts, ${seconds} s\n`,
    );
    expect(failures.slice(0, 20)).toEqual([]);
    if (!Number.isFinite(ZONE_LIMIT)) expect(changes).toBeGreaterThan(1000);
  });
});
