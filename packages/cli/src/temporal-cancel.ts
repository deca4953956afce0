import type { ExecutionBackend, RunResult } from '@cascadence/core';
import type { Project } from './project/project';

/** What a TemporalBackend offers for a run started elsewhere: a handle by workflow id. */
interface HandleSource {
  getHandle(workflowId: string): Promise<{ cancel(reason?: unknown): Promise<void>; result(): Promise<RunResult> }>;
}

function hasHandles(backend: ExecutionBackend): backend is ExecutionBackend & HandleSource {
  return typeof (backend as Partial<HandleSource>).getHandle === 'function';
}

/**
 * Cancels a recorded Temporal run through Temporal (its workflow gets a cancellation request; the
 * worker aborts the running steps), whichever process started it. Resolves with the run's
 * result when it ends within `waitMs` (0: do not wait), else undefined.
 */
export async function cancelOnTemporal(
  project: Project,
  workflowId: string,
  reason: string,
  waitMs: number,
): Promise<RunResult | undefined> {
  const backend = await project.backend('temporal');
  try {
    if (!hasHandles(backend)) throw new Error('the temporal backend of this project cannot look runs up by workflow id');
    const handle = await backend.getHandle(workflowId);
    await handle.cancel(new Error(reason));
    if (waitMs === 0) return undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), waitMs)));
    try {
      return await Promise.race([handle.result(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await backend.close?.();
  }
}
