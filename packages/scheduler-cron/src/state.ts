import { readFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { CascadenceError } from '@cascadence/core';
import { ScheduleErrorCode } from './errors';
import { promises as fsp } from 'node:fs';
import { readTextIfExists, sameSignature, signatureOf, withFileLock, writeFileAtomic, type FileSignature, type LockOptions } from './files';

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
    throw new CascadenceError(
      ScheduleErrorCode.SCHEDULES_PARSE,
      `${path}:${line}:${column}: cannot parse the schedule state file: ${message} (it will not be overwritten)`,
      {
        details: { path, line, column },
      },
    );
  }
  const out = new Map<string, ScheduleRunState>();
  const schedules = (data as Partial<StateFileShape> | null)?.schedules;
  if (typeof schedules !== 'object' || schedules === null) return out;
  const runMs = cachedParse();
  const slotMs = cachedParse();
  for (const task of Object.keys(schedules)) {
    const value = schedules[task];
    const state: ScheduleRunState = {};
    const lastRun = runMs(value?.lastRun);
    const lastSlot = slotMs(value?.lastSlot);
    if (lastRun !== undefined) state.lastRun = lastRun;
    if (lastSlot !== undefined) state.lastSlot = lastSlot;
    out.set(task, state);
  }
  return out;
}

/** Date.parse remembering the last string: jobs fired together share their times. */
function cachedParse(): (value: unknown) => number | undefined {
  let lastText: unknown;
  let lastValue: number | undefined;
  return (value) => {
    if (value === lastText) return lastValue;
    const parsed = typeof value === 'string' ? Date.parse(value) : Number.NaN;
    lastText = value;
    lastValue = Number.isNaN(parsed) ? undefined : parsed;
    return lastValue;
  };
}

/** toISOString remembering the last value. */
function cachedIso(): (ms: number) => string {
  let lastMs = Number.NaN;
  let lastText = '';
  return (ms) => {
    if (ms !== lastMs) {
      lastMs = ms;
      lastText = new Date(ms).toISOString();
    }
    return lastText;
  };
}

function serializeState(states: Map<string, ScheduleRunState>): string {
  const runIso = cachedIso();
  const slotIso = cachedIso();
  let out = '{\n "version": 1,\n "schedules": {';
  let first = true;
  for (const [task, state] of states) {
    let fields = '';
    if (state.lastRun !== undefined) fields += `"lastRun": "${runIso(state.lastRun)}"`;
    if (state.lastSlot !== undefined) fields += `${fields === '' ? '' : ', '}"lastSlot": "${slotIso(state.lastSlot)}"`;
    out += `${first ? '\n' : ',\n'}  ${JSON.stringify(task)}: { ${fields} }`;
    first = false;
  }
  return `${out}${first ? '' : '\n '}}\n}\n`;
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
/**
 * What a writer remembers about its own last write: if the file on disk is still exactly that
 * write (same signature), its content is `foreign` plus the writer's own (only ever later)
 * times, so the next write need not read and parse the file again.
 */
export interface StateWriteCache {
  signature?: FileSignature;
  /** Entries of the last write that did not come from the writer's `updates`. */
  foreign?: Map<string, ScheduleRunState>;
}

export async function writeScheduleState(
  storagePath: string,
  updates: Iterable<readonly [string, ScheduleRunState]>,
  remove: Iterable<string> = [],
  lockOptions: LockOptions = {},
  cache?: StateWriteCache,
): Promise<void> {
  const path = statePathFor(storagePath);
  await withFileLock(
    path,
    async (assertHeld) => {
      let current: Map<string, ScheduleRunState>;
      let text: string | undefined;
      let onDisk: FileSignature | undefined;
      try {
        onDisk = signatureOf(await fsp.stat(path));
      } catch {
        onDisk = undefined;
      }
      if (cache?.foreign !== undefined && onDisk !== undefined && sameSignature(onDisk, cache.signature)) {
        current = new Map(cache.foreign);
      } else {
        text = await readTextIfExists(path);
        current = text === undefined ? new Map<string, ScheduleRunState>() : parseState(text, path);
      }
      const foreign = cache === undefined ? undefined : new Map(current);
      for (const [task, state] of updates) {
        foreign?.delete(task);
        const old = current.get(task);
        if (old === undefined) {
          current.set(task, { lastRun: state.lastRun, lastSlot: state.lastSlot });
        } else {
          current.set(task, { lastRun: later(old.lastRun, state.lastRun), lastSlot: later(old.lastSlot, state.lastSlot) });
        }
      }
      for (const task of remove) {
        current.delete(task);
        foreign?.delete(task);
      }
      const next = serializeState(current);
      if (next === text) return;
      assertHeld();
      const signature = await writeFileAtomic(path, next);
      if (cache !== undefined) {
        cache.signature = signature;
        cache.foreign = foreign;
      }
    },
    lockOptions,
  );
}
