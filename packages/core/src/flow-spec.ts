import { CascadenceError, ErrorCode } from './errors';
import { TRIGGER_RULES, defineFlow, type Flow, type FlowStep, type TriggerRule } from './flow';
import type { RetryPolicy } from './retry';
import { didYouMean } from './suggest';

/** A flow as plain data (parsed from YAML or JSON): steps refer to tasks and processors by name. */
export interface FlowSpec {
  name: string;
  description?: string;
  steps: Record<string, StepSpec>;
  retry?: RetryPolicy;
  timeoutMs?: number;
  tags?: string[];
  statusFrom?: 'steps' | 'leaves';
}

export interface StepSpec {
  task?: string;
  uses?: string;
  with?: unknown;
  needs?: string[] | string;
  when?: FlowStep['when'];
  retry?: RetryPolicy;
  timeoutMs?: number;
  description?: string;
  /** A step id or key path (`list.items`) whose array the step runs over, one item at a time. */
  map?: string;
  concurrency?: number;
  onItemFailure?: 'settle' | 'fail-fast';
}

const FLOW_KEYS = ['name', 'description', 'steps', 'retry', 'timeoutMs', 'tags', 'statusFrom'];
const STEP_KEYS = ['task', 'uses', 'with', 'needs', 'when', 'retry', 'timeoutMs', 'description', 'map', 'concurrency', 'onItemFailure'];
const RETRY_KEYS = ['attempts', 'backoff', 'delayMs', 'maxDelayMs', 'jitter', 'nonRetryable'];

/**
 * Turns untrusted data into a Flow, checking every field. Errors start with `source` (a file path)
 * and carry `details.path` — the key path of the offending value (e.g. ['steps', 'build', 'needs'])
 * so a YAML loader can add its line and column.
 */
export function flowFromSpec(data: unknown, source = 'flow definition'): Flow {
  const fail = (message: string, path: Array<string | number>): never => {
    throw new CascadenceError(ErrorCode.INVALID_DEFINITION, `${source}: ${message}`, { details: { source, path } });
  };
  if (!isRecord(data)) fail('a flow must be a mapping with "name" and "steps"', []);
  const spec = data as Record<string, unknown>;
  checkKeys(spec, FLOW_KEYS, 'flow', [], fail);
  if (typeof spec.name !== 'string' || spec.name === '') fail('"name" must be a non-empty string', ['name']);
  if (spec.description !== undefined && typeof spec.description !== 'string') fail('"description" must be a string', ['description']);
  if (!isRecord(spec.steps)) fail('"steps" must be a mapping from step id to step', ['steps']);
  if (spec.retry !== undefined) checkRetry(spec.retry, ['retry'], fail);
  if (spec.timeoutMs !== undefined && typeof spec.timeoutMs !== 'number') fail('"timeoutMs" must be a number', ['timeoutMs']);
  if (spec.tags !== undefined && !isStringList(spec.tags)) fail('"tags" must be a list of strings', ['tags']);
  if (spec.statusFrom !== undefined && spec.statusFrom !== 'steps' && spec.statusFrom !== 'leaves')
    fail(`"statusFrom" must be "steps" or "leaves" (got ${JSON.stringify(spec.statusFrom)})`, ['statusFrom']);

  const steps: Record<string, FlowStep> = {};
  for (const [id, raw] of Object.entries(spec.steps as Record<string, unknown>)) {
    const path = ['steps', id];
    // As a key of the steps object it would set the prototype and silently vanish.
    if (id === '__proto__') fail('step id "__proto__" is reserved: choose another id', path);
    if (!isRecord(raw)) fail(`step "${id}" must be a mapping (with "uses" or "task")`, path);
    const step = raw as Record<string, unknown>;
    checkKeys(step, STEP_KEYS, `step "${id}"`, path, fail);
    for (const key of ['task', 'uses', 'description', 'when', 'map', 'onItemFailure'] as const) {
      if (step[key] !== undefined && typeof step[key] !== 'string') fail(`step "${id}": "${key}" must be a string`, [...path, key]);
    }
    if (step.when !== undefined && !TRIGGER_RULES.includes(step.when as TriggerRule)) {
      fail(
        `step "${id}": "when" must be one of ${TRIGGER_RULES.join(', ')} (got "${step.when as string}")${didYouMean(step.when as string, TRIGGER_RULES)}`,
        [...path, 'when'],
      );
    }
    if (step.task === undefined && step.uses === undefined) fail(`step "${id}" needs "uses: <processor>" or "task: <name>"`, path);
    if (step.run !== undefined) fail(`step "${id}": "run" is only available in code; use "task" or "uses"`, [...path, 'run']);
    let needs = step.needs;
    if (typeof needs === 'string') needs = [needs];
    if (needs !== undefined && !isStringList(needs))
      fail(`step "${id}": "needs" must be a step id or a list of step ids`, [...path, 'needs']);
    if (step.retry !== undefined) checkRetry(step.retry, [...path, 'retry'], fail);
    if (step.timeoutMs !== undefined && typeof step.timeoutMs !== 'number')
      fail(`step "${id}": "timeoutMs" must be a number`, [...path, 'timeoutMs']);
    steps[id] = { ...(step as FlowStep), ...(needs !== undefined ? { needs: needs as string[] } : {}) };
  }
  try {
    return defineFlow({ ...(spec as unknown as FlowSpec), steps });
  } catch (error) {
    if (!CascadenceError.isInstance(error)) throw error;
    const step = typeof error.details.step === 'string' ? error.details.step : undefined;
    throw new CascadenceError(error.code, `${source}: ${error.message}`, {
      cause: error,
      suggestions: error.suggestions,
      details: { ...error.details, source, path: step === undefined ? ['steps'] : ['steps', step] },
    });
  }
}

function checkKeys(
  value: Record<string, unknown>,
  allowed: string[],
  what: string,
  path: Array<string | number>,
  fail: (message: string, path: Array<string | number>) => never,
): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key))
      fail(`${what} has unknown key "${key}"${didYouMean(key, allowed)}; allowed: ${allowed.join(', ')}`, [...path, key]);
  }
}

function checkRetry(value: unknown, path: Array<string | number>, fail: (message: string, path: Array<string | number>) => never): void {
  if (!isRecord(value)) fail('"retry" must be a mapping like { attempts: 3, delayMs: 1000 }', path);
  checkKeys(value as Record<string, unknown>, RETRY_KEYS, 'retry', path, fail);
  const nonRetryable = (value as Record<string, unknown>).nonRetryable;
  if (nonRetryable !== undefined && !isStringList(nonRetryable))
    fail('"retry.nonRetryable" must be a list of error names or codes', [...path, 'nonRetryable']);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}
