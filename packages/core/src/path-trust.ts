import { statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Why code at `path` (a file or folder, already resolved with realpath) should not be run by this
 * process without the user naming it explicitly, or undefined when it is fine: it must belong to the
 * user running the process (or to root), must not be writable by other users, and its folder must not
 * be world-writable (a shared folder such as /tmp, where another user could have planted it).
 * POSIX only: on Windows (no uids) it always answers undefined.
 */
export function pathTrustProblem(path: string): string | undefined {
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  if (uid === undefined) return undefined;
  let stat;
  let parent;
  try {
    stat = statSync(path);
    parent = statSync(dirname(path));
  } catch (error) {
    return `it cannot be inspected (${(error as Error).message})`;
  }
  if (stat.uid !== uid && stat.uid !== 0) return `it is owned by another user (uid ${stat.uid}; you are uid ${uid})`;
  if ((stat.mode & 0o002) !== 0) return 'it is writable by every user (mode ' + (stat.mode & 0o7777).toString(8) + ')';
  if ((parent.mode & 0o002) !== 0)
    return `its folder ${dirname(path)} is writable by every user (mode ${(parent.mode & 0o7777).toString(8)})`;
  if (parent.uid !== uid && parent.uid !== 0) return `its folder ${dirname(path)} is owned by another user (uid ${parent.uid})`;
  return undefined;
}
