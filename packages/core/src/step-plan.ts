/**
 * The one step resolver: turns a task or flow into the plans of its steps — names resolved
 * (`task: 'name'`, `uses: 'shell'`), retry policies merged and checked, processor options
 * validated (schema and the processor's own `validate`) — before any step starts. The local
 * engine runs the plans; the Temporal backend compiles them into its workflow input and its
 * worker resolves the step it must run with the same function.
 */
import { dagShape, type DagShape } from './dag/shape';
import { RULE_CODES } from './dag/status';
import { flowContainsItselfMessage, stepDefinitionWhere } from './dag/messages';
import { CascadenceError, ErrorCode } from './errors';
import { isFlow, type Flow, type FlowGraph, type FlowStep, type TriggerRule } from './flow';
import { planMap, type MapPlan } from './map-spec';
import { validateOptions, type Processor } from './processor';
import { resolveRetryPolicy, type ResolvedRetryPolicy } from './retry';
import { isTask, type Task, type TaskContext } from './task';

export type Runnable = Task<any, any, any> | Flow<any, any>;

/** How names in flow steps (`task: 'name'`, `uses: 'shell'`) turn into code. */
export interface StepResolver {
  resolveTask(name: string): Runnable;
  resolveProcessor(name: string): Processor<any, any>;
  /** Disabled tasks refuse to run; absent means everything is enabled. */
  isEnabled?(name: string): boolean;
  /** Bumped whenever what resolves changes, so prepared flows are re-resolved. */
  readonly version?: number;
}

/** A step ready to run: what it does, with what input, under which policies. */
export interface StepPlan {
  id: string;
  /** The `task` label of events: task name, processor name, or step id for inline steps. */
  label: string;
  kind: 'task' | 'flow' | 'processor' | 'inline';
  /** The function of a task, processor or inline step; undefined for a nested flow. */
  run: ((ctx: TaskContext, input: unknown) => unknown) | undefined;
  /** For `kind: 'flow'`. */
  nested: Flow | undefined;
  /** For `kind: 'processor'`. */
  processor: Processor<any, any> | undefined;
  /** Fixed input (`with`, or validated processor options); unused when `useFlowInput`. */
  input: unknown;
  useFlowInput: boolean;
  retry: ResolvedRetryPolicy;
  timeoutMs: number | undefined;
  when: TriggerRule;
  /** Trigger rule code (dag RULE_*). */
  rule: number;
  /** The step's task (or nested flow) is disabled: the step is skipped with reason `disabled`. */
  disabled: boolean;
  /** A `map` step: runs once per item (map-run.ts); `run`/`nested` then take one item as input. */
  map: MapPlan | undefined;
}

/** A task or flow with every step planned; nested flows are planned too (see `nestedPlans`). */
export interface RunnablePlan {
  runnable: Runnable;
  graph: FlowGraph;
  plans: StepPlan[];
  /** Trigger rule codes by step index (the dag state machine's `rules`). */
  rules: number[];
  /** The graph as the dag state machine sees it, shared by every run of this plan. */
  shape: DagShape;
}

export interface PlanOptions {
  resolver?: StepResolver | undefined;
  /** Who plans, for the "referenced by name but no registry" error: `engine`, `TemporalBackend`. */
  owner?: string;
  /** How the owner is given a registry, for that error's suggestion. */
  registryHint?: string;
  /** A cache of plans (the engine keeps one per resolver version); nested flows are planned once each. */
  planned?: { get(runnable: Runnable): RunnablePlan | undefined; set(runnable: Runnable, plan: RunnablePlan): void };
}

/**
 * Plans `runnable` and, recursively, every nested flow it contains. Throws before anything runs
 * on unknown names, bad processor options, bad retry policies, and flows that contain
 * themselves (printed as `a -> b -> a`).
 */
export function planRunnable(runnable: Runnable, options: PlanOptions = {}, parents: readonly string[] = []): RunnablePlan {
  if (!isTask(runnable) && !isFlow(runnable)) {
    throw new CascadenceError(ErrorCode.INVALID_DEFINITION, 'expected a task or flow made with defineTask or defineFlow');
  }
  const cached = options.planned?.get(runnable);
  if (cached !== undefined) return cached;
  if (isFlow(runnable) && parents.includes(runnable.name)) {
    const path = [...parents.slice(parents.indexOf(runnable.name)), runnable.name];
    throw new CascadenceError(ErrorCode.CYCLE, flowContainsItselfMessage(path), { details: { flow: runnable.name, cycle: path } });
  }
  const graph = isFlow(runnable) ? runnable.graph : singleStepGraph(runnable);
  const flowName = isFlow(runnable) ? runnable.name : undefined;
  const inside = flowName === undefined ? parents : [...parents, flowName];
  const plans: StepPlan[] = new Array(graph.ids.length);
  const rules: number[] = new Array(graph.ids.length);
  const disabled: boolean[] = new Array(graph.ids.length);
  for (let i = 0; i < graph.ids.length; i++) {
    const plan = planStep(graph.steps[i] as FlowStep, graph.ids[i] as string, flowName, options);
    if (plan.nested !== undefined) planRunnable(plan.nested, options, inside);
    plans[i] = plan;
    rules[i] = plan.rule;
    // A lone task is its own single step: whether it may run at all is its runner's check.
    disabled[i] = flowName !== undefined && plan.disabled;
  }
  const result: RunnablePlan = {
    runnable,
    graph,
    plans,
    rules,
    shape: dagShape(graph.needs, rules, graph.dependants, disabled, isFlow(runnable) && runnable.statusFrom === 'leaves'),
  };
  options.planned?.set(runnable, result);
  return result;
}

