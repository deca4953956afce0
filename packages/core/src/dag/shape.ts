/**
 * The graph of a flow as the run state machine sees it: indices only, built once per flow and
 * shared by every run of it.
 *
 * Pure and sandbox-safe: no Node built-ins, no timers, no globals read at load.
 */

/**
 * The graph as the state machine sees it: indices only. Build it once per flow (`dagShape`) and
 * share it between runs: it also caches what every run of the flow would otherwise rebuild.
 */
export interface DagShape {
  /** needs[i]: indices of the steps step i waits for. */
  readonly needs: readonly (readonly number[])[];
  /** dependants[i]: indices of the steps waiting for step i. */
  readonly dependants: readonly (readonly number[])[];
  /** Trigger rule code (RULE_*) of each step. */
  readonly rules: ArrayLike<number>;
  /** needs[i].length for every step (copied per run as the countdown to "ready"). */
  readonly needCounts: readonly number[];
  /** Steps that need nothing, in declaration order. */
  readonly roots: readonly number[];
  /** disabled[i]: step i's task is disabled, so the step is skipped (reason `disabled`) instead of started. */
  readonly disabled: readonly boolean[] | undefined;
  /** The flow's `statusFrom: 'leaves'`: a run with failed steps succeeds when its final steps did. */
  readonly statusFromLeaves: boolean;
  /**
   * 2n numbers: `needCounts`, then n zeros. Per-run arrays are copied from it (`slice` of a packed
   * array is a block copy; `new Array(n).fill(x)` cost ~6x as much, three times per run).
   */
  readonly initialCounts: readonly number[];
  /**
   * 2n zeros held as floating-point numbers, for a driver's per-step clock readings: a copy starts
   * in the array's double representation, where one made from `initialCounts` (small integers)
   * was converted on its first reading (~50 ns per run of a 5-step flow).
   */
  readonly initialTimes: readonly number[];
}

/** Builds a DagShape from `needs` lists and rule codes (dependants are derived, or given). */
export function dagShape(
  needs: readonly (readonly number[])[],
  rules: ArrayLike<number>,
  dependants?: readonly (readonly number[])[],
  disabled?: readonly boolean[],
  statusFromLeaves = false,
): DagShape {
  let deps = dependants;
  if (deps === undefined) {
    const built: number[][] = needs.map(() => []);
    for (let i = 0; i < needs.length; i++) {
      for (const need of needs[i] as readonly number[]) (built[need] as number[]).push(i);
    }
    deps = built;
  }
  const needCounts = needs.map((own) => own.length);
  const roots: number[] = [];
  for (let i = 0; i < needs.length; i++) if (needCounts[i] === 0) roots.push(i);
  const n = needs.length;
  const initialCounts: number[] = [];
  for (let i = 0; i < n; i++) initialCounts.push(needCounts[i] as number);
  for (let i = 0; i < n; i++) initialCounts.push(0);
  // 0.5 first makes the array's elements doubles; the 0 written over it keeps them so.
  const initialTimes: number[] = n === 0 ? [] : [0.5];
  for (let i = 0; i < 2 * n; i++) initialTimes[i] = 0;
  return {
    needs,
    dependants: deps,
    rules,
    needCounts,
    roots,
    disabled: disabled?.includes(true) ? disabled : undefined,
    statusFromLeaves,
    initialCounts,
    initialTimes,
  };
}
