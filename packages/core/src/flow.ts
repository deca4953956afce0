import { CascadenceError, ErrorCode } from './errors';
import { resolveRetryPolicy, type RetryPolicy } from './retry';
import { stepDefinitionWhere } from './dag/messages';
import { FlowGraphBuilder } from './flow-graph';
import { checkMapStep, type ItemFailurePolicy } from './map-spec';
import { assertValidName, assertValidTimeout, isValidName, isTask, type Task, type TaskContext, type TaskRunFunction } from './task';
import type { StepOutputs } from './flow-types';

/**
 * When a step runs, given how the steps it `needs` ended ("failed" includes cancelled needs and
 * needs skipped because something upstream of them failed):
 * - `all-succeeded` (default): every need succeeded;
 * - `all-done`: every need ended, whatever happened (cleanup);
 * - `any-failed`: a need failed — starts at the first failure, without waiting for the others;
 * - `none-failed`: every need ended and none failed (skipped needs are fine: branching);
 * - `one-succeeded`: a need succeeded — starts at the first success;
 * - `all-failed`: every need failed;
 * - `always`: like `all-done`, and never cancelled: it still runs when the run is cancelled or
 *   times out (teardown).
 */
export type TriggerRule = 'all-succeeded' | 'all-done' | 'any-failed' | 'none-failed' | 'one-succeeded' | 'all-failed' | 'always';

export const TRIGGER_RULES: readonly TriggerRule[] = [
  'all-succeeded',
  'all-done',
  'any-failed',
  'none-failed',
  'one-succeeded',
  'all-failed',
  'always',
];

/** Rules that can only be met through a need: a step without `needs` cannot use them. */
const RULES_NEEDING_NEEDS: readonly TriggerRule[] = ['any-failed', 'one-succeeded', 'all-failed'];

/** One node of a flow: exactly one of `task`, `run` or `uses` says what it does. */
export interface FlowStep {
  /** A task or flow object, or the name of one known to the engine's registry. */
  task?: Task<any, any, any> | Flow<any, any> | string;
  /** An inline function, for steps that are not worth a named task. */
  run?: TaskRunFunction<any, any, any>;
  /** Name of a processor (a reusable step type from a plugin); its options go in `with`. */
  uses?: string;
  /** Input of the step; when absent the step receives the flow's input. */
  with?: unknown;
  /** Step ids whose outputs this step receives through `ctx.results`. */
  needs?: string[];
  /** Trigger rule; default `all-succeeded`. */
  when?: TriggerRule;
  /**
   * Runs the step once per item of a list made at run time, each item as the step's input: a step
   * id in `needs` (`'list'`), a key path into its output (`'list.items'`), or `(ctx) => array`.
   * The step's retry and timeoutMs apply per item; its output is the array of item outputs, in
   * item order; `RunResult.steps[id].items` has each item's result.
   */
  map?: string | ((ctx: TaskContext) => unknown);
  /** For a `map` step: items running at once at most (default: the run's concurrency). */
  concurrency?: number;
  /**
   * For a `map` step: `settle` (default) lets every item finish and then fails the step if any
   * failed; `fail-fast` cancels the other items at the first failure.
   */
  onItemFailure?: ItemFailurePolicy;
  retry?: RetryPolicy;
  timeoutMs?: number;
  description?: string;
}

export type FlowSteps = Record<string, FlowStep> | Array<FlowStep & { id: string }>;

export interface FlowDefinition<Input = unknown, Output = Record<string, unknown>> {
  name: string;
  description?: string;
  steps: FlowSteps;
  /**
   * Builds the flow's output from every succeeded step's output (by step id). Default: the outputs
   * of the final steps (those nothing needs), by step id; every output is in `RunResult.steps`.
   */
  output?: (results: Record<string, unknown>, input: Input) => Output;
  retry?: RetryPolicy;
  timeoutMs?: number;
  tags?: string[];
  /**
   * How the run's status is decided when a step failed. `steps` (default): any failed step fails
   * the run, even one whose failure an `any-failed` or `all-done` step handled. `leaves`: the run
   * succeeds when every final step (one nothing needs) succeeded or was skipped on purpose (a
   * trigger rule, `ctx.skip`, a disabled task) — a final step that failed, was cancelled, or was
   * skipped because something upstream failed still fails it (Airflow's leaf rule).
   */
  statusFrom?: 'steps' | 'leaves';
}

/** The checked graph of a flow, with indices the engine walks without lookups. */
export interface FlowGraph {
  readonly ids: readonly string[];
  readonly steps: readonly FlowStep[];
  /** needs[i]: indices of the steps step i waits for. */
  readonly needs: readonly (readonly number[])[];
  /** dependants[i]: indices of the steps waiting for step i. */
  readonly dependants: readonly (readonly number[])[];
  /** A topological order of all steps. */
  readonly order: readonly number[];
  readonly index: ReadonlyMap<string, number>;
}

