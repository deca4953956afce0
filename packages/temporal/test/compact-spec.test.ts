/** The compact RunSpec: decodes to exactly the graph it encodes, and its size grows with what is distinct (no server needed). */
import { CascadenceError, defineFlow, defineTask, type Flow } from '@cascadence/core';
import { buildRunSpec, resolveRunSettings } from '../src';
import { workflowArgument } from '../src/backend';
import { decodeColumn, decodeIds, decodeRunSpec, encodeColumn, encodeIds, encodeRunSpec } from '../src/compact-spec';
import { PLAIN_SPEC_VERSION, SPEC_VERSION, jsonSize, type RunSpec } from '../src/wire';

const work = defineTask({ name: 'work', run: (_ctx, input: unknown) => input });
const short = defineTask({ name: 'short', timeoutMs: 1000, retry: { attempts: 2 }, run: () => 1 });
const inner = defineFlow({ name: 'inner', steps: { x: { task: work }, y: { needs: ['x'], task: short } } });

function wide(n: number): Flow {
  const steps: Record<string, object> = { source: { task: work } };
  for (let i = 0; i < n; i++) steps[`s${i}`] = { needs: ['source'], task: work };
  return defineFlow({ name: `wide${n}`, steps } as never);
}
function chain(n: number): Flow {
  const steps: Record<string, object> = {};
  for (let i = 0; i < n; i++) steps[`s${i}`] = i === 0 ? { task: work } : { needs: [`s${i - 1}`], task: work };
  return defineFlow({ name: `chain${n}`, steps } as never);
}

const settings = resolveRunSettings({});
const spec = (flow: Flow, input?: unknown): RunSpec => buildRunSpec(flow, input, 'run-1', settings, undefined);
/** What the workflow gets: the compact form, through JSON as Temporal's converter sends it. */
const roundTrip = (plain: RunSpec): RunSpec => decodeRunSpec(JSON.parse(JSON.stringify(encodeRunSpec(plain))) as never);
/** The plain spec as the workflow would read it (undefined `with` values dropped by JSON). */
const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value)) as unknown;

