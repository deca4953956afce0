/**
 * Who polls a task queue: lets a client tell "no worker is running for this queue" apart from
 * "the run is slow" instead of waiting in silence.
 */
import type { Client } from '@temporalio/client';

/** temporal.api.enums.v1.TaskQueueType: workflow tasks (every Cascadence worker polls them). */
const TASK_QUEUE_TYPE_WORKFLOW = 1;

export interface TaskQueuePoller {
  /** The worker's identity (`pid@host` by default). */
  identity: string;
  /** When the server last saw this worker poll. */
  lastAccessTime: Date | undefined;
}

/** Workers that recently polled the workflow side of `taskQueue` (the server forgets them after a few minutes of silence). */
export async function workflowPollers(client: Client, namespace: string, taskQueue: string): Promise<TaskQueuePoller[]> {
  const response = await client.workflowService.describeTaskQueue({
    namespace,
    taskQueue: { name: taskQueue },
    taskQueueType: TASK_QUEUE_TYPE_WORKFLOW,
  });
  return (response.pollers ?? []).map((poller) => {
    const seconds = poller.lastAccessTime?.seconds;
    const millis =
      seconds === undefined || seconds === null
        ? undefined
        : Number(seconds) * 1000 + Math.floor((poller.lastAccessTime?.nanos ?? 0) / 1e6);
    return { identity: poller.identity ?? '', lastAccessTime: millis === undefined ? undefined : new Date(millis) };
  });
}
