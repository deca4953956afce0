/**
 * Runs that cannot fit in the server's history event limit are refused before starting (no server
 * needed; the bound is checked against real histories in large-flows.test.ts). Partitioned runs
 * (the default) continue as new instead: only a step too large for one partition is refused.
 */
import { CascadenceError, defineFlow, defineTask, type Flow } from '@cascadence/core';
import { buildRunSpec, resolveRunSettings, workflowArgument } from '../src';
import { minHistoryEvents } from '../src/history-budget';

const regular = defineTask({ name: 'regular', run: () => 1 });
const short = defineTask({ name: 'short', timeoutMs: 1000, run: () => 1 });

function wide(n: number, task = regular): Flow {
  const steps: Record<string, object> = { source: { task } };
  for (let i = 0; i < n; i++) steps[`s${i}`] = { needs: ['source'], task };
  return defineFlow({ name: `wide${n}`, steps } as never);
}
function chain(n: number, task = regular): Flow {
  const steps: Record<string, object> = {};
  for (let i = 0; i < n; i++) steps[`s${i}`] = i === 0 ? { task } : { needs: [`s${i - 1}`], task };
  return defineFlow({ name: `chain${n}`, steps } as never);
}
const argument = (flow: Flow, settings = {}): unknown =>
  workflowArgument(buildRunSpec(flow, undefined, 'r', resolveRunSettings(settings), undefined));

describe('history event budget', () => {
  it('counts 3 events per regular step, 3 more per regular step on the longest path, 1 per short step', () => {
    const graph = (flow: Flow<unknown, unknown>) => buildRunSpec(flow, undefined, 'r', resolveRunSettings({}), undefined).graph;
    expect(minHistoryEvents(graph(chain(10)))).toBe(5 + 30 + 30);
    expect(minHistoryEvents(graph(wide(10)))).toBe(5 + 33 + 6);
    expect(minHistoryEvents(graph(chain(10, short)))).toBe(5 + 10);
    const nested = defineFlow({ name: 'outer', steps: { a: { task: regular }, inner: { needs: ['a'], task: chain(4) } }, output: () => 1 });
    expect(minHistoryEvents(graph(nested))).toBe(5 + 3 + 12 + 3 + (3 + 12 + 3));
  });

  it('with partitioning off, a 10,000-step chain of regular activities is refused before starting, naming the limit, the count and what to do', () => {
    const error = (() => {
      try {
        argument(chain(10_000), { partitionHistoryEvents: 0 });
      } catch (e) {
        return e as CascadenceError;
      }
    })();
    expect(CascadenceError.isInstance(error, 'CASCADENCE_TEMPORAL_HISTORY_LIMIT')).toBe(true);
    expect(error?.message).toBe(
      `flow "chain10000" (10000 steps) needs at least 60005 workflow history events when every step runs, over Temporal's limit of 51200 events per workflow (maxHistoryEvents)`,
    );
    expect(error?.details).toEqual({ events: 60_005, limit: 51_200, steps: 10_000 });
    expect(error?.suggestions?.join('\n')).toMatch(
      /split the flow[\s\S]*localStepMaxTimeoutMs[\s\S]*maps[\s\S]*limit\.historyCount\.error/,
    );
    // Raised with the server's limit, it passes.
    expect(() => argument(chain(10_000), { maxHistoryEvents: 100_000, partitionHistoryEvents: 0 })).not.toThrow();
  });

  it('with partitioning off, the same chain of short steps fits, and so does a 10,000-step wide flow; a 20,000-step wide flow of regular steps does not', () => {
    const off = { partitionHistoryEvents: 0 };
    expect(() => argument(chain(10_000, short), off)).not.toThrow();
    expect(() => argument(wide(10_000), off)).not.toThrow();
    expect(() => argument(wide(20_000), off)).toThrow(/needs at least 60014 workflow history events/);
    expect(() => argument(wide(20_000, short), off)).not.toThrow();
  });

  it('partitioned (the default): 100,000-step chains and wide flows are accepted; a nested flow too large for one partition is refused', () => {
    expect(() => argument(chain(10_000))).not.toThrow();
    expect(() => argument(wide(20_000))).not.toThrow();
    expect(() => argument(chain(100_000))).not.toThrow();
    expect(() => argument(wide(100_000))).not.toThrow();
    const outer = defineFlow({ name: 'outer', steps: { a: { task: regular }, inner: { needs: ['a'], task: chain(6000) } } });
    const error = (() => {
      try {
        argument(outer);
      } catch (e) {
        return e as CascadenceError;
      }
    })();
    expect(CascadenceError.isInstance(error, 'CASCADENCE_TEMPORAL_HISTORY_LIMIT')).toBe(true);
    expect(error?.message).toBe(
      'step "inner" of flow "outer" (a nested flow of 6000 steps, run inline in one workflow run) needs at least 36000 workflow history events, over the 31200 a partition leaves it (maxHistoryEvents 51200 minus partitionHistoryEvents 20000)',
    );
    expect(() => argument(outer, { partitionHistoryEvents: 10_000 })).not.toThrow();
  });

  it('partitionHistoryEvents must be below maxHistoryEvents', () => {
    expect(() => resolveRunSettings({ partitionHistoryEvents: 60_000 })).toThrow(
      'partitionHistoryEvents (60000) must be below maxHistoryEvents (51200), or 0 to turn partitioning off',
    );
    expect(() => resolveRunSettings({ partitionHistoryEvents: -1 })).toThrow(/partitionHistoryEvents must be a non-negative number/);
  });
});

describe('run result size, before starting', () => {
  it('a run whose result cannot fit even without outputs is refused, naming the result, its size and the limit', () => {
    const task = defineTask({ name: 't', run: () => 1 });
    const steps: Record<string, object> = {};
    // 60,000 ids without a pattern, ~30 characters each: ~2 MB of ids alone.
    for (let i = 0; i < 60_000; i++) steps[`user-step-${((i * 2654435761) >>> 0).toString(36)}-${'x'.repeat(14)}`] = { task };
    const flow = defineFlow({ name: 'long-ids', steps } as never);
    const error = (() => {
      try {
        argument(flow, { maxPayloadBytes: 3_000_000 });
      } catch (e) {
        return e as CascadenceError;
      }
    })();
    expect(CascadenceError.isInstance(error, 'CASCADENCE_TEMPORAL_PAYLOAD_TOO_LARGE')).toBe(true);
    expect(error?.message).toMatch(
      /^the run result of flow "long-ids" \(60000 steps\) needs at least \d\.\d\d MiB with the run spec it is carried with between partitions before any step output, over the 2\.86 MiB Temporal payload limit \(maxPayloadBytes\)$/,
    );
  });

  it('100,000-step flows with counting ids are accepted (their result is a few bytes per step)', () => {
    expect(() => argument(wide(100_000))).not.toThrow();
    expect(() => argument(chain(100_000))).not.toThrow();
  });
});
