import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import lockfile from 'proper-lockfile';

/** Writes `data` so readers see the old or the new content, never a mix: temp file, fsync, rename. */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  await fs.mkdir(dirname(path), { recursive: true });
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await fs.open(temp, 'w');
  try {
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(temp, path);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
  // Persist the rename itself.
  const dir = await fs.open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** Runs `fn` holding an inter-process lock on `path`, so concurrent read-modify-writes serialise. */
export async function withLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  await fs.mkdir(dirname(path), { recursive: true });
  const release = await lockfile.lock(path, {
    realpath: false,
    stale: 10_000,
    retries: { retries: 100, factor: 1.3, minTimeout: 20, maxTimeout: 500, randomize: true },
  });
  try {
    return await fn();
  } finally {
    await release();
  }
}
