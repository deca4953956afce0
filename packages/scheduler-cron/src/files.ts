import { randomBytes } from 'node:crypto';
import { promises as fsp, constants as fsConstants, lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { CascadenceError } from '@cascadence/core';
import { lock } from 'proper-lockfile';
import { ScheduleErrorCode } from './errors';

export interface LockOptions {
  /** A lock older than this (its holder died) is taken over. Default 10 000 ms, at least 2 000. */
  staleMs?: number;
  /** How long to keep retrying a lock held by a live process. Default 20 000 ms. */
  timeoutMs?: number;
}

/** What identifies one version of a file on disk, to notice changes with one `stat`. */
export interface FileSignature {
  mtimeMs: number;
  size: number;
  ino: number;
}

export function sameSignature(a: FileSignature | undefined, b: FileSignature | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.mtimeMs === b.mtimeMs && a.size === b.size && a.ino === b.ino;
}

export function signatureOf(stat: { mtimeMs: number; size: number; ino: number }): FileSignature {
  return { mtimeMs: stat.mtimeMs, size: stat.size, ino: stat.ino };
}

/** An error about `path` that names it (EISDIR and friends carry no path of their own). */
export function fileError(path: string, error: unknown, action: string, what: string): Error {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason =
    code === 'EISDIR'
      ? 'it is a directory, not a file'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'ELOOP'
          ? 'too many levels of symbolic links'
          : code === 'ENOTDIR'
            ? 'a part of the path is not a directory'
            : ((error as Error | undefined)?.message ?? String(error));
  return new CascadenceError(ScheduleErrorCode.SCHEDULES_INVALID, `${path}: cannot ${action} the ${what}: ${reason}`, {
    details: { path, errno: code },
    cause: error,
  });
}

/** Reads a file's bytes; a missing file is `undefined`; other errors name the path. */
export async function readBytesIfExists(path: string, what = 'file'): Promise<Buffer | undefined> {
  try {
    return await fsp.readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fileError(path, error, 'read', what);
  }
}

export function readBytesIfExistsSync(path: string, what = 'file'): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fileError(path, error, 'read', what);
  }
}

/**
 * Where a write to `path` must go: `path` itself, or, when it is a symlink (a dotfile manager's
 * link, say), its final target — so the link stays a link and the target sees the change. A
 * dangling link resolves to its (missing) target, which the write creates.
 */
export async function resolveWriteTarget(path: string): Promise<string> {
  return resolveWriteTargetSync(path);
}

export function resolveWriteTargetSync(path: string): string {
  let current = resolve(path);
  for (let hops = 0; hops < 40; hops++) {
    let isLink: boolean;
    try {
      isLink = lstatSync(current).isSymbolicLink();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return current;
      throw fileError(path, error, 'read', 'file');
    }
    if (!isLink) return current;
    current = resolve(dirname(current), readlinkSync(current));
  }
  throw fileError(path, Object.assign(new Error('ELOOP'), { code: 'ELOOP' }), 'follow', 'symbolic link');
}

/** Reads a text file; a missing file is `undefined`. */
export async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Runs `fn` while holding an inter-process lock on `path` (a `<path>.lock` directory made by
 * proper-lockfile). Other Cascadence processes wait (with backoff) up to `timeoutMs`; a lock
 * whose holder died is taken over once older than `staleMs`. If the lock is lost while `fn`
 * runs (the holder stalled past `staleMs`), `assertHeld()` throws so no write happens.
 */
