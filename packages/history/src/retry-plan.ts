import { isFlow, type Flow, type Task } from '@cascadence/core';
import { HistoryErrorCode, historyError } from './errors';
import type { RunRecord, StepRecord } from './records';
import { recoveredValue } from './values';

/** What `task retry` runs: the recorded input, and the outputs of steps it does not run again. */
export interface RetryPlan {
  input: unknown;
  /** Step outputs to reuse (`RunOptions.reuse`); undefined when everything runs again. */
  reuse: Record<string, unknown> | undefined;
  reused: string[];
  rerun: string[];
}

/**
 * Plans a retry of `run` with today's definition of its task or flow: steps that succeeded keep
 * their recorded outputs; failed, cancelled, skipped and new steps run again, and so does
 * everything downstream of them. Refuses, naming the step and the reason, when an output it
 * would reuse (or the input) was not recorded whole — unless `rerunAll`.
 */
export function planRetry(
  run: RunRecord,
  steps: readonly StepRecord[],
  runnable: Task | Flow,
  options: { rerunAll?: boolean } = {},
): RetryPlan {
  if (runnable.name !== run.task) {
    throw historyError(HistoryErrorCode.NOT_RETRYABLE, `run ${run.id} ran "${run.task}", not "${runnable.name}"`);
  }
  if (run.status === 'running') {
    throw historyError(HistoryErrorCode.NOT_RETRYABLE, `run ${run.id} is still running (owned by pid ${run.pid} on ${run.host})`, {
      suggestions: ['wait for it to end, or stop that process first'],
    });
  }
  const input = recoveredValue(run.input);
  if (!input.ok) {
    throw historyError(HistoryErrorCode.NOT_RETRYABLE, `cannot retry run ${run.id}: its input was not recorded: ${input.why}`, {
      details: { runId: run.id },
    });
  }
  const all = isFlow(runnable) ? runnable.graph.ids : [runnable.name];
  if (options.rerunAll === true || !isFlow(runnable)) {
    if (run.status === 'succeeded' && options.rerunAll !== true) throw nothingToRetry(run);
    return { input: input.value, reuse: undefined, reused: [], rerun: [...all] };
  }
  const graph = runnable.graph;
  const byId = new Map(steps.map((step) => [step.step, step]));
  const reruns = new Array<boolean>(graph.ids.length).fill(false);
  for (let i = 0; i < graph.ids.length; i++) {
    if (byId.get(graph.ids[i] as string)?.status !== 'succeeded') reruns[i] = true;
  }
  // Everything downstream of a rerun step runs again too (its inputs change).
  for (const i of graph.order) {
    if (reruns[i]) continue;
    if ((graph.needs[i] as readonly number[]).some((need) => reruns[need])) reruns[i] = true;
  }
  const reuse: Record<string, unknown> = {};
  const reused: string[] = [];
  const rerun: string[] = [];
  for (let i = 0; i < graph.ids.length; i++) {
    const id = graph.ids[i] as string;
    if (reruns[i]) {
      rerun.push(id);
      continue;
    }
    const output = recoveredValue((byId.get(id) as StepRecord).output);
    if (!output.ok) {
      throw historyError(
        HistoryErrorCode.NOT_RETRYABLE,
        `cannot retry run ${run.id} from its failed steps: the output of step "${id}" is needed but ${output.why}`,
        {
          suggestions: [`run every step again with: task retry ${run.id} --rerun-all`],
          details: { runId: run.id, step: id },
        },
      );
    }
    reuse[id] = output.value;
    reused.push(id);
  }
  if (rerun.length === 0) throw nothingToRetry(run);
  return { input: input.value, reuse, reused, rerun };
}

function nothingToRetry(run: RunRecord): Error {
  return historyError(
    HistoryErrorCode.NOT_RETRYABLE,
    `run ${run.id} ${run.status === 'succeeded' ? 'succeeded' : 'has no failed steps'}: nothing to retry`,
    {
      suggestions: [`run it again from the start with: task retry ${run.id} --rerun-all`],
    },
  );
}
