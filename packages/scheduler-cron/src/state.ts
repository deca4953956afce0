import { readFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { CascadenceError } from '@cascadence/core';
import { ScheduleErrorCode } from './errors';
import { readTextIfExists, withFileLock, writeFileAtomic, type LockOptions } from './files';

/** What the scheduler remembers about one schedule between restarts. */
export interface ScheduleRunState {
  /** Epoch ms when the task last started from this schedule. */
  lastRun?: number;
  /** Epoch ms of the latest due time the scheduler dealt with (ran, skipped or counted missed). */
  lastSlot?: number;
}

interface StateFileShape {
  version: 1;
  schedules: Record<string, { lastRun?: string; lastSlot?: string }>;
}

/** `.cascadence/<name>.state.json` beside the schedules file (`schedules.yml` → `schedules.state.json`). */
export function statePathFor(storagePath: string): string {
  const absolute = resolve(storagePath);
  const base = basename(absolute, extname(absolute)) || basename(absolute);
  return join(dirname(absolute), '.cascadence', `${base}.state.json`);
}

function parseState(text: string, path: string): Map<string, ScheduleRunState> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const offset = /position (\d+)/.exec(message);
    let line = 0;
    let column = 0;
    if (offset) {
      const before = text.slice(0, Number(offset[1]));
      line = before.split('\n').length;
      column = before.length - before.lastIndexOf('\n');
    }
    throw new CascadenceError(ScheduleErrorCode.SCHEDULES_PARSE, `${path}:${line}:${column}: cannot parse the schedule state file: ${message} (it will not be overwritten)`, {
      details: { path, line, column },
    });
  }
  const out = new Map<string, ScheduleRunState>();
  const schedules = (data as Partial<StateFileShape> | null)?.schedules;
  if (typeof schedules !== 'object' || schedules === null) return out;
  for (const [task, value] of Object.entries(schedules)) {
    const state: ScheduleRunState = {};
    const lastRun = Date.parse(String(value?.lastRun));
    const lastSlot = Date.parse(String(value?.lastSlot));
    if (!Number.isNaN(lastRun)) state.lastRun = lastRun;
    if (!Number.isNaN(lastSlot)) state.lastSlot = lastSlot;
    out.set(task, state);
  }
  return out;
}

/** Reads the state recorded beside a schedules file (empty when there is none). */
export function readScheduleState(storagePath = './schedules.yml'): Map<string, ScheduleRunState> {
  const path = statePathFor(storagePath);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw error;
  }
  return parseState(text, path);
}

function later(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.max(a, b);
}

/**
 * Merges `updates` into the state file under its lock (the later time wins per field, so two
 * writers never move a schedule back in time) and writes it atomically. `remove` drops tasks.
 */
export async function writeScheduleState(
  storagePath: string,
  updates: ReadonlyMap<string, ScheduleRunState>,
  remove: Iterable<string> = [],
  lockOptions: LockOptions = {},
): Promise<void> {
  const path = statePathFor(storagePath);
  await withFileLock(
    path,
    async (assertHeld) => {
      const text = await readTextIfExists(path);
      const current = text === undefined ? new Map<string, ScheduleRunState>() : parseState(text, path);
      for (const [task, state] of updates) {
        const old = current.get(task) ?? {};
        current.set(task, { lastRun: later(old.lastRun, state.lastRun), lastSlot: later(old.lastSlot, state.lastSlot) });
      }
      for (const task of remove) current.delete(task);
      const shape: StateFileShape = { version: 1, schedules: {} };
      for (const task of [...current.keys()].sort()) {
        const state = current.get(task) as ScheduleRunState;
        const entry: { lastRun?: string; lastSlot?: string } = {};
        if (state.lastRun !== undefined) entry.lastRun = new Date(state.lastRun).toISOString();
        if (state.lastSlot !== undefined) entry.lastSlot = new Date(state.lastSlot).toISOString();
        shape.schedules[task] = entry;
      }
      const next = `${JSON.stringify(shape, null, 1)}\n`;
      if (next === text) return;
      assertHeld();
      await writeFileAtomic(path, next);
    },
    lockOptions,
  );
}
