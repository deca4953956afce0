import type { DagShape } from './shape';

/**
 * Steps of a run that do not run again because an earlier run of the same flow already produced
 * their outputs (a retry from the failed step). Indices into the flow's steps, with outputs.
 */
export interface ReusedSteps {
  readonly steps: readonly number[];
  readonly outputs: readonly unknown[];
}

/**
 * Turns `{ stepId: output }` into ReusedSteps, or says why it cannot: an id the flow does not
 * have, or a reused step that needs a step which runs again (its output would then belong to an
 * upstream that no longer exists — a retry reruns everything downstream of what it reruns).
 */
export function resolveReuse(
  shape: DagShape,
  ids: readonly string[],
  indexOf: (id: string) => number | undefined,
  outputs: Readonly<Record<string, unknown>>,
): { reuse: ReusedSteps; problem?: undefined } | { reuse?: undefined; problem: string } {
  const steps: number[] = [];
  const values: unknown[] = [];
  const reused = new Array<boolean>(ids.length).fill(false);
  for (const id of Object.keys(outputs)) {
    const i = indexOf(id);
    if (i === undefined) return { problem: `step "${id}" is not a step of this flow` };
    reused[i] = true;
    steps.push(i);
    values.push(outputs[id]);
  }
  for (const i of steps) {
    for (const need of shape.needs[i] as readonly number[]) {
      if (!reused[need]) return { problem: `step "${ids[i]}" cannot reuse its output: it needs "${ids[need]}", which runs again` };
    }
  }
  return { reuse: { steps, outputs: values } };
}
