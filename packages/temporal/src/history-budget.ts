import type { WireGraph } from './wire';

/**
 * The fewest history events a run of a graph records when every step runs once, counted from how
 * the workflow runs steps — so that a flow that cannot fit in Temporal's per-workflow event limit
 * is refused before it starts instead of being terminated by the server half-way:
 *
 * - a regular activity records at least 3 events (scheduled, started, completed);
 * - a short step (local activity) records 1 (its marker);
 * - each regular step on the longest path also needs a workflow task of its own (3 events) before
 *   the step after it can be scheduled; local activities resolve inside the running task;
 * - the run itself: started, its first workflow task, completed (5); a flow output function is one
 *   more activity.
 *
 * Disabled steps record nothing (they are skipped at the start).
 */
export interface HistoryBudget {
  /** Events recorded by the steps. */
  events: number;
  /** Events added by the longest path of workflow tasks. */
  path: number;
  /** The step that needs the most events on its own (a nested flow runs inline: all of it), and that count. */
  largest: { index: number; events: number };
}

const ACTIVITY_EVENTS = 3;
const LOCAL_EVENTS = 1;
const WORKFLOW_TASK_EVENTS = 3;
const RUN_EVENTS = 5;

function budget(graph: WireGraph): HistoryBudget {
  const n = graph.steps.length;
  const cost = new Array<number>(n).fill(0);
  const pathCost = new Array<number>(n).fill(0);
  let events = 0;
  const largest = { index: -1, events: 0 };
  graph.steps.forEach((step, i) => {
    if (step.disabled === true) return;
    if (step.flow !== undefined) {
      const inner = budget(step.flow);
      cost[i] = inner.events;
      pathCost[i] = inner.path;
      if (inner.events + inner.path > largest.events) Object.assign(largest, { index: i, events: inner.events + inner.path });
    } else if (step.local === true) {
      cost[i] = LOCAL_EVENTS;
    } else {
      cost[i] = ACTIVITY_EVENTS;
      pathCost[i] = WORKFLOW_TASK_EVENTS;
    }
    if (largest.index < 0) Object.assign(largest, { index: i, events: cost[i]! + pathCost[i]! });
    events += cost[i]!;
  });
  // Longest path, steps in dependency order (Kahn); the graph was checked for cycles when planned.
  const waiting = graph.steps.map((step) => step.needs.length);
  const dependants: number[][] = graph.steps.map(() => []);
  graph.steps.forEach((step, i) => step.needs.forEach((j) => dependants[j]!.push(i)));
  const longest = new Array<number>(n).fill(0);
  const ready: number[] = [];
  for (let i = 0; i < n; i++) if (waiting[i] === 0) ready.push(i);
  let path = 0;
  while (ready.length > 0) {
    const i = ready.pop()!;
    const through = longest[i]! + pathCost[i]!;
    path = Math.max(path, through);
    for (const k of dependants[i]!) {
      longest[k] = Math.max(longest[k]!, through);
      if (--waiting[k]! === 0) ready.push(k);
    }
  }
  if (graph.hasOutput) {
    events += ACTIVITY_EVENTS;
    path += WORKFLOW_TASK_EVENTS;
  }
  return { events, path, largest };
}

/** Fewest history events of a run of `graph` in which every step runs once. */
export function minHistoryEvents(graph: WireGraph): number {
  const { events, path } = budget(graph);
  return RUN_EVENTS + events + path;
}

/** The root step that needs the most history events on its own: a partition cannot split it. */
export function largestStepEvents(graph: WireGraph): { index: number; events: number } {
  return budget(graph).largest;
}
