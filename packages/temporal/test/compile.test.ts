/** What the workflow receives: the graph as data, never code (no server needed). */
import { CascadenceError, Registry, defineFlow, defineProcessor, defineTask } from '@cascadence/core';
import { buildRunSpec, compileGraph, fromWireError, resolveRunSettings } from '../src';
import { cancelReasonText } from '../src/backend';
import { jsonErrorOffset } from '../src/replay';
import { jsonSize } from '../src/wire';

class Flaky extends Error {}

const fetchTask = defineTask({ name: 'fetch', retry: { attempts: 3, backoff: 'fixed', delayMs: 50 }, timeoutMs: 2000, run: () => 1 });
const upload = defineProcessor<{ bucket: string; acl: string }, string>({
  name: 'upload',
  options: { bucket: { type: 'string', required: true }, acl: { type: 'string', default: 'private' } },
  run: (_ctx, o) => o.bucket,
});
const inner = defineFlow({ name: 'inner', timeoutMs: 9000, steps: { x: { run: () => 1 } }, output: (r) => r.x });

describe('compileGraph', () => {
  it('keeps ids, needs, trigger rules, retry, timeouts, labels and inputs', () => {
    const flow = defineFlow({
      name: 'etl',
      timeoutMs: 60_000,
      steps: {
        get: { task: fetchTask },
        put: { uses: 'upload', with: { bucket: 'b' }, needs: ['get'], retry: { attempts: 2, nonRetryable: [Flaky, 'Nope'] } },
        sub: { task: inner, needs: ['get'], with: 3 },
        tidy: { needs: ['put', 'sub'], when: 'all-done', run: () => 'ok', timeoutMs: 10 },
      },
    });
    const graph = compileGraph(flow, new Registry().addProcessor(upload));
    expect(graph).toMatchObject({ name: 'etl', kind: 'flow', hasOutput: false, timeoutMs: 60_000 });
    const [get, put, sub, tidy] = graph.steps;
    expect(get).toMatchObject({
      id: 'get',
      label: 'fetch',
      kind: 'task',
      needs: [],
      when: 'all-succeeded',
      useFlowInput: true,
      timeoutMs: 2000,
    });
    expect(get?.retry).toEqual({ attempts: 3, backoff: 'fixed', delayMs: 50, maxDelayMs: 60_000, jitter: 0, nonRetryable: [] });
    // Processor options are validated (defaults filled) before anything is sent.
    expect(put).toMatchObject({
      label: 'upload',
      kind: 'processor',
      needs: [0],
      useFlowInput: false,
      with: { bucket: 'b', acl: 'private' },
    });
    expect(put?.retry.nonRetryable).toEqual(['Flaky', 'Nope']);
    // A nested flow travels as a graph; as a step its own timeoutMs is the step's.
    expect(sub).toMatchObject({ kind: 'flow', label: 'inner', with: 3, timeoutMs: 9000 });
    expect(sub?.flow).toMatchObject({ name: 'inner', hasOutput: true, steps: [{ id: 'x', kind: 'inline' }] });
    expect(sub?.flow?.timeoutMs).toBeUndefined();
    expect(tidy).toMatchObject({ kind: 'inline', label: 'tidy', needs: [1, 2], when: 'all-done', timeoutMs: 10 });
    // Pure data.
    expect(JSON.parse(JSON.stringify(graph))).toEqual(graph);
  });

  it('names what is wrong: unknown names, bad processor options, a flow inside itself', () => {
    const byName = defineFlow({ name: 'by-name', steps: { s: { task: 'missing' } } });
    expect(() => compileGraph(byName, undefined)).toThrow(
      'flow "by-name", step "s": task "missing" is referenced by name, but this TemporalBackend has no registry',
    );
    expect(() => compileGraph(byName, new Registry().add(fetchTask))).toThrow(/flow "by-name", step "s": unknown task "missing"/);
    const badOptions = defineFlow({ name: 'bad-options', steps: { s: { uses: 'upload', with: { bucket: 1 } } } });
    expect(() => compileGraph(badOptions, new Registry().addProcessor(upload))).toThrow(
      'flow "bad-options", step "s": option "bucket" must be a string',
    );
    const registry = new Registry();
    const loop = defineFlow({ name: 'loop', steps: { again: { task: 'loop' } } });
    registry.add(loop);
    const error = (() => {
      try {
        compileGraph(loop, registry);
      } catch (e) {
        return e;
      }
    })();
    // The same error, from the same resolver, as the local engine gives.
    expect(CascadenceError.isInstance(error, 'CASCADENCE_CYCLE')).toBe(true);
    expect((error as Error).message).toBe('flow "loop" contains itself: loop -> loop');
  });

  it('buildRunSpec refuses oversized input; settings are checked', () => {
    const settings = resolveRunSettings({ maxPayloadBytes: 1000 });
    expect(settings).toMatchObject({
      concurrency: 16,
      failFast: false,
      heartbeatTimeoutMs: 30_000,
      workerLossRetries: 3,
      maxPayloadBytes: 1000,
    });
    expect(() => buildRunSpec(fetchTask, 'z'.repeat(2000), 'r', settings, undefined)).toThrow(
      /the input of task "fetch" is 2\.0 KiB, over the 1000 B Temporal payload limit/,
    );
    expect(resolveRunSettings({ concurrency: Infinity }).concurrency).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => resolveRunSettings({ concurrency: 0 })).toThrow('concurrency must be a positive number (got 0)');
    expect(() => resolveRunSettings({ heartbeatTimeoutMs: -1 })).toThrow('heartbeatTimeoutMs must be a positive number');
  });
});

describe('helpers', () => {
  it('errors come back as CascadenceErrors with their code, name and cause', () => {
    const error = fromWireError({
      name: 'TimeoutError',
      code: 'CASCADENCE_TIMEOUT',
      message: 'late',
      cause: { name: 'Error', message: 'inner' },
    });
    expect(CascadenceError.isInstance(error, 'CASCADENCE_TIMEOUT')).toBe(true);
    expect(error.name).toBe('TimeoutError');
    expect((error.cause as Error).message).toBe('inner');
    const plain = fromWireError({ name: 'BadInput', message: 'x', code: 'E42' });
    expect(plain).toBeInstanceOf(Error);
    expect((plain as Error & { code: string }).code).toBe('E42');
  });

  it('cancel reasons read like core CancelledError suffixes', () => {
    expect(cancelReasonText(undefined)).toBe('');
    expect(cancelReasonText(new Error('stop'))).toBe('stop');
    expect(cancelReasonText(Object.assign(new Error('aborted'), { name: 'AbortError' }))).toBe('');
    expect(cancelReasonText('why')).toBe('"why"');
    expect(cancelReasonText({ a: 1 })).toBe('{"a":1}');
  });

  it('sizes are UTF-8 bytes of the JSON; JSON errors are located', () => {
    expect(jsonSize('é')).toBe(4);
    expect(jsonSize(undefined)).toBe(0);
    expect(jsonErrorOffset('{"a": [1, 2,, 3]}')).toBe(12);
    expect(jsonErrorOffset('{"a": 1}')).toBeUndefined();
    expect(jsonErrorOffset('{"a": 1} x')).toBe(9);
  });
});
