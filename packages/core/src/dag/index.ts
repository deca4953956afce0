/**
 * `@cascadence/core/dag`: the meaning of a flow run, once, for every backend — the run state
 * machine, trigger-rule and retry decisions, and the wording of run and step errors.
 *
 * Sandbox-safe: this entry and everything it imports use no Node built-ins, timers or globals at
 * load, so Temporal's workflow bundler can inline it (a test bundles it and fails on any Node
 * import). Backends drive `RunState`; they do not re-implement it.
 */
export { RunState, type CancelledWhile, type CancelStep, type RunStateObserver } from './run-state';
export { dagShape, type DagShape } from './shape';
export { resolveReuse, type ReusedSteps } from './reuse';
export { checkItems, invalidMapInputMessage, itemWhere, itemsAtPath, mapFailFastReason, mapItemsFailedMessage } from './map-items';
export {
  CANCELLED,
  FAILED,
  PENDING,
  RULE_ALL_DONE,
  RULE_ALL_SUCCEEDED,
  RULE_ANY_FAILED,
  RULE_CODES,
  RUNNING,
  SKIPPED,
  SKIPPED_UPSTREAM,
  STEP_STATUS_NAMES,
  SUCCEEDED,
  type SkipReason,
} from './status';
export {
  cancelledMessage,
  failFastMessage,
  flowContainsItselfMessage,
  nestedFlowFailedMessage,
  runWhat,
  stepDefinitionWhere,
  stepWhere,
  timeoutMessage,
} from './messages';
export { decideRetry, isRetryable, retryDelay, type RetryableError, type RetryTiming } from '../retry';
export { ErrorCode, type ErrorCodeValue } from '../errors';
export type { RunStatus, StepStatus } from '../result';
