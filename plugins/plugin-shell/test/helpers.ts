import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, Registry, defineFlow, type FlowSteps, type Logger, type RunOptions } from '@cascadence/core';
import { shell } from '../src';

export interface LogLine {
  level: keyof Logger;
  message: string;
}

/** A logger that remembers what it was told. */
export function memoryLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: keyof Logger) => (message: string) => {
    lines.push({ level, message });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A real engine whose registry knows the shell processor. */
export function shellEngine(options: { failFast?: boolean } = {}) {
  const logger = memoryLogger();
  const registry = new Registry().addProcessor(shell, '@cascadence/plugin-shell');
  const engine = new Engine({ resolver: registry, logger, failFast: options.failFast });
  return {
    engine,
    logger,
    run: (steps: FlowSteps, runOptions?: RunOptions) => engine.run(defineFlow({ name: 'test-flow', steps }), undefined, runOptions),
  };
}

export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'cascadence-shell-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `file` exists and holds a pid. */
export async function readPidFile(file: string, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (existsSync(file)) {
      const text = readFileSync(file, 'utf8').trim();
      if (/^\d+$/.test(text)) return Number(text);
    }
    await sleep(10);
  }
  throw new Error(`no pid in ${file} after ${timeoutMs} ms`);
}

/**
 * Whether `pid` is a running process, checked independently of the plugin: `kill(pid, 0)` and,
 * on Linux, the state in /proc (a zombie has exited; it only waits for init to reap it).
 */
export function processRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (process.platform !== 'linux') return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Polls until `pid` no longer runs; returns whether it stopped within `timeoutMs`. */
export async function waitUntilGone(pid: number, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!processRunning(pid)) return true;
    await sleep(20);
  }
  return !processRunning(pid);
}

/** Kills a pid a test left running on purpose; ignores one that is already gone. */
export function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}