export async function withFileLock<T>(path: string, fn: (assertHeld: () => void) => Promise<T>, options: LockOptions = {}): Promise<T> {
  await fsp.mkdir(dirname(path), { recursive: true });
  const staleMs = Math.max(options.staleMs ?? 10_000, 2_000);
  const timeoutMs = options.timeoutMs ?? 20_000;
  let compromised: Error | undefined;
  let release: (() => Promise<void>) | undefined;
  const deadline = Date.now() + timeoutMs;
  let wait = 5;
  while (release === undefined) {
    try {
      release = await lock(path, {
        realpath: false,
        stale: staleMs,
        retries: 0,
        onCompromised: (error) => {
          compromised = error;
        },
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new CascadenceError(
          ScheduleErrorCode.SCHEDULES_LOCKED,
          `${path} is locked by another process (lock: ${path}.lock); gave up after ${timeoutMs} ms. If no other Cascadence process is running, the lock is stale and is taken over once it is ${staleMs} ms old`,
          { details: { path, lockPath: `${path}.lock` }, cause: error },
        );
      }
      // Backoff with jitter (5 ms growing to 200 ms) so many waiting writers do not stampede.
      await new Promise((resolveWait) => setTimeout(resolveWait, Math.min(left, wait * (0.5 + Math.random()))));
      wait = Math.min(wait * 1.5, 200);
    }
  }
  const assertHeld = (): void => {
    if (compromised !== undefined) {
      throw new CascadenceError(
        ScheduleErrorCode.SCHEDULES_LOCKED,
        `lost the lock on ${path} (${compromised.message}); nothing was written`,
        {
          details: { path },
          cause: compromised,
        },
      );
    }
  };
  const held = release;
  try {
    return await fn(assertHeld);
  } finally {
    await held().catch(() => undefined);
  }
}

function tempPrefix(path: string): string {
  return `.${basename(path)}.`;
}

/**
 * Replaces `path` with `data` so that a reader (or a crash at any instant) sees either the old
 * or the new content, never a mix: write a temp file beside it, fsync, rename over, fsync the
 * folder. Call it while holding the file's lock: leftover temp files of writers that died are
 * removed first (no live writer can own them then). Returns the new file's signature.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: { shownPath?: string } = {},
): Promise<FileSignature> {
  const dir = dirname(path);
  const shownPath = options.shownPath ?? path;
  let mode = 0o644;
  let owner: { uid: number; gid: number } | undefined;
  try {
    const info = await fsp.stat(path);
    if (info.isDirectory()) throw fileError(shownPath, Object.assign(new Error('EISDIR'), { code: 'EISDIR' }), 'write', 'file');
    mode = info.mode & 0o7777;
    owner = { uid: info.uid, gid: info.gid };
    // Replacing the file by rename would ignore its mode: a read-only file is the user's "do not touch".
    let writable = (mode & 0o222) !== 0;
    if (writable)
      writable = await fsp.access(path, fsConstants.W_OK).then(
        () => true,
        () => false,
      );
    if (!writable) {
      throw new CascadenceError(
        ScheduleErrorCode.SCHEDULES_INVALID,
        `${shownPath}${shownPath === path ? '' : ` (-> ${path})`} is read-only (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); nothing was written. Make it writable (chmod u+w) to let Cascadence edit it`,
        { details: { path: shownPath, target: path, mode: mode & 0o777 } },
      );
    }
  } catch (error) {
    if (CascadenceError.isInstance(error)) throw error;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fileError(shownPath, error, 'write', 'file');
    // new file: default mode
  }
  await fsp.mkdir(dir, { recursive: true });
  await removeStaleTemps(path);
  const temp = join(dir, `${tempPrefix(path)}${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(temp, fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY, mode & 0o777);
  } catch (error) {
    throw fileError(shownPath, error, 'write', 'file (its temp file)');
  }
  try {
    // Keep the file's owner when a privileged process rewrites it (best effort).
    if (owner !== undefined && process.getuid?.() === 0) await handle.chown(owner.uid, owner.gid).catch(() => undefined);
    if ((mode & 0o7000) !== 0) await handle.chmod(mode).catch(() => undefined);
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await fsp.rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await fsp.rename(temp, path);
  } catch (error) {
    await fsp.rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(dir);
  return signatureOf(await fsp.stat(path));
}

async function removeStaleTemps(path: string): Promise<void> {
  const prefix = tempPrefix(path);
  let names: string[];
  try {
    names = await fsp.readdir(dirname(path));
  } catch {
    return;
  }
  await Promise.all(
    names
      .filter((name) => name.startsWith(prefix) && name.endsWith('.tmp'))
      .map((name) => fsp.rm(join(dirname(path), name), { force: true }).catch(() => undefined)),
  );
}

async function syncDirectory(dir: string): Promise<void> {
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(dir, 'r');
    await handle.sync();
  } catch {
    // some platforms cannot fsync a directory; the rename is still atomic
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
