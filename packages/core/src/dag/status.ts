/**
 * Step states and trigger rules as small integers: the run state machine compares these in its
 * hot loop instead of strings. Names are what RunResult shows.
 */
import type { StepStatus } from '../result';

export const PENDING = 0;
export const RUNNING = 1;
export const SUCCEEDED = 2;
export const FAILED = 3;
export const SKIPPED = 4;
export const CANCELLED = 5;
/** Skipped because something upstream failed (shown as `skipped`; any-failed handlers still fire). */
export const SKIPPED_UPSTREAM = 6;

export const STEP_STATUS_NAMES: readonly StepStatus[] = ['pending', 'running', 'succeeded', 'failed', 'skipped', 'cancelled', 'skipped'];

export const RULE_ALL_SUCCEEDED = 0;
export const RULE_ALL_DONE = 1;
export const RULE_ANY_FAILED = 2;
export const RULE_NONE_FAILED = 3;
export const RULE_ONE_SUCCEEDED = 4;
export const RULE_ALL_FAILED = 5;
export const RULE_ALWAYS = 6;

/**
 * Trigger rule name → code; the names are FlowStep's `when`. "Failed" needs are those that failed,
 * were cancelled, or were skipped because something upstream of them failed.
 */
export const RULE_CODES = Object.freeze({
  'all-succeeded': RULE_ALL_SUCCEEDED,
  'all-done': RULE_ALL_DONE,
  'any-failed': RULE_ANY_FAILED,
  'none-failed': RULE_NONE_FAILED,
  'one-succeeded': RULE_ONE_SUCCEEDED,
  'all-failed': RULE_ALL_FAILED,
  always: RULE_ALWAYS,
});

/**
 * Why a step did not run. `disabled`: its task is disabled (`task disable`) — a disabled task never
 * runs, and the step's dependants follow their trigger rules as after any other skipped step.
 * `self`: the step ran and skipped itself (`ctx.skip(reason)`); its dependants treat it like any
 * skip on purpose (not a failure).
 */
export type SkipReason = 'upstream-failed' | 'trigger-rule' | 'fail-fast' | 'disabled' | 'self';