/** Type-only key carrying a flow's types (never set at run time). */
declare const flowTypes: unique symbol;

/**
 * A graph of steps; a flow is itself a task, so flows nest. Create with `flow()` or `defineFlow`.
 * `Outputs` is the output type of each step by id (what `RunResult.steps[id].output` holds).
 */
export interface Flow<Input = unknown, Output = Record<string, unknown>, Outputs extends StepOutputs = Record<string, unknown>> {
  readonly kind: 'flow';
  readonly name: string;
  readonly description?: string;
  readonly steps: Readonly<Record<string, FlowStep>>;
  readonly graph: FlowGraph;
  /** (A method, so a typed flow is still a `Flow` wherever any flow is accepted.) */
  output?(results: Record<string, unknown>, input: Input): Output;
  readonly retry?: RetryPolicy;
  readonly timeoutMs?: number;
  readonly tags?: string[];
  /** How the run's status is decided when a step failed (see FlowDefinition). */
  readonly statusFrom?: 'steps' | 'leaves';
  /** Types only: never present at run time. */
  readonly [flowTypes]?: { readonly input: Input; readonly output: Output; readonly outputs: Outputs };
}

/**
 * Defines a flow and checks it now: bad names, unknown `needs`, duplicate ids and cycles throw.
 * Its steps are not typed (`ctx.results` is `Record<string, unknown>`): for a flow whose types
 * follow the data, build it with `flow()` (flow-builder.ts).
 */
export function defineFlow<Input = unknown, Output = Record<string, unknown>>(
  definition: FlowDefinition<Input, Output>,
): Flow<Input, Output> {
  assertValidName(definition?.name, 'a flow');
  const where = `flow "${definition.name}"`;
  resolveRetryPolicy(definition.retry, where);
  assertValidTimeout(definition.timeoutMs, where);
  if (definition.statusFrom !== undefined && definition.statusFrom !== 'steps' && definition.statusFrom !== 'leaves') {
    throw new CascadenceError(
      ErrorCode.INVALID_DEFINITION,
      `${where}: "statusFrom" must be "steps" or "leaves" (got ${JSON.stringify(definition.statusFrom)})`,
    );
  }
  if (definition.output !== undefined && typeof definition.output !== 'function') {
    throw new CascadenceError(ErrorCode.INVALID_DEFINITION, `${where}: output must be a function`);
  }
  const graph = checkedGraph(definition.steps, definition.name, where);
  // `steps` by id is built on first read: most flows are only ever run, and for a 100k-step flow
  // building that record cost several times a whole run.
  let byId: Readonly<Record<string, FlowStep>> | undefined;
  const flow = { ...definition, kind: 'flow' as const, graph };
  Object.defineProperty(flow, 'steps', { enumerable: true, get: () => (byId ??= stepsById(graph)) });
  return Object.freeze(flow) as unknown as Flow<Input, Output>;
}

function stepsById(graph: FlowGraph): Readonly<Record<string, FlowStep>> {
  const record: Record<string, FlowStep> = Object.create(null);
  for (let i = 0; i < graph.ids.length; i++) record[graph.ids[i] as string] = graph.steps[i] as FlowStep;
  return Object.freeze(record);
}

export function isFlow(value: unknown): value is Flow {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Flow).kind === 'flow' &&
    typeof (value as Flow).name === 'string' &&
    typeof (value as Flow).graph === 'object'
  );
}

