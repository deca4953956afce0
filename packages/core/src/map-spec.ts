/**
 * A `map` step's definition: where its items come from (`map: 'list'`, `map: 'list.items'`, or
 * `map: (ctx) => array`), its item concurrency and its item-failure policy — checked when the
 * flow is defined, and turned into the items when the step starts. The per-item scheduling is
 * map-run.ts.
 */
import { checkItems, invalidMapInputMessage, itemsAtPath } from './dag/map-items';
import { stepDefinitionWhere } from './dag/messages';
import { CascadenceError, ErrorCode } from './errors';
import type { FlowStep } from './flow';
import type { TaskContext } from './task';

/** What happens to the other items when one fails for good. */
export type ItemFailurePolicy = 'settle' | 'fail-fast';

/** A map step's settings, as the engine uses them. */
export interface MapPlan {
  /** `map: 'a.b.c'` as ['a', 'b', 'c'] (the first is a step in `needs`); undefined for a function. */
  readonly path: readonly string[] | undefined;
  readonly select: ((ctx: TaskContext) => unknown) | undefined;
  /** Items running at once at most; undefined: the run's concurrency. */
  readonly concurrency: number | undefined;
  readonly failFast: boolean;
}

/** Checks `map`, `concurrency` and `onItemFailure` of one step (called by defineFlow). */
export function checkMapStep(step: FlowStep, flowName: string, id: string): void {
  // Most steps are not map steps: no message or closure is made for them (defineFlow of 100k steps).
  if (step.map === undefined && step.concurrency === undefined && step.onItemFailure === undefined) return;
  const where = stepDefinitionWhere(flowName, id);
  const fail = (message: string): never => {
    throw new CascadenceError(ErrorCode.INVALID_DEFINITION, `${where}: ${message}`, { details: { flow: flowName, step: id } });
  };
  if (step.map === undefined) {
    if (step.concurrency !== undefined) fail('"concurrency" is only for a "map" step (a flow\'s concurrency is a run option)');
    if (step.onItemFailure !== undefined) fail('"onItemFailure" is only for a "map" step');
    return;
  }
  if (typeof step.map === 'string') {
    const path = step.map.split('.');
    if (path.some((key) => key === '')) fail(`"map" must be a step id or a key path like "list.items" (got ${JSON.stringify(step.map)})`);
    if (!(step.needs ?? []).includes(path[0] as string)) fail(`"map" reads step "${path[0]}", which is not in "needs"; add it there`);
  } else if (typeof step.map !== 'function') {
    fail('"map" must be a step id, a key path like "list.items", or a function (ctx) => array');
  }
  if (step.with !== undefined && step.uses === undefined)
    fail('a "map" step gets each item as its input, so it takes no "with" (only a "uses" step may: its items are merged over "with")');
  const concurrency = step.concurrency;
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1))
    fail(`"concurrency" must be a whole number >= 1 (got ${JSON.stringify(concurrency)})`);
  if (step.onItemFailure !== undefined && step.onItemFailure !== 'settle' && step.onItemFailure !== 'fail-fast') {
    fail(`"onItemFailure" must be "settle" or "fail-fast" (got ${JSON.stringify(step.onItemFailure)})`);
  }
}

export function planMap(step: FlowStep): MapPlan | undefined {
  const map = step.map;
  if (map === undefined) return undefined;
  return {
    path: typeof map === 'string' ? map.split('.') : undefined,
    select: typeof map === 'function' ? map : undefined,
    concurrency: step.concurrency,
    failFast: step.onItemFailure === 'fail-fast',
  };
}

/** The items of a map step about to start, or a coded error naming the step and the path. */
export function mapItems(plan: MapPlan, ctx: TaskContext, where: string): unknown[] {
  const source = plan.path !== undefined ? `"${plan.path.join('.')}"` : 'the map function';
  const found =
    plan.path !== undefined ? itemsAtPath(ctx.results, plan.path) : checkItems((plan.select as (ctx: TaskContext) => unknown)(ctx));
  if (found.items !== undefined) return found.items;
  throw new CascadenceError(ErrorCode.INVALID_MAP_INPUT, invalidMapInputMessage(where, source, found.problem), { details: { source } });
}