describe('compact RunSpec', () => {
  it('columns and ids collapse arithmetic runs and decode back to the same values', () => {
    const values = [5, 0, 0, 0, 0, 1, 2, 3, 4, 9, 7, -1, -2, -3, 8];
    expect(encodeColumn(values)).toEqual([5, [0, 0, 4], [1, 1, 4], 9, 7, [-1, -1, 3], 8]);
    expect(decodeColumn(encodeColumn(values))).toEqual(values);
    expect(decodeColumn(encodeColumn([]))).toEqual([]);
    const ids = ['source', 's0', 's1', 's2', 'a09', 'a010', 'a011', 'x', '0', '1', 'y7', 'z'];
    expect(encodeIds(ids)).toEqual(['source', ['s', 0, 3], ['a0', 9, 3], 'x', ['', 0, 2], 'y7', 'z']);
    expect(decodeIds(encodeIds(ids))).toEqual(ids);
  });

  it('decodes to the plain spec: nested flows, with values, rules, retries, short and disabled steps, reuse', () => {
    const flow = defineFlow({
      name: 'mixed',
      timeoutMs: 60_000,
      steps: {
        a: { task: work, with: { k: 1 } },
        b: { task: work, with: { k: 1 }, needs: ['a'] },
        c: { task: short, needs: ['a', 'b'], when: 'all-done' },
        d: { task: inner, needs: ['c'], with: 3 },
        e: { run: () => 2, needs: ['d'], retry: { attempts: 4, nonRetryable: ['Nope'] } },
        f: { task: work, with: undefined, needs: ['e', 'a'] },
        later: { needs: ['g'], task: work },
        g: { task: work },
      },
    });
    const plain = spec(flow, { rows: [1, 2] });
    plain.reuse = { a: 7 };
    const decoded = roundTrip(plain);
    expect(decoded).toEqual(asJson({ ...plain, version: SPEC_VERSION }));
    expect(decoded.graph.steps.find((s) => s.id === 'd')?.flow?.steps[1]).toMatchObject({ id: 'y', local: true, needs: [0] });
  });

  it('keeps a spec of the plain version as it is (histories and clients of earlier releases)', () => {
    const plain = spec(inner);
    expect(plain.version).toBe(PLAIN_SPEC_VERSION);
    expect(decodeRunSpec(plain)).toBe(plain);
  });

  it.each([
    ['wide', wide],
    ['chain', chain],
  ])('a 10,000-step %s flow of one task costs at most 30 bytes per step (was over 200)', (_name, make) => {
    const plain = spec(make(10_000));
    const before = jsonSize(plain);
    const after = jsonSize(encodeRunSpec(plain));
    expect(before / 10_000).toBeGreaterThan(200);
    expect(after / 10_000).toBeLessThanOrEqual(30);
    expect(roundTrip(plain)).toEqual(asJson({ ...plain, version: SPEC_VERSION }));
  });

  it('inline `run:` steps (labelled by their id) share one definition too', () => {
    const steps: Record<string, object> = {};
    for (let i = 0; i < 10_000; i++) steps[`step-${i}`] = i === 0 ? { run: () => 1 } : { needs: [`step-${i - 1}`], run: () => 1 };
    const plain = spec(defineFlow({ name: 'inline-chain', steps } as never));
    expect(jsonSize(encodeRunSpec(plain)) / 10_000).toBeLessThanOrEqual(1);
    expect(roundTrip(plain)).toEqual(asJson({ ...plain, version: SPEC_VERSION }));
  });

  it('grows with what is distinct: a different `with` per step costs its value, not a whole step', () => {
    const steps: Record<string, object> = { source: { task: work } };
    for (let i = 0; i < 10_000; i++) steps[`item-${i * 7}`] = { needs: ['source'], task: work, with: { n: i } };
    const plain = spec(defineFlow({ name: 'with-each', steps } as never));
    const after = jsonSize(encodeRunSpec(plain));
    expect(after / 10_000).toBeLessThanOrEqual(30);
    expect(roundTrip(plain)).toEqual(asJson({ ...plain, version: SPEC_VERSION }));
  });

  it('a spec over the payload limit is refused before starting, naming the limit, the size and what to do', () => {
    const steps: Record<string, object> = {};
    for (let i = 0; i < 200; i++) steps[`s${i}`] = { task: work, with: `distinct value ${i}` };
    const flow = defineFlow({ name: 'distinct200', steps } as never);
    // What is shared costs nothing per step: the spec of 2,001 steps of one task fits in 1000 bytes…
    const shared = buildRunSpec(wide(2000), undefined, 'r', resolveRunSettings({ maxPayloadBytes: 1000 }), undefined);
    expect(jsonSize(encodeRunSpec(shared))).toBeLessThanOrEqual(1000);
    // …but not its run result (2,001 ids and results): refused for that, before starting.
    expect(() => workflowArgument(shared)).toThrow(/^the run result of flow "wide2000" \(2001 steps\) needs at least /);
    const plain = buildRunSpec(flow, undefined, 'r', resolveRunSettings({ maxPayloadBytes: 1000 }), undefined);
    const error = (() => {
      try {
        workflowArgument(plain);
      } catch (e) {
        return e as CascadenceError;
      }
    })();
    expect(CascadenceError.isInstance(error, 'CASCADENCE_TEMPORAL_SPEC_TOO_LARGE')).toBe(true);
    expect(error?.message).toMatch(
      /^the run spec of flow "distinct200" \(200 steps, input included\) is \d+(\.\d)? KiB as a workflow input, over the 1000 B Temporal payload limit \(maxPayloadBytes/,
    );
    expect(error?.details).toMatchObject({ limit: 1000, steps: 200 });
    expect(error?.suggestions?.join('\n')).toMatch(/split the flow[\s\S]*map[\s\S]*limit\.blobSize\.error/);
  });
});
