/**
 * Replacing a file so that a reader, or a crash at any instant (even SIGKILL mid-write), sees the
 * old or the new content, never a mix: temp file beside it, fsync, rename over, fsync the folder.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp, constants as fsConstants } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CascadenceError, ErrorCode } from '../errors';
import { fileError } from './file-error';

/** What identifies one version of a file on disk, to notice changes with one `stat`. */
export interface FileSignature {
  mtimeMs: number;
  size: number;
  ino: number;
}

export interface WriteFileAtomicOptions {
  /** The path to name in errors when `path` is a symlink's target (the path the user gave). */
  shownPath?: string;
}

function tempPrefix(path: string): string {
  return `.${basename(path)}.`;
}

/**
 * Replaces `path` with `data` atomically and returns the new file's signature. Keeps the file's
 * mode (and owner, when run as root); refuses a read-only file (`CASCADENCE_FILE_UNWRITABLE`,
 * nothing written). Call it while holding the file's lock (`withFileLock`): leftover temp files
 * of writers that died are removed first, and no live writer can own them then.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: WriteFileAtomicOptions = {},
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
        ErrorCode.FILE_UNWRITABLE,
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
  const stat = await fsp.stat(path);
  return { mtimeMs: stat.mtimeMs, size: stat.size, ino: stat.ino };
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
