/**
 * Builds the FlowGraph of a flow from its steps: `needs` resolved to indices, dependants, a
 * topological order, cycles refused. defineFlow hands each step's `needs` over while it checks
 * that step, so each step's objects are read in one pass while they are in cache (a second pass
 * over 100k steps missed the cache on most of them). A bad need is still reported only after
 * every step passed its own checks, as it was when the graph was built in a pass of its own.
 */
import { CascadenceError, ErrorCode } from './errors';
import type { FlowGraph, FlowStep } from './flow';
import { didYouMean } from './suggest';

export class FlowGraphBuilder {
  private readonly needs: number[][];
  /** Per step: how many steps need it (sizes each dependants list exactly). */
  private readonly dependantCounts: number[];
  /** seenBy[j] === i + 1 when step i already listed j: a repeated need costs O(1), not a scan. */
  private readonly seenBy: number[];
  /**
   * Id -> index, built on the first need that does not name the step declared just before it:
   * a sequential flow (each step needing its predecessor) resolves every need with one string
   * comparison; for a 100k-step chain filling this table was a quarter of defineFlow.
   */
  private position: Record<string, number> | undefined;
  /** True while every need points to an earlier step: then declaration order is topological. */
  private backwardOnly = true;
  /** The first bad need, thrown by `build` (after every step's own checks). */
  private failure: CascadenceError | undefined;

  constructor(
    private readonly ids: readonly string[],
    private readonly flowName: string,
  ) {
    const n = ids.length;
    this.needs = new Array(n);
    this.dependantCounts = new Array<number>(n).fill(0);
    this.seenBy = new Array<number>(n).fill(0);
  }

  /** Step i's `needs` (already checked to be an array or undefined). */
  addNeeds(i: number, listed: readonly unknown[] | undefined): void {
    if (listed === undefined || listed.length === 0 || this.failure !== undefined) {
      this.needs[i] = [];
      return;
    }
    const ids = this.ids;
    if (listed.length === 1) {
      // One need (most steps): no repeat to look for, and a literal one-element array (packed,
      // made inline) instead of `new Array(1)`. A bad need takes the general path below.
      const need = listed[0];
      const j = typeof need !== 'string' ? undefined : i > 0 && need === ids[i - 1] ? i - 1 : (this.position ??= positionsById(ids))[need];
      if (j !== undefined) {
        this.dependantCounts[j] = (this.dependantCounts[j] as number) + 1;
        if (j >= i) this.backwardOnly = false;
        this.needs[i] = [j];
        return;
      }
    }
    const seenBy = this.seenBy;
    // Allocated at its final size: lists grown by push reserve ~17 slots each.
    const own = new Array<number>(listed.length);
    let count = 0;
    // The step after the last need found: needs are often listed in declaration order (a fan-in
    // written as a loop), and then each is found by one comparison, with no id table at all.
    let next = 0;
    for (let k = 0; k < listed.length; k++) {
      const need = listed[k];
      if (typeof need !== 'string') {
        this.failure = new CascadenceError(
          ErrorCode.INVALID_DEFINITION,
          `flow "${this.flowName}", step "${ids[i] as string}": "needs" must be a list of step ids`,
        );
        return;
      }
      const j =
        next < ids.length && need === ids[next]
          ? next
          : i > 0 && need === ids[i - 1]
            ? i - 1
            : (this.position ??= positionsById(ids))[need];
      if (j === undefined) {
        const id = ids[i] as string;
        this.failure = new CascadenceError(
          ErrorCode.UNKNOWN_STEP,
          `flow "${this.flowName}": step "${id}" needs unknown step "${need}"${didYouMean(need, ids)}`,
          { details: { flow: this.flowName, step: id, need } },
        );
        return;
      }
      next = j + 1;
      if (seenBy[j] !== i + 1) {
        seenBy[j] = i + 1;
        own[count++] = j;
        this.dependantCounts[j] = (this.dependantCounts[j] as number) + 1;
        if (j >= i) this.backwardOnly = false;
      }
    }
    // Repeated needs leave unused slots at the end.
    if (count < own.length) own.length = count;
    this.needs[i] = own;
  }

  /** The frozen graph, once every step's needs were added; throws on a bad need or a cycle. */
  build(steps: FlowStep[]): FlowGraph {
    if (this.failure !== undefined) throw this.failure;
    const { needs, flowName } = this;
    const ids = this.ids as string[];
    const dependants = invert(needs, this.dependantCounts);
    if (this.backwardOnly) return freezeGraph(ids, steps, needs, dependants, identityOrder(ids.length));
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
    return freezeGraph(ids, steps, needs, dependants, order);
  }
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
    // (A literal for one: packed and made inline, like a one-need list.)
    dependants[j] = count === 0 ? [] : count === 1 ? [0] : new Array<number>(count);
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
