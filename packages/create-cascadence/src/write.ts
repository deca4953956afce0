import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import type { FileMap } from './project';

/** Entries of a folder that count when deciding whether it is empty (a bare .git does not). */
export function folderContents(dir: string): string[] | undefined {
  if (!existsSync(dir)) return undefined;
  if (!statSync(dir).isDirectory()) throw new CreateError(`${dir} exists and is not a folder`);
  return readdirSync(dir)
    .filter((entry) => entry !== '.git')
    .sort();
}

export class CreateError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CreateError';
  }
}

export interface WriteReport {
  created: string[];
  /** Files that existed with other contents and were replaced (only with `force`). */
  replaced: string[];
  /** Files that existed with exactly these contents. */
  unchanged: string[];
}

/**
 * Writes the files into `dir`. Without `force` no existing file is ever touched: a file that is
 * already there is an error (and nothing is written). With `force`, existing files are replaced
 * and reported in `replaced`.
 */
export function writeFiles(dir: string, files: FileMap, { force }: { force: boolean }): WriteReport {
  const root = resolve(dir);
  const report: WriteReport = { created: [], replaced: [], unchanged: [] };
  const plan = Object.keys(files)
    .sort()
    .map((rel) => {
      const target = resolve(root, rel);
      if (!target.startsWith(root + sep)) throw new CreateError(`refusing to write outside ${root}: ${rel}`);
      let state: 'new' | 'same' | 'different' = 'new';
      if (existsSync(target) || isDanglingLink(target)) {
        if (!lstatSync(target).isFile()) throw new CreateError(`${join(dir, rel)} exists and is not a regular file`);
        state = readFileSync(target, 'utf8') === files[rel] ? 'same' : 'different';
      }
      return { rel, target, state };
    });
  const clashes = plan.filter((p) => p.state === 'different');
  if (clashes.length > 0 && !force) {
    throw new CreateError(
      `these files exist and would be overwritten: ${clashes.map((c) => c.rel).join(', ')} (pass --force to replace them)`,
    );
  }
  for (const { rel, target, state } of plan) {
    if (state === 'same') {
      report.unchanged.push(rel);
      continue;
    }
    mkdirSync(dirname(target), { recursive: true });
    // 'wx' for new files: if one appeared since the check, fail rather than overwrite it.
    writeFileSync(target, files[rel]!, { flag: state === 'new' ? 'wx' : 'w' });
    (state === 'new' ? report.created : report.replaced).push(rel);
  }
  return report;
}

function isDanglingLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
