import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CascadenceError, type EngineEvent, type Logger } from '@cascadence/core';
import { MAX_TIMEOUT_MS, type Clock } from '../src';

interface FakeTimer {
  id: number;
  at: number;
  fn: () => void;
}

/** Lets pending promise callbacks and I/O completions run. */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A clock whose time moves only when the test says so. Like Node, it refuses delays beyond
 * setTimeout's limit (Node would silently turn them into 1 ms) — here that throws.
 */
export class FakeClock implements Clock {
  private readonly timers = new Map<number, FakeTimer>();
  private seq = 0;
  /** Every delay passed to setTimeout, for assertions. */
  readonly delays: number[] = [];

  constructor(private current: number) {}

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, delayMs: number): unknown {
    if (!(delayMs <= MAX_TIMEOUT_MS)) throw new Error(`setTimeout delay ${delayMs} exceeds ${MAX_TIMEOUT_MS}`);
    const id = ++this.seq;
    this.delays.push(delayMs);
    this.timers.set(id, { id, at: this.current + Math.max(0, delayMs), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  get pending(): number {
    return this.timers.size;
  }

  /** Moves time to `target`, running each due timer at its own instant, in order. */
  async advanceTo(target: number): Promise<void> {
    for (;;) {
      await settle();
      let next: FakeTimer | undefined;
      for (const timer of this.timers.values()) {
        if (timer.at <= target && (next === undefined || timer.at < next.at || (timer.at === next.at && timer.id < next.id))) next = timer;
      }
      if (next === undefined) break;
      this.timers.delete(next.id);
      this.current = Math.max(this.current, next.at);
      next.fn();
    }
    this.current = Math.max(this.current, target);
    await settle();
  }

  advance(ms: number): Promise<void> {
    return this.advanceTo(this.current + ms);
  }

  /** Moves the wall clock without running timers (a stalled event loop, a suspended laptop). */
  jump(ms: number): void {
    this.current += ms;
  }

  /** Runs the earliest timer as if it fired now (late). */
  async fireEarliest(): Promise<void> {
    let next: FakeTimer | undefined;
    for (const timer of this.timers.values()) if (next === undefined || timer.at < next.at) next = timer;
    if (next === undefined) return;
    this.timers.delete(next.id);
    next.fn();
    await settle();
  }
}

export function tempDir(prefix = 'cascadence-sched-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true, maxRetries: 5 }) };
}

export const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Collects a logger's warnings. */
export function recordingLogger(): Logger & { warnings: string[]; errors: string[] } {
  const warnings: string[] = [];
  const errors: string[] = [];
  return { debug() {}, info() {}, warn: (m: string) => void warnings.push(m), error: (m: string) => void errors.push(m), warnings, errors };
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export type ScheduleEvt = Extract<EngineEvent, { type: `schedule:${string}` }>;

/** The CascadenceError `fn` throws (anything else is rethrown; no throw fails the test). */
export function thrown(fn: () => unknown): CascadenceError {
  try {
    fn();
  } catch (error) {
    if (CascadenceError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected an error');
}
