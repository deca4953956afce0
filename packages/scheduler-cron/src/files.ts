import { promises as fsp, lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CascadenceError, ErrorCode } from '@cascadence/core';
import { fileErrorReason, withFileLock as lockFile, type FileSignature, type LockOptions } from '@cascadence/core/files';
import { ScheduleErrorCode } from './errors';

// The lock and the atomic write are core's (`@cascadence/core/files`); this package keeps its own error codes for them.
export { writeFileAtomic } from '@cascadence/core/files';
export type { FileSignature, LockOptions };

export function sameSignature(a: FileSignature | undefined, b: FileSignature | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.mtimeMs === b.mtimeMs && a.size === b.size && a.ino === b.ino;
}

export function signatureOf(stat: { mtimeMs: number; size: number; ino: number }): FileSignature {
  return { mtimeMs: stat.mtimeMs, size: stat.size, ino: stat.ino };
}

/** An error about `path` that names it, in core's wording (EISDIR and friends carry no path of their own). */
export function fileError(path: string, error: unknown, action: string, what: string): Error {
  return new CascadenceError(ScheduleErrorCode.SCHEDULES_INVALID, `${path}: cannot ${action} the ${what}: ${fileErrorReason(error)}`, {
    details: { path, errno: (error as NodeJS.ErrnoException | undefined)?.code },
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
 * Core's `withFileLock` for the schedules and state files, with core's file errors under this
 * package's codes (part of its contract): a lock not got in time or lost before writing is
 * `CASCADENCE_SCHEDULES_LOCKED`, a file that cannot be written `CASCADENCE_SCHEDULES_INVALID`.
 * Errors of `fn` are mapped too, so `writeFileAtomic` inside it needs no wrapper.
 */
export async function withFileLock<T>(path: string, fn: (assertHeld: () => void) => Promise<T>, options: LockOptions = {}): Promise<T> {
  try {
    return await lockFile(path, fn, options);
  } catch (error) {
    throw asScheduleError(error);
  }
}

function asScheduleError(error: unknown): unknown {
  const code = CascadenceError.isInstance(error, ErrorCode.FILE_LOCKED)
    ? ScheduleErrorCode.SCHEDULES_LOCKED
    : CascadenceError.isInstance(error, ErrorCode.FILE_UNWRITABLE)
      ? ScheduleErrorCode.SCHEDULES_INVALID
      : undefined;
  if (code === undefined) return error;
  const { message, details, suggestions } = error as CascadenceError;
  return new CascadenceError(code, message, { details, suggestions, cause: error });
}
