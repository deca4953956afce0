/**
 * The wording of run and step messages, shared by every backend so that a RunResult reads the
 * same wherever the flow ran. Error classes (core's errors.ts) and the Temporal workflow's plain
 * JSON errors both build their messages here.
 */

/** `flow "x"` or `task "x"`: the whole run, in messages. */
export function runWhat(kind: 'task' | 'flow', name: string): string {
  return `${kind} "${name}"`;
}

/** `step "b" of flow "f"`, or `task "t"` for a task run on its own. */
export function stepWhere(flowName: string | undefined, stepId: string): string {
  return flowName === undefined ? `task "${stepId}"` : `step "${stepId}" of flow "${flowName}"`;
}

/** Where a step's definition sits, for definition and option errors: `flow "f", step "b"`. */
export function stepDefinitionWhere(flowName: string | undefined, stepId: string): string {
  return flowName === undefined ? `task "${stepId}"` : `flow "${flowName}", step "${stepId}"`;
}

export function timeoutMessage(what: string, timeoutMs: number): string {
  return `${what} timed out after ${timeoutMs} ms`;
}

/** `reason` is the already-described cause (empty when there is none). */
export function cancelledMessage(what: string, reason: string): string {
  return `${what} was cancelled${reason === '' ? '' : `: ${reason}`}`;
}

export function failFastMessage(failedStepWhere: string): string {
  return `fail-fast after ${failedStepWhere} failed`;
}

/** A nested flow that did not succeed, as its parent step's error. */
export function nestedFlowFailedMessage(
  flowName: string,
  status: string,
  failedSteps: readonly string[],
  innerMessage: string | undefined,
): string {
  const steps = failedSteps.length > 0 ? ` (failed steps: ${failedSteps.join(', ')})` : '';
  return `flow "${flowName}" ${status}${steps}${innerMessage === undefined ? '' : `: ${innerMessage}`}`;
}

export function flowContainsItselfMessage(path: readonly string[]): string {
  return `flow "${path[path.length - 1]}" contains itself: ${path.join(' -> ')}`;
}
