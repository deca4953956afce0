import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CliError, CliErrorCode } from '../errors';

/** `.cascadence/tasks.json`: which tasks are disabled. Shared by every CLI process and the scheduler. */
export interface TaskState {
  disabled: string[];
}

export function taskStatePath(stateDir: string): string {
  return join(stateDir, 'tasks.json');
}

/** Reads the state; a missing file is the empty state, a corrupt one an error naming the file. */
export function readTaskState(path: string): TaskState {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { disabled: [] };
    throw error;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new CliError(CliErrorCode.STATE, `${path} is not valid JSON (${(error as Error).message}); fix or delete it`);
  }
  const disabled = (data as TaskState | null)?.disabled;
  if (!Array.isArray(disabled) || disabled.some((d) => typeof d !== 'string')) {
    throw new CliError(CliErrorCode.STATE, `${path}: "disabled" must be a list of task names`);
  }
  return { disabled };
}

/**
 * Read-modify-write under a lock; the file is only replaced atomically, and only if it parsed.
 * A lock held past the timeout fails with core's `CASCADENCE_FILE_LOCKED` naming this file (exit 1).
 */
export async function updateTaskState(path: string, change: (state: TaskState) => TaskState): Promise<TaskState> {
  // Loaded here, not at start-up: only enable/disable (and the UI's toggle) write this file.
  const { withFileLock, writeFileAtomic } = await import('@cascadence/core/files');
  return withFileLock(path, async (assertHeld) => {
    const next = change(readTaskState(path));
    const normalised = { disabled: [...new Set(next.disabled)].sort() };
    assertHeld();
    await writeFileAtomic(path, `${JSON.stringify(normalised, null, 2)}\n`);
    return normalised;
  });
}

/** Reads the disabled set, re-reading only when the file changed (for a long-running scheduler). */
export function watchDisabled(path: string): (name: string) => boolean {
  let seen = '';
  let disabled = new Set<string>();
  return (name) => {
    let signature = 'missing';
    try {
      const stat = statSync(path);
      signature = `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
    } catch {
      // missing file: nothing disabled
    }
    if (signature !== seen) {
      seen = signature;
      try {
        disabled = new Set(readTaskState(path).disabled);
      } catch {
        // A corrupt file keeps the last good state rather than firing disabled tasks.
      }
    }
    return !disabled.has(name);
  };
}
