/**
 * A third driver of the dag RunState, besides the local engine and the Temporal workflow: a
 * discrete-event simulation with a simulated clock. Step attempts take a scripted time and end
 * in a scripted way; timeouts, retry delays, fail-fast and cancellation happen on the same clock.
 * Property tests run the same scenarios through the real engine (under fake timers) and require
 * equal results.
 */
import {
  RULE_CODES,
  RUNNING,
  RunState,
  STEP_STATUS_NAMES,
  cancelledMessage,
  dagShape,
  decideRetry,
  failFastMessage,
  runWhat,
  stepWhere,
  timeoutMessage,
} from '../src/dag';
import type { TriggerRule } from '../src/flow';

export interface SimStep {
  needs: number[];
  when: TriggerRule;
  /** Retry attempts (fixed backoff of `delayMs`). */
  attempts: number;
  delayMs: number;
  /** Per attempt: succeeds? and how long it takes (ms). */
  outcomes: boolean[];
  durations: number[];
  timeoutMs: number | undefined;
}

export interface SimScenario {
  steps: SimStep[];
  concurrency: number;
  failFast: boolean;
  /** Cancel the run at this time (ms); undefined: never. */
  cancelAt: number | undefined;
}

export interface SimError {
  name: string;
  message: string;
  code: string | undefined;
}

export interface SimResult {
  status: string;
  output: unknown;
  error: SimError | undefined;
  steps: Record<string, { status: string; attempts: number; output: unknown; error: SimError | undefined }>;
}

export const SIM_FLOW = 'random';
export const CANCEL_REASON = 'test cancelled it';

export const attemptError = (i: number, attempt: number): SimError => ({
  name: 'Error',
  message: `s${i} failed attempt ${attempt}`,
  code: undefined,
});

export function simulate(scenario: SimScenario): SimResult {
  const { steps } = scenario;
  const n = steps.length;
  const ids = steps.map((_, i) => `s${i}`);
  const state = new RunState<SimError>(
    dagShape(
      steps.map((s) => s.needs),
      steps.map((s) => RULE_CODES[s.when]),
    ),
    scenario.failFast,
  );
  const where = (i: number): string => stepWhere(SIM_FLOW, ids[i] as string);
  const cancelled = (i: number, reason: string): SimError => ({
    name: 'CancelledError',
    message: cancelledMessage(where(i), reason),
    code: 'CASCADENCE_CANCELLED',
  });
  // The event queue: (time, sequence) order, like timers of equal delay fire in creation order.
  const queue: Array<{ t: number; seq: number; run: () => void }> = [];
  let seq = 0;
  let now = 0;
  // Node runs a timer of 0 ms after 1 ms, and so do the fake timers that stand in for it.
  const after = (ms: number, run: () => void): void => {
    queue.push({ t: now + Math.max(1, ms), seq: seq++, run });
  };
  const token = new Array<number>(n).fill(0);
  let finished = false;

  const finish = (): void => {
    finished = true;
  };
  const pump = (): void => {
    if (finished) return;
    for (let i = state.next(scenario.concurrency); i >= 0; i = state.next(scenario.concurrency)) start(i);
    if (state.complete) finish();
  };
  const start = (i: number): void => {
    const step = steps[i] as SimStep;
    const attempt = state.start(i);
    const mine = ++token[i]!;
    const live = (): boolean => token[i] === mine && state.status[i] === RUNNING && !finished;
    after(step.durations[attempt - 1] as number, () => {
      if (!live()) return;
      if (step.outcomes[attempt - 1]) {
        token[i]!++;
        state.succeed(i, i);
        pump();
      } else {
        failAttempt(i, attempt, attemptError(i, attempt));
      }
    });
    if (step.timeoutMs !== undefined) {
      const ms = step.timeoutMs;
      after(ms, () => {
        if (live()) failAttempt(i, attempt, { name: 'TimeoutError', message: timeoutMessage(where(i), ms), code: 'CASCADENCE_TIMEOUT' });
      });
    }
  };
  const failAttempt = (i: number, attempt: number, error: SimError): void => {
    const step = steps[i] as SimStep;
    token[i]!++;
    const policy = {
      attempts: step.attempts,
      backoff: 'fixed' as const,
      delayMs: step.delayMs,
      maxDelayMs: Math.max(60_000, step.delayMs),
      jitter: 0,
      nonRetryable: [],
    };
    const delay = decideRetry(policy, attempt, error, state.mayRetry);
    if (delay >= 0) {
      state.awaitRetry(i);
      after(delay, () => {
        if (finished) return;
        state.requeue(i);
        pump();
      });
      pump();
      return;
    }
    if (state.fail(i, error)) {
      const reason = failFastMessage(where(i));
      state.cancelInFlight(false, (j) => {
        token[j]!++;
        return cancelled(j, reason);
      });
    }
    state.release(i);
    pump();
  };

  if (scenario.cancelAt !== undefined) {
    after(scenario.cancelAt, () => {
      if (finished) return;
      const runError: SimError = {
        name: 'CancelledError',
        message: cancelledMessage(runWhat('flow', SIM_FLOW), CANCEL_REASON),
        code: 'CASCADENCE_CANCELLED',
      };
      const aborted = state.abort('cancelled', runError, (j) => {
        token[j]!++;
        return cancelled(j, CANCEL_REASON);
      });
      // The run ends once its `always` steps (if any) have ended too.
      if (aborted) pump();
    });
  }
  state.seed();
  pump();
  while (!finished) {
    if (queue.length === 0) throw new Error('simulation stalled: nothing scheduled and the run is not finished');
    queue.sort((a, b) => a.t - b.t || a.seq - b.seq);
    const next = queue.shift() as (typeof queue)[number];
    now = next.t;
    next.run();
  }
  const { status, error } = state.outcome();
  const result: SimResult = { status, error, output: status === 'succeeded' ? state.succeededOutputs(ids, false) : undefined, steps: {} };
  for (let i = 0; i < n; i++) {
    const code = state.status[i] as number;
    result.steps[ids[i] as string] = {
      status: STEP_STATUS_NAMES[code] as string,
      attempts: state.attempts[i] as number,
      output: STEP_STATUS_NAMES[code] === 'succeeded' ? state.outputs[i] : undefined,
      error: state.errors[i],
    };
  }
  return result;
}
