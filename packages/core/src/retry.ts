import { CascadenceError, ErrorCode } from './errors';

export type Backoff = 'fixed' | 'exponential';

/** How often and how patiently a failing step is tried again. */
export interface RetryPolicy {
  /** Total tries including the first; 1 means no retry. */
  attempts: number;
  /** Default `exponential`: delayMs, 2×delayMs, 4×delayMs, ... capped at maxDelayMs. */
  backoff?: Backoff;
  /** Delay before the second attempt. Default 1000 ms. */
  delayMs?: number;
  /** Upper bound for exponential delays. Default 60 000 ms. */
  maxDelayMs?: number;
  /** `true` (= 0.5) or a fraction in (0, 1]: each delay is reduced by a random share up to it. */
  jitter?: boolean | number;
  /** Error names, codes or classes that stop retrying at once (NonRetryableError always does). */
  nonRetryable?: Array<string | (abstract new (...args: never[]) => Error)>;
}

/** A retry policy with every default applied. */
export interface ResolvedRetryPolicy {
  attempts: number;
  backoff: Backoff;
  delayMs: number;
  maxDelayMs: number;
  jitter: number;
  nonRetryable: NonNullable<RetryPolicy['nonRetryable']>;
}

export const NO_RETRY: ResolvedRetryPolicy = Object.freeze({
  attempts: 1,
  backoff: 'exponential',
  delayMs: 1000,
  maxDelayMs: 60_000,
  jitter: 0,
  nonRetryable: [],
}) as ResolvedRetryPolicy;

/** Checks a policy and fills in defaults; `where` names the task or step in errors. */
export function resolveRetryPolicy(policy: RetryPolicy | undefined, where: string): ResolvedRetryPolicy {
  if (policy === undefined) return NO_RETRY;
  const fail = (problem: string): never => {
    throw new CascadenceError(ErrorCode.INVALID_DEFINITION, `${where}: retry.${problem}`);
  };
  if (!Number.isInteger(policy.attempts) || policy.attempts < 1) {
    fail(`attempts must be an integer of at least 1 (got ${String(policy.attempts)})`);
  }
  const backoff = policy.backoff ?? 'exponential';
  if (backoff !== 'fixed' && backoff !== 'exponential') {
    fail(`backoff must be "fixed" or "exponential" (got ${JSON.stringify(backoff)})`);
  }
  const delayMs = policy.delayMs ?? 1000;
  if (!(delayMs >= 0) || !Number.isFinite(delayMs)) fail(`delayMs must be a number >= 0 (got ${String(delayMs)})`);
  const maxDelayMs = policy.maxDelayMs ?? Math.max(60_000, delayMs);
  if (!(maxDelayMs >= delayMs)) fail(`maxDelayMs must be >= delayMs (got ${String(maxDelayMs)})`);
  const jitter = policy.jitter === true ? 0.5 : policy.jitter === false || policy.jitter === undefined ? 0 : policy.jitter;
  if (!(jitter >= 0 && jitter <= 1)) fail(`jitter must be true, false or a fraction between 0 and 1 (got ${String(jitter)})`);
  return { attempts: policy.attempts, backoff, delayMs, maxDelayMs, jitter, nonRetryable: policy.nonRetryable ?? [] };
}

/** The part of a policy that sets delays (a resolved policy, or one that travelled as JSON). */
export type RetryTiming = Pick<ResolvedRetryPolicy, 'backoff' | 'delayMs' | 'maxDelayMs' | 'jitter'>;

/** Milliseconds to wait after failed attempt number `attempt` (1-based). */
export function retryDelay(policy: RetryTiming, attempt: number, random: () => number = Math.random): number {
  const base = policy.backoff === 'fixed' ? policy.delayMs : Math.min(policy.maxDelayMs, policy.delayMs * 2 ** Math.min(attempt - 1, 52));
  return policy.jitter === 0 ? base : Math.round(base * (1 - policy.jitter * random()));
}

/** An error as retry rules see it: an Error, or one that travelled as JSON (`{ name, code }`). */
export interface RetryableError {
  name: string;
  code?: unknown;
}

/**
 * Whether `error` may be retried under `policy`: not if its code is CASCADENCE_NON_RETRYABLE,
 * nor if a `nonRetryable` rule names its name or code (or, for Errors, is a class it belongs to).
 */
export function isRetryable(
  policy: { readonly nonRetryable: ReadonlyArray<string | (abstract new (...args: never[]) => Error)> },
  error: RetryableError,
): boolean {
  const code = error.code;
  if (code === ErrorCode.NON_RETRYABLE) return false;
  for (const rule of policy.nonRetryable) {
    if (typeof rule === 'string') {
      if (error.name === rule || code === rule) return false;
    } else if (error instanceof rule) {
      return false;
    }
  }
  return true;
}

/**
 * After failed attempt `attempt`: the delay before the next one, or -1 when the step has failed
 * for good (attempts used up, error not retryable, or the run no longer allows retries).
 */
export function decideRetry(
  policy: RetryTiming & { readonly attempts: number; readonly nonRetryable: Parameters<typeof isRetryable>[0]['nonRetryable'] },
  attempt: number,
  error: RetryableError,
  mayRetry: boolean,
  random: () => number = Math.random,
): number {
  if (!mayRetry || attempt >= policy.attempts || !isRetryable(policy, error)) return -1;
  return retryDelay(policy, attempt, random);
}
