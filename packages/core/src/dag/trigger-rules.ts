/**
 * A step's trigger rule applied to how its needs have ended so far: run it, skip it, or wait.
 *
 * Pure and sandbox-safe: no Node built-ins, no timers, no globals read at load.
 */
import {
  CANCELLED,
  FAILED,
  RULE_ALL_FAILED,
  RULE_ALL_SUCCEEDED,
  RULE_ANY_FAILED,
  RULE_NONE_FAILED,
  RULE_ONE_SUCCEEDED,
  SKIPPED_UPSTREAM,
  SUCCEEDED,
} from './status';

/** A failed need counts this much in a step's `ended` counter; not-succeeded needs count 1 each. */
const FAILED_NEED = 2 ** 26;

export const WAIT = 0;
export const RUN = 1;
export const SKIP_TRIGGER_RULE = 2;
export const SKIP_UPSTREAM_FAILED = 3;

/**
 * What a need that ended with status `state` adds to its dependant's packed `ended` counter: 0 for
 * a success, 1 for any other end, plus FAILED_NEED when that end counts as failed — two counters in
 * one number, one array per run instead of two.
 */
export function endedWeight(state: number): number {
  return state === SUCCEEDED ? 0 : state === FAILED || state === CANCELLED || state === SKIPPED_UPSTREAM ? 1 + FAILED_NEED : 1;
}

/**
 * A step's trigger rule, given its needs so far: `left` not yet ended, `ended` the packed counters
 * (not-succeeded units + FAILED_NEED per failed one), `total` needs. Decides as early as the rule
 * allows: any-failed runs at the first failure and one-succeeded at the first success; the others
 * wait for every need.
 */
export function decide(rule: number, left: number, ended: number, total: number): number {
  const failed = Math.floor(ended / FAILED_NEED);
  const notSucceeded = ended - failed * FAILED_NEED;
  switch (rule) {
    case RULE_ANY_FAILED:
      if (failed > 0) return RUN;
      return left === 0 ? SKIP_TRIGGER_RULE : WAIT;
    case RULE_ONE_SUCCEEDED:
      if (total - left - notSucceeded > 0) return RUN;
      if (left !== 0) return WAIT;
      return failed > 0 ? SKIP_UPSTREAM_FAILED : SKIP_TRIGGER_RULE;
    default:
      break;
  }
  if (left !== 0) return WAIT;
  switch (rule) {
    case RULE_ALL_SUCCEEDED:
      return ended === 0 ? RUN : failed > 0 ? SKIP_UPSTREAM_FAILED : SKIP_TRIGGER_RULE;
    case RULE_NONE_FAILED:
      return failed === 0 ? RUN : SKIP_UPSTREAM_FAILED;
    case RULE_ALL_FAILED:
      return failed === total ? RUN : SKIP_TRIGGER_RULE;
    default:
      // all-done, always
      return RUN;
  }
}