/** Plans one step of flow `flowName` (undefined: a task run on its own, `id` = its name). */
export function planStep(step: FlowStep, id: string, flowName: string | undefined, options: PlanOptions = {}): StepPlan {
  // `flow "f", step "s"`: made only for the steps that use it (names, processors, retry policies).
  let where = '';
  if (typeof step.task === 'string' || step.uses !== undefined || step.retry !== undefined) where = stepDefinitionWhere(flowName, id);
  let label = id;
  let kind: StepPlan['kind'] = 'inline';
  let run: StepPlan['run'];
  let nested: Flow | undefined;
  let processor: Processor<any, any> | undefined;
  let input = step.with;
  let useFlowInput = step.with === undefined;
  let retry = step.retry;
  let timeoutMs = step.timeoutMs;
  let disabled = false;
  if (step.task !== undefined) {
    const target = typeof step.task === 'string' ? resolveTask(step.task, where, options) : step.task;
    label = target.name;
    disabled = options.resolver?.isEnabled !== undefined && !options.resolver.isEnabled(target.name);
    retry ??= target.retry;
    if (retry !== undefined && where === '') where = stepDefinitionWhere(flowName, id);
    timeoutMs ??= target.timeoutMs;
    if (target.kind === 'flow') {
      kind = 'flow';
      nested = target;
    } else {
      kind = 'task';
      run = target.run as StepPlan['run'];
    }
  } else if (step.uses !== undefined) {
    kind = 'processor';
    processor = resolveProcessor(step.uses, where, options);
    label = processor.name;
    useFlowInput = false;
    if (step.map === undefined) {
      input = validateProcessorOptions(processor, step.with, where);
      run = processor.run as StepPlan['run'];
    } else {
      // Mapped: each item (merged over `with`) is a set of options, checked when the item runs.
      const base = step.with;
      const mapped = processor;
      run = (ctx, item) => mapped.run(ctx, validateProcessorOptions(mapped, mergeItem(base, item), `${where}, item`));
    }
  } else {
    run = step.run as StepPlan['run'];
  }
  const when = step.when ?? 'all-succeeded';
  return {
    id,
    label,
    kind,
    run,
    nested,
    processor,
    input,
    useFlowInput,
    retry: resolveRetryPolicy(retry, where),
    timeoutMs,
    when,
    rule: RULE_CODES[when],
    disabled,
    map: planMap(step),
  };
}

/** A mapped processor's options: the item's keys over `with`'s (or the item alone). */
function mergeItem(base: unknown, item: unknown): unknown {
  if (base === undefined) return item;
  const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  return isRecord(base) && isRecord(item) ? { ...base, ...item } : item;
}

/** A processor's options checked against its schema and its own cross-field `validate`. */
export function validateProcessorOptions(processor: Processor<any, any>, options: unknown, where: string): unknown {
  const valid = validateOptions(processor.options, options, where);
  if (processor.validate !== undefined) {
    try {
      processor.validate(valid, where);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new CascadenceError(ErrorCode.INVALID_OPTIONS, message.startsWith(where) ? message : `${where}: ${message}`, { cause: error });
    }
  }
  return valid;
}

function resolveTask(name: string, where: string, options: PlanOptions): Runnable {
  const resolver = options.resolver;
  if (resolver === undefined) {
    throw new CascadenceError(
      ErrorCode.UNKNOWN_TASK,
      `${where}: task "${name}" is referenced by name, but this ${options.owner ?? 'engine'} has no registry to look it up`,
      { suggestions: [`pass the task object itself, or ${options.registryHint ?? 'create the engine with { resolver: registry }'}`] },
    );
  }
  try {
    return resolver.resolveTask(name);
  } catch (error) {
    throw prefixed(error, where);
  }
}

function resolveProcessor(name: string, where: string, options: PlanOptions): Processor<any, any> {
  const resolver = options.resolver;
  if (resolver === undefined) {
    throw new CascadenceError(
      ErrorCode.UNKNOWN_PROCESSOR,
      `${where}: processor "${name}" is unknown (this ${options.owner ?? 'engine'} has no registry of processors)`,
    );
  }
  try {
    return resolver.resolveProcessor(name);
  } catch (error) {
    throw prefixed(error, where);
  }
}

function singleStepGraph(task: Task<any, any, any>): FlowGraph {
  return {
    ids: [task.name],
    steps: [{ task }],
    needs: [[]],
    dependants: [[]],
    order: [0],
    index: new Map([[task.name, 0]]),
  };
}

function prefixed(error: unknown, where: string): unknown {
  if (!CascadenceError.isInstance(error)) return error;
  return new CascadenceError(error.code, `${where}: ${error.message}`, {
    cause: error,
    suggestions: error.suggestions,
    details: error.details,
  });
}
