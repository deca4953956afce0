import { Engine } from '../src/engine';
import { CascadenceError } from '../src/errors';
import type { EngineEvent } from '../src/events';
import { defineFlow } from '../src/flow';
import type { Logger } from '../src/logger';
import { silentLogger } from '../src/logger';
import type { RunTracer } from '../src/run-tracer';

/** A tracer whose scopes are strings naming where they came from, recording every call. */
function recordingTracer(): RunTracer<string> & { calls: string[]; current: string | undefined } {
  let n = 0;
  const tracer = {
    calls: [] as string[],
    current: undefined as string | undefined,
    startRun(event: EngineEvent & { type: 'run:start' }, parent: string | undefined) {
      const scope = `run${++n}:${event.task}`;
      tracer.calls.push(`startRun ${scope} parent=${parent ?? '-'} trigger=${event.trigger?.kind ?? '-'}`);
      return scope;
    },
    endRun(run: string, event: EngineEvent & { type: 'run:end' }) {
      tracer.calls.push(`endRun ${run} ${event.status}`);
    },
    startStep(run: string | undefined, event: EngineEvent & { type: 'step:start' }) {
      const scope = `attempt${++n}:${event.step}#${event.attempt}`;
      tracer.calls.push(`startStep ${scope} run=${run}`);
      return scope;
    },
    endStep(attempt: string, event: EngineEvent & { type: 'step:success' | 'step:failure' | 'step:retry' }) {
      tracer.calls.push(`endStep ${attempt} ${event.type}`);
    },
    stepEvent(run: string, event: EngineEvent & { type: 'step:skip' | 'step:failure' }) {
      tracer.calls.push(`stepEvent ${run} ${event.type}:${event.step}`);
    },
    within<T>(scope: string, fn: () => T): T {
      const outer = tracer.current;
      tracer.current = scope;
      try {
        return fn();
      } finally {
        tracer.current = outer;
      }
    },
    logTag: (attempt: string) => `tag=${attempt}`,
  };
  return tracer;
}

describe('RunTracer hook', () => {
  it('gets a scope per run and attempt, runs step code within it, and nests flows under the step that runs them', () => {
    const engine = new Engine({ logger: silentLogger });
    const tracer = recordingTracer();
    const detach = engine.events.trace(tracer);
    const seenInside: Array<string | undefined> = [];
    const inner = defineFlow({ name: 'inner', steps: { x: { run: () => void seenInside.push(tracer.current) } } });
    let tries = 0;
    const outer = defineFlow({
      name: 'outer',
      steps: {
        flaky: {
          retry: { attempts: 2, delayMs: 0 },
          run: () => {
            if (++tries === 1) throw new Error('once');
          },
        },
        sub: { needs: ['flaky'], task: inner },
        bad: {
          run: () => {
            throw new Error('no');
          },
        },
        after: { needs: ['bad'], run: () => 1 },
      },
    });
    const result = engine.runSync(outer, undefined, { trigger: { kind: 'api' } });
    detach();
    expect(result.status).toBe('failed');
    expect(tracer.calls).toEqual([
      'startRun run1:outer parent=- trigger=api',
      'startStep attempt2:flaky#1 run=run1:outer',
      'endStep attempt2:flaky#1 step:retry',
      'startStep attempt3:bad#1 run=run1:outer',
      'endStep attempt3:bad#1 step:failure',
      'stepEvent run1:outer step:skip:after',
      'startStep attempt4:flaky#2 run=run1:outer',
      'endStep attempt4:flaky#2 step:success',
      'startStep attempt5:sub#1 run=run1:outer',
      'startRun run6:inner parent=attempt5:sub#1 trigger=api',
      'startStep attempt7:x#1 run=run6:inner',
      'endStep attempt7:x#1 step:success',
      'endRun run6:inner succeeded',
      'endStep attempt5:sub#1 step:success',
      'endRun run1:outer failed',
    ]);
    expect(seenInside).toEqual(['attempt7:x#1']);
    expect(tracer.current).toBeUndefined();
  });

  it('adds the log tag to ctx.log lines of traced attempts only', async () => {
    const lines: string[] = [];
    const logger: Logger = { ...silentLogger, info: (m: string) => void lines.push(m) };
    const engine = new Engine({ logger });
    const flow = defineFlow({ name: 'f', steps: { s: { run: (ctx) => ctx.log.info('hi') } } });
    const detach = engine.events.trace(recordingTracer());
    await engine.run(flow);
    detach();
    await engine.run(flow);
    expect(lines).toEqual(['[f/s tag=attempt2:s#1] hi', '[f/s] hi']);
  });

  it('a throwing tracer is reported and the run still succeeds; a second tracer on one bus is refused', () => {
    const reported: string[] = [];
    const engine = new Engine({ logger: silentLogger });
    const { EventBus } = jest.requireActual('../src/events') as typeof import('../src/events');
    const bus = new EventBus((error, event) => reported.push(`${event.type}: ${(error as Error).message}`));
    const own = new Engine({ logger: silentLogger, events: bus });
    const broken = {
      ...recordingTracer(),
      startStep: () => {
        throw new Error('tracer broke');
      },
    };
    bus.trace(broken);
    const result = own.runSync(defineFlow({ name: 'g', steps: { s: { run: () => 7 } } }));
    expect(result.status).toBe('succeeded');
    expect(result.output).toEqual({ s: 7 });
    expect(reported).toEqual(['step:start: tracer broke']);
    expect(() => bus.trace(recordingTracer())).toThrow(CascadenceError);
    expect(engine.events.tracer).toBeUndefined();
  });
});