/** Checks every step and builds the graph; needs are resolved as each step is checked. */
function checkedGraph(input: FlowSteps, flowName: string, where: string): FlowGraph {
  if (input === null || typeof input !== 'object') {
    throw new CascadenceError(ErrorCode.INVALID_DEFINITION, `${where}: steps must be an object or an array`);
  }
  let builder: FlowGraphBuilder;
  let list: FlowStep[];
  if (Array.isArray(input)) {
    // Ids are known only once every step was read: needs are resolved afterwards.
    const ids: string[] = [];
    list = [];
    const seen = new Set<string>();
    for (const step of input) {
      const id: unknown = (step as { id?: unknown } | null)?.id;
      assertValidName(id, `a step of ${where}`);
      if (seen.has(id)) {
        throw new CascadenceError(ErrorCode.DUPLICATE_STEP, `${where}: duplicate step id "${id}"`, { details: { flow: where, step: id } });
      }
      seen.add(id);
      ids.push(id);
      list.push(checkStep(step, flowName, id));
    }
    if (ids.length === 0) throw noSteps(where);
    builder = new FlowGraphBuilder(ids, flowName);
    for (let i = 0; i < list.length; i++) builder.addNeeds(i, (list[i] as FlowStep).needs);
  } else {
    const proto: unknown = Object.getPrototypeOf(input);
    if (proto !== Object.prototype && proto !== null) {
      // `{ __proto__: {...} }` in an object literal sets the prototype instead of adding a step.
      throw new CascadenceError(
        ErrorCode.INVALID_NAME,
        `${where}: steps must be a plain object (a step named "__proto__" is reserved and would vanish; choose another name)`,
      );
    }
    // Keys of an object are unique: no duplicate check needed, and they are the ids as they are.
    const ids = Object.keys(input);
    if (ids.length === 0) throw noSteps(where);
    builder = new FlowGraphBuilder(ids, flowName);
    list = new Array<FlowStep>(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as string;
      // The message is built only for a bad name: per step it was a string made and dropped.
      if (!isValidName(id)) assertValidName(id, `a step of ${where}`);
      const step = checkStep((input as Record<string, FlowStep>)[id] as FlowStep, flowName, id);
      list[i] = step;
      builder.addNeeds(i, step.needs);
    }
  }
  return builder.build(list);
}

function noSteps(where: string): CascadenceError {
  return new CascadenceError(ErrorCode.INVALID_DEFINITION, `${where} has no steps`);
}

/** Checks one step's fields. Its `flow "f", step "s"` label is only built for an error message. */
function checkStep(step: FlowStep, flowName: string, id: string): FlowStep {
  if (step === null || typeof step !== 'object') {
    throw new CascadenceError(ErrorCode.INVALID_DEFINITION, `${stepDefinitionWhere(flowName, id)}: a step must be an object`);
  }
  const count = (step.task === undefined ? 0 : 1) + (step.run === undefined ? 0 : 1) + (step.uses === undefined ? 0 : 1);
  if (count !== 1) {
    const kinds = (['task', 'run', 'uses'] as const).filter((key) => step[key] !== undefined);
    throw new CascadenceError(
      ErrorCode.INVALID_DEFINITION,
      kinds.length === 0
        ? `${stepDefinitionWhere(flowName, id)}: needs one of "task", "run" or "uses"`
        : `${stepDefinitionWhere(flowName, id)}: has ${kinds.map((k) => `"${k}"`).join(' and ')}; give exactly one`,
    );
  }
  if (step.task !== undefined && typeof step.task !== 'string' && !isTask(step.task) && !isFlow(step.task)) {
    throw new CascadenceError(
      ErrorCode.INVALID_DEFINITION,
      `${stepDefinitionWhere(flowName, id)}: "task" must be a task or flow (from defineTask/defineFlow) or a task name`,
    );
  }
  if (step.run !== undefined && typeof step.run !== 'function') {
    throw new CascadenceError(ErrorCode.INVALID_DEFINITION, `${stepDefinitionWhere(flowName, id)}: "run" must be a function`);
  }
  if (step.uses !== undefined && (typeof step.uses !== 'string' || step.uses === '')) {
    throw new CascadenceError(ErrorCode.INVALID_DEFINITION, `${stepDefinitionWhere(flowName, id)}: "uses" must be a processor name`);
  }
  // (Each entry is checked to be a string where the graph reads them.)
  if (step.needs !== undefined && !Array.isArray(step.needs)) {
    throw new CascadenceError(ErrorCode.INVALID_DEFINITION, `${stepDefinitionWhere(flowName, id)}: "needs" must be a list of step ids`);
  }
  if (step.when !== undefined) checkWhen(step, flowName, id);
  checkMapStep(step, flowName, id);
  if (step.retry !== undefined) resolveRetryPolicy(step.retry, stepDefinitionWhere(flowName, id));
  if (step.timeoutMs !== undefined) assertValidTimeout(step.timeoutMs, stepDefinitionWhere(flowName, id));
  return step;
}

function checkWhen(step: FlowStep, flowName: string, id: string): void {
  if (!TRIGGER_RULES.includes(step.when as TriggerRule)) {
    throw new CascadenceError(
      ErrorCode.INVALID_DEFINITION,
      `${stepDefinitionWhere(flowName, id)}: "when" must be one of ${TRIGGER_RULES.join(', ')} (got ${JSON.stringify(step.when)})`,
    );
  }
  if (RULES_NEEDING_NEEDS.includes(step.when as TriggerRule) && (step.needs === undefined || step.needs.length === 0)) {
    throw new CascadenceError(
      ErrorCode.INVALID_DEFINITION,
      `${stepDefinitionWhere(flowName, id)}: when "${step.when}" needs at least one step in "needs" (it depends on how they end)`,
    );
  }
}
