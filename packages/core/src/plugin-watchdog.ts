import type { Worker } from 'node:worker_threads';

/**
 * A plugin stuck in a busy loop blocks the only JavaScript thread: no timer fires, no deadline
 * applies and no signal handler runs, so nothing in-process can stop it. What can still happen is
 * that a second thread notices and says which plugin it is, straight to stderr (fd 2), so a user
 * who sees the command hang knows what to deny or fix before pressing Ctrl-C.
 */
export interface LoadWatchdog {
  /** A plugin load step begins (`what` names the plugin, its path and the step). */
  loading(what: string): void;
  /** The current load step ended. */
  idle(): void;
  stop(): void;
}

// [0] heartbeat of the main thread, [1] 1 while a load step runs, [2] generation of the step.
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const state = new Int32Array(workerData.shared);
const afterMs = workerData.afterMs;
let what = '';
let lastBeat = -1;
let lastGeneration = -1;
let blockedSince = 0;
let warned = -1;
parentPort.on('message', (message) => { what = String(message); });
setInterval(() => {
  const now = Date.now();
  const beat = Atomics.load(state, 0);
  const generation = Atomics.load(state, 2);
  if (Atomics.load(state, 1) !== 1 || beat !== lastBeat || generation !== lastGeneration) {
    blockedSince = now;
  } else if (now - blockedSince >= afterMs && warned !== generation) {
    warned = generation;
    const seconds = ((now - blockedSince) / 1000).toFixed(1);
    try {
      writeSync(2, 'cascadence: ' + what + ' has blocked the process for ' + seconds + ' s (a busy loop?); it cannot be interrupted from inside the process. Press Ctrl-C to stop, then fix the plugin or deny it (plugins.deny in the config).\\n');
    } catch {}
  }
  lastBeat = beat;
  lastGeneration = generation;
}, Math.min(250, Math.max(10, Math.floor(afterMs / 4))));
`;

/**
 * Starts the watchdog thread. `node:worker_threads` is imported here, on first use, not with the
 * loader: a command that imports no plugin (`task list` with processor-only plugins) does not load
 * it (with what it pulls in, about 1-2 ms of a 25 ms Node 22 start).
 */
export async function startLoadWatchdog(afterMs: number): Promise<LoadWatchdog | undefined> {
  let worker: Worker;
  const shared = new SharedArrayBuffer(12);
  const state = new Int32Array(shared);
  try {
    const { Worker } = await import('node:worker_threads');
    worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { shared, afterMs }, stdout: false, stderr: false });
  } catch {
    return undefined; // no worker threads here: loading works the same, just without the warning
  }
  worker.unref();
  worker.on('error', () => {});
  const beat = setInterval(() => Atomics.add(state, 0, 1), Math.min(100, Math.max(5, Math.floor(afterMs / 10))));
  beat.unref();
  return {
    loading(what) {
      worker.postMessage(what);
      Atomics.add(state, 2, 1);
      Atomics.store(state, 1, 1);
    },
    idle() {
      Atomics.store(state, 1, 0);
    },
    stop() {
      clearInterval(beat);
      Atomics.store(state, 1, 0);
      void worker.terminate().catch(() => {});
    },
  };
}
