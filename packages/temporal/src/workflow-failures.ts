/**
 * Failures inside the workflow as plain JSON errors (WireError): the step-level markers, the
 * errors the workflow itself raises (timeouts, cancellation, payload limits) in core's wording,
 * and the translation of Temporal's activity failures. Sandbox-safe: bundled with workflow.ts.
 */
import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/workflow';
import { ErrorCode, cancelledMessage, timeoutMessage } from '@cascadence/core/dag';
import { TemporalErrorCode } from './error-codes';
import { formatBytes, type StepFailureDetails, type WireError } from './wire';

/** A step ended in failure: the error and how many attempts it took. */
export class StepFailed {
  constructor(
    readonly error: WireError,
    readonly attempts: number,
  ) {}
}

/** Marker for "this step was cancelled" coming out of a step runner. */
export class StepCancelled {}

export function cascadenceError(name: string, code: string, message: string, details?: Record<string, unknown>): WireError {
  return details === undefined ? { name, code, message } : { name, code, message, details };
}

export function timeoutError(what: string, ms: number): WireError {
  return cascadenceError('TimeoutError', ErrorCode.TIMEOUT, timeoutMessage(what, ms), { timeoutMs: ms });
}

/** Worded like core's CancelledError(what, reason). */
export function cancelledError(what: string, reason: WireError | undefined): WireError {
  return cascadenceError('CancelledError', ErrorCode.CANCELLED, cancelledMessage(what, reason?.message ?? ''));
}

export function payloadTooLarge(what: string, size: number, limit: number): WireError {
  return cascadenceError(
    'CascadenceError',
    TemporalErrorCode.PAYLOAD_TOO_LARGE,
    `${what} is ${formatBytes(size)}, over the ${formatBytes(limit)} Temporal payload limit (maxPayloadBytes); ` +
      'keep large data outside the workflow (a file, an object store) and pass a reference',
    { size, limit },
  );
}

/** Translates an activity failure into the step's error and attempt count. */
export function activityError(err: unknown, where: string, timeoutMs: number, attemptOffset: number, maxAttempts: number): StepFailed {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof TimeoutFailure) {
    // Timeouts are retryable, so an activity that ends in one has used all its attempts.
    const attempts = attemptOffset + maxAttempts;
    if (cause.timeoutType === 'HEARTBEAT') {
      return new StepFailed(
        cascadenceError(
          'CascadenceError',
          TemporalErrorCode.WORKER_LOST,
          `${where} stopped heartbeating (its worker was lost or its event loop blocked)`,
        ),
        attempts,
      );
    }
    return new StepFailed(timeoutError(where, timeoutMs), attempts);
  }
  if (cause instanceof ApplicationFailure) {
    const info = (cause.details?.[0] ?? undefined) as StepFailureDetails | undefined;
    const attempt = typeof info?.attempt === 'number' ? info.attempt : maxAttempts;
    const error: WireError = { name: info?.name ?? cause.type ?? 'Error', message: cause.message };
    if (info?.code !== undefined) error.code = info.code;
    if (info?.details !== undefined) error.details = info.details;
    return new StepFailed(error, attemptOffset + attempt);
  }
  const message = cause instanceof Error ? cause.message : String(cause);
  return new StepFailed({ name: cause instanceof Error ? cause.name : 'Error', message }, attemptOffset + maxAttempts);
}
