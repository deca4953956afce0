import { CascadenceError, ErrorCode } from './errors';
import { resolveRetryPolicy, type RetryPolicy } from './retry';
import { stepDefinitionWhere } from './dag/messages';
import { didYouMean } from './suggest';
import { assertValidName, assertValidTimeout, isTask, type Task, type TaskRunFunction } from './task';

/** When a step runs, given how the steps it `needs` ended. */
export type TriggerRule = 'all-succeeded' | 'all-done' | 'any-failed';

export const TRIGGER_RULES: readonly TriggerRule[] = ['all-succeeded', 'all-done', 'any-failed'];

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

/** A graph of steps; a flow is itself a task, so flows nest. Create with `defineFlow`. */
export interface Flow<Input = unknown, Output = Record<string, unknown>> {
  readonly kind: 'flow';
  readonly name: string;
  readonly description?: string;
  readonly steps: Readonly<Record<string, FlowStep>>;
  readonly graph: FlowGraph;
  readonly output?: (results: Record<string, unknown>, input: Input) => Output;
  readonly retry?: RetryPolicy;
  readonly timeoutMs?: number;
  readonly tags?: string[];
}

/** Defines a flow and checks it now: bad names, unknown `needs`, duplicate ids and cycles throw. */
export function defineFlow<Input = unknown, Output = Record<string, unknown>>(
  definition: FlowDefinition<Input, Output>,
): Flow<Input, Output> {
  assertValidName(definition?.name, 'a flow');
  const where = `flow "${definition.name}"`;
  resolveRetryPolicy(definition.retry, where);
  assertValidTimeout(definition.timeoutMs, where);
  if (definition.output !== undefined && typeof definition.output !== 'function') {
    throw new CascadenceError(ErrorCode.INVALID_DEFINITION, `${where}: output must be a function`);
  }
  const { ids, list } = normaliseSteps(definition.steps, definition.name, where);
  const graph = buildGraph(ids, list, definition.name);
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

function normaliseSteps(input: FlowSteps, flowName: string, where: string): { ids: string[]; list: FlowStep[] } {
  if (input === null || typeof input !== 'object') {
    throw new CascadenceError(ErrorCode.INVALID_DEFINITION, `${where}: steps must be an object or an array`);
  }
  let ids: string[];
  let list: FlowStep[];
  if (Array.isArray(input)) {
    ids = [];
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
    ids = Object.keys(input);
    list = new Array<FlowStep>(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as string;
      assertValidName(id, `a step of ${where}`);
      list[i] = checkStep((input as Record<string, FlowStep>)[id] as FlowStep, flowName, id);
    }
  }
  if (ids.length === 0) {
    throw new CascadenceError(ErrorCode.INVALID_DEFINITION, `${where} has no steps`);
  }
  return { ids, list };
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
  if (step.retry !== undefined) resolveRetryPolicy(step.retry, stepDefinitionWhere(flowName, id));
  if (step.timeoutMs !== undefined) assertValidTimeout(step.timeoutMs, stepDefinitionWhere(flowName, id));
  return step;
}

function checkWhen(step: FlowStep, flowName: string, id: string): void {
  if (step.when !== 'all-succeeded' && step.when !== 'all-done' && step.when !== 'any-failed') {
    throw new CascadenceError(
      ErrorCode.INVALID_DEFINITION,
      `${stepDefinitionWhere(flowName, id)}: "when" must be one of ${TRIGGER_RULES.join(', ')} (got ${JSON.stringify(step.when)})`,
    );
  }
  if (step.when === 'any-failed' && (step.needs === undefined || step.needs.length === 0)) {
    throw new CascadenceError(
      ErrorCode.INVALID_DEFINITION,
      `${stepDefinitionWhere(flowName, id)}: when "any-failed" needs at least one step in "needs" (it runs only if one of them fails)`,
    );
  }
}

function buildGraph(ids: string[], list: FlowStep[], flowName: string): FlowGraph {
  const n = ids.length;
  // Id -> index, built on the first need that does not name the step declared just before it:
  // a sequential flow (each step needing its predecessor) resolves every need with one string
  // comparison, and for a 100k-step chain filling this table was a quarter of defineFlow.
  let position: Record<string, number> | undefined;
  // Every list is allocated at its final size: lists grown by push reserve ~17 slots each, and
  // for a 100k-step flow those 200k half-empty arrays were most of defineFlow's time (and GC).
  const needs: number[][] = new Array(n);
  const dependantCounts = new Array<number>(n).fill(0);
  // seenBy[j] === i + 1 when step i already listed j: a repeated need costs O(1), not a scan.
  const seenBy = new Array<number>(n).fill(0);
  // True while every need points to an earlier step: then declaration order is topological.
  let backwardOnly = true;
  for (let i = 0; i < n; i++) {
    const listed = (list[i] as FlowStep).needs;
    if (listed === undefined || listed.length === 0) {
      needs[i] = [];
      continue;
    }
    const own = new Array<number>(listed.length);
    let count = 0;
    for (let k = 0; k < listed.length; k++) {
      const need = listed[k] as string;
      if (typeof need !== 'string') {
        throw new CascadenceError(ErrorCode.INVALID_DEFINITION, `flow "${flowName}", step "${ids[i] as string}": "needs" must be a list of step ids`);
      }
      const j = i > 0 && need === ids[i - 1] ? i - 1 : (position ??= positionsById(ids))[need];
      if (j === undefined) {
        const id = ids[i] as string;
        throw new CascadenceError(
          ErrorCode.UNKNOWN_STEP,
          `flow "${flowName}": step "${id}" needs unknown step "${need}"${didYouMean(need, ids)}`,
          { details: { flow: flowName, step: id, need } },
        );
      }
      if (seenBy[j] !== i + 1) {
        seenBy[j] = i + 1;
        own[count++] = j;
        dependantCounts[j] = (dependantCounts[j] as number) + 1;
        if (j >= i) backwardOnly = false;
      }
    }
    // Repeated needs leave unused slots at the end.
    if (count < own.length) own.length = count;
    needs[i] = own;
  }
  const dependants = invert(needs, dependantCounts);

  if (backwardOnly) return freezeGraph(ids, list, needs, dependants, identityOrder(n));
  // Kahn's algorithm; whatever is left over sits on or behind a cycle.
  const remaining = needs.map((own) => own.length);
  const order: number[] = [];
  for (let i = 0; i < ids.length; i++) if (remaining[i] === 0) order.push(i);
  for (let k = 0; k < order.length; k++) {
    for (const d of dependants[order[k] as number] ?? []) {
      remaining[d] = (remaining[d] as number) - 1;
      if (remaining[d] === 0) order.push(d);
    }
  }
  if (order.length !== ids.length) {
    const cycle = findCycle(needs, remaining).map((i) => ids[i]);
    throw new CascadenceError(ErrorCode.CYCLE, `flow "${flowName}" has a cycle: ${cycle.join(' -> ')}`, {
      details: { flow: flowName, cycle },
    });
  }
  return freezeGraph(ids, list, needs, dependants, order);
}

/** A prototype-less object, not a Map: for 100k string keys it is about twice as fast here. */
function positionsById(ids: readonly string[]): Record<string, number> {
  const position: Record<string, number> = Object.create(null);
  for (let i = 0; i < ids.length; i++) position[ids[i] as string] = i;
  return position;
}

/** dependants[j]: the steps that need j, in declaration order; `counts[j]` says how many (reused as fill cursors). */
function invert(needs: readonly (readonly number[])[], counts: number[]): number[][] {
  const n = needs.length;
  const dependants: number[][] = new Array(n);
  for (let j = 0; j < n; j++) {
    const count = counts[j] as number;
    dependants[j] = count === 0 ? [] : new Array<number>(count);
    counts[j] = 0;
  }
  for (let i = 0; i < n; i++) {
    const own = needs[i] as readonly number[];
    for (let k = 0; k < own.length; k++) {
      const j = own[k] as number;
      (dependants[j] as number[])[counts[j] as number] = i;
      counts[j] = (counts[j] as number) + 1;
    }
  }
  return dependants;
}

function identityOrder(n: number): number[] {
  const order = new Array<number>(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order;
}

function freezeGraph(ids: string[], list: FlowStep[], needs: number[][], dependants: number[][], order: number[]): FlowGraph {
  let index: Map<string, number> | undefined;
  const graph = {
    ids: Object.freeze(ids),
    steps: Object.freeze(list),
    needs: Object.freeze(needs),
    dependants: Object.freeze(dependants),
    order: Object.freeze(order),
  };
  // Built on first read (nothing on the run path needs it).
  Object.defineProperty(graph, 'index', { enumerable: true, get: () => (index ??= new Map(ids.map((id, i) => [id, i]))) });
  return Object.freeze(graph) as unknown as FlowGraph;
}

/** Follows `needs` edges among unresolved steps until one repeats: that loop is a cycle. */
function findCycle(needs: readonly (readonly number[])[], remaining: readonly number[]): number[] {
  const start = remaining.findIndex((r) => r > 0);
  const seenAt = new Map<number, number>();
  const path: number[] = [];
  let current = start;
  while (!seenAt.has(current)) {
    seenAt.set(current, path.length);
    path.push(current);
    // Every unresolved step has at least one unresolved need, so this always finds a next hop.
    current = (needs[current] ?? []).find((n) => (remaining[n] ?? 0) > 0) as number;
  }
  const loop = path.slice(seenAt.get(current));
  return [...loop, current];
}
