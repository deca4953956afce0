/**
 * An inter-process lock on a file, on `node:fs` alone: the lock is the directory `<path>.lock`
 * (`mkdir` is atomic: exactly one process creates it), holding an `owner` file (pid, host,
 * time, a random token). The holder refreshes the directory's mtime every `staleMs / 2`; a lock
 * whose mtime is older than `staleMs` belonged to a process that died (or stalled) and is taken
 * over. Same protocol and defaults as the `proper-lockfile` package Cascadence used before.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp, readFileSync, rmSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { CascadenceError, ErrorCode } from '../errors';
import { fileError } from './file-error';

export interface LockOptions {
  /** A lock older than this (its holder died) is taken over. Default 10 000 ms, at least 2 000. */
  staleMs?: number;
  /** How long to keep retrying a lock held by a live process. Default 20 000 ms. */
  timeoutMs?: number;
}

/** What the `owner` file in a lock directory says about the process holding it. */
export interface LockOwner {
  pid: number;
  hostname: string;
  /** ISO-8601 time the lock was taken. */
  acquiredAt: string;
}

interface HeldLock {
  readonly path: string;
  readonly lockPath: string;
  readonly staleMs: number;
  readonly token: string;
  readonly ino: number;
  /** When the lock's mtime was last set by us (ms since the epoch). */
  refreshedAt: number;
  lost: string | undefined;
  timer: NodeJS.Timeout | undefined;
  released: boolean;
}

const OWNER_FILE = 'owner';
const held = new Set<HeldLock>();
let exitHookInstalled = false;

/**
 * Runs `fn` while holding an inter-process lock on `path` (the `<path>.lock` directory). Other
 * processes wait (with jittered backoff) up to `timeoutMs`, then get `CASCADENCE_FILE_LOCKED`
 * naming the file and the holder; a lock whose holder died is taken over once older than
 * `staleMs`. `assertHeld()` throws `CASCADENCE_FILE_LOCKED` if the lock was lost meanwhile (the
 * holder stalled past `staleMs` and another process took it over): call it right before writing.
 * The lock is released when `fn` settles, and on process exit.
 */
export async function withFileLock<T>(path: string, fn: (assertHeld: () => void) => Promise<T>, options: LockOptions = {}): Promise<T> {
  const staleMs = Math.max(options.staleMs ?? 10_000, 2_000);
  const timeoutMs = options.timeoutMs ?? 20_000;
  try {
    await fsp.mkdir(dirname(path), { recursive: true });
  } catch (error) {
    // mkdir -p says EEXIST when a part of the path is a file, not a folder.
    const notDir = (error as NodeJS.ErrnoException).code === 'EEXIST' ? Object.assign(new Error('ENOTDIR'), { code: 'ENOTDIR' }) : error;
    throw fileError(path, notDir, 'lock', 'file (its folder)');
  }
  const lock = await acquire(path, staleMs, timeoutMs);
  try {
    return await fn(() => assertHeld(lock));
  } finally {
    await release(lock);
  }
}

async function acquire(path: string, staleMs: number, timeoutMs: number): Promise<HeldLock> {
  const lockPath = `${path}.lock`;
  const deadline = Date.now() + timeoutMs;
  let wait = 5;
  let retriesAtOnce = 0;
  for (;;) {
    const outcome = await tryAcquire(path, lockPath, staleMs);
    if (typeof outcome === 'object') return outcome;
    // The lock went away (or was stale and is now gone): try at once, a few times even past the
    // deadline (a stale lock is taken over with timeoutMs 0), then back off like for a held one.
    if (outcome === 'again' && retriesAtOnce++ < 5) continue;
    retriesAtOnce = 0;
    const left = deadline - Date.now();
    if (left <= 0) throw lockedError(path, lockPath, timeoutMs, staleMs);
    // Backoff with jitter (5 ms growing to 200 ms) so many waiting writers do not stampede.
    await new Promise((resolveWait) => setTimeout(resolveWait, Math.min(left, wait * (0.5 + Math.random()))));
    wait = Math.min(wait * 1.5, 200);
  }
}

async function tryAcquire(path: string, lockPath: string, staleMs: number): Promise<HeldLock | 'held' | 'again'> {
  const startedAt = Date.now();
  try {
    await fsp.mkdir(lockPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw fileError(path, error, 'lock', 'file');
    let stat;
    try {
      stat = await fsp.stat(lockPath);
    } catch (statError) {
      if ((statError as NodeJS.ErrnoException).code === 'ENOENT') return 'again';
      throw fileError(path, statError, 'lock', 'file');
    }
    if (stat.mtimeMs >= Date.now() - staleMs) return 'held';
    try {
      await takeOver(lockPath, stat);
    } catch (takeOverError) {
      throw fileError(path, takeOverError, 'lock', 'file (taking over its stale lock)');
    }
    return 'again';
  }
  const token = randomBytes(8).toString('hex');
  const owner = { pid: process.pid, hostname: hostname(), acquiredAt: new Date(startedAt).toISOString(), token };
  let ino: number;
  try {
    await fsp.writeFile(join(lockPath, OWNER_FILE), `${JSON.stringify(owner)}\n`);
    ino = (await fsp.stat(lockPath)).ino;
  } catch (error) {
    await fsp.rm(lockPath, { recursive: true, force: true }).catch(() => undefined);
    throw fileError(path, error, 'lock', 'file');
  }
  const lock: HeldLock = {
    path,
    lockPath,
    staleMs,
    token,
    ino,
    refreshedAt: startedAt,
    lost: undefined,
    timer: undefined,
    released: false,
  };
  held.add(lock);
  installExitHook();
  scheduleRefresh(lock, staleMs / 2);
  return lock;
}

/**
 * Removes a stale lock: rename it aside (atomic), then check that what moved is the lock seen
 * stale. Between the `stat` and the rename another waiter may have taken the stale lock over
 * and made a fresh one; that one is put back (if that fails its holder sees the lock lost and
 * writes nothing).
 */
async function takeOver(lockPath: string, stale: { ino: number; mtimeMs: number }): Promise<void> {
  const aside = `${lockPath}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await fsp.rename(lockPath, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = await fsp.stat(aside).catch(() => undefined);
  if (moved !== undefined && (moved.ino !== stale.ino || moved.mtimeMs !== stale.mtimeMs)) {
    await fsp.rename(aside, lockPath).catch(() => undefined);
  }
  await fsp.rm(aside, { recursive: true, force: true }).catch(() => undefined);
}

function scheduleRefresh(lock: HeldLock, delayMs: number): void {
  lock.timer = setTimeout(() => void refresh(lock), delayMs);
  // The lock must not keep the process alive; it is removed on exit anyway.
  lock.timer.unref();
}

async function refresh(lock: HeldLock): Promise<void> {
  lock.timer = undefined;
  if (lock.released || lock.lost !== undefined) return;
  const at = new Date();
  try {
    if (!isStillOurs(lock)) {
      lock.lost = `${lock.lockPath} was removed or taken over by another process`;
      return;
    }
    await fsp.utimes(lock.lockPath, at, at);
  } catch (error) {
    if (lock.released) return;
    if (Date.now() - lock.refreshedAt >= lock.staleMs) {
      lock.lost = `could not refresh ${lock.lockPath} within ${lock.staleMs} ms (${(error as Error).message})`;
      return;
    }
    scheduleRefresh(lock, 1_000);
    return;
  }
  if (lock.released) return;
  lock.refreshedAt = at.getTime();
  scheduleRefresh(lock, lock.staleMs / 2);
}

/** The lock directory is still the one we made: same inode and our token in its owner file. */
function isStillOurs(lock: HeldLock): boolean {
  try {
    if (statSync(lock.lockPath).ino !== lock.ino) return false;
    return (JSON.parse(readFileSync(join(lock.lockPath, OWNER_FILE), 'utf8')) as { token?: unknown }).token === lock.token;
  } catch {
    return false;
  }
}

function assertHeld(lock: HeldLock): void {
  let lost = lock.lost;
  // A refresh that did not happen in time (a stalled event loop) means another process may
  // already have judged the lock stale: do not write on it.
  if (lost === undefined && Date.now() - lock.refreshedAt >= lock.staleMs) lost = `its mtime was not refreshed for ${lock.staleMs} ms`;
  if (lost === undefined && !isStillOurs(lock)) lost = `${lock.lockPath} was removed or taken over by another process`;
  if (lost === undefined) return;
  lock.lost = lost;
  throw new CascadenceError(ErrorCode.FILE_LOCKED, `lost the lock on ${lock.path} (${lost}); nothing was written`, {
    details: { path: lock.path, lockPath: lock.lockPath, lost: true },
    suggestions: ['try again: the process was too slow to keep its lock (a suspended process, or a machine under heavy load)'],
  });
}

async function release(lock: HeldLock): Promise<void> {
  lock.released = true;
  if (lock.timer !== undefined) clearTimeout(lock.timer);
  held.delete(lock);
  if (isStillOurs(lock)) await fsp.rm(lock.lockPath, { recursive: true, force: true }).catch(() => undefined);
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A process that exits while holding a lock (process.exit from a signal handler, say) must not
  // make the next writer wait for the stale time.
  process.on('exit', () => {
    for (const lock of held) {
      if (isStillOurs(lock)) {
        try {
          rmSync(lock.lockPath, { recursive: true, force: true });
        } catch {
          // nothing more to do at exit: the lock goes stale
        }
      }
    }
  });
}

/** The holder named in a lock directory's owner file, when it can be read. */
export function readLockOwner(lockPath: string): LockOwner | undefined {
  try {
    const data = JSON.parse(readFileSync(join(lockPath, OWNER_FILE), 'utf8')) as Partial<LockOwner>;
    if (typeof data.pid !== 'number' || typeof data.hostname !== 'string' || typeof data.acquiredAt !== 'string') return undefined;
    return { pid: data.pid, hostname: data.hostname, acquiredAt: data.acquiredAt };
  } catch {
    return undefined;
  }
}

function lockedError(path: string, lockPath: string, timeoutMs: number, staleMs: number): CascadenceError {
  const owner = readLockOwner(lockPath);
  const by = owner === undefined ? 'another process' : `process ${owner.pid} on ${owner.hostname} (since ${owner.acquiredAt})`;
  return new CascadenceError(
    ErrorCode.FILE_LOCKED,
    `${path} is locked by ${by} (lock: ${lockPath}); gave up after ${timeoutMs} ms. If no other Cascadence process is running, the lock is stale and is taken over once it is ${staleMs} ms old`,
    {
      details: { path, lockPath, timeoutMs, staleMs, ...(owner === undefined ? {} : { owner }) },
      suggestions: [
        'try again once the other process is done',
        `if that process no longer runs, wait ${staleMs} ms for the lock to go stale, or remove ${lockPath}`,
      ],
    },
  );
}
