import { Engine } from '../src/engine';
import { EventBus, type EngineEvent } from '../src/events';
import { defineFlow } from '../src/flow';
import { silentLogger } from '../src/logger';

describe('engine events', () => {
  it('emits typed lifecycle events with timings, in order', async () => {
    const engine = new Engine({ logger: silentLogger });
    const seen: EngineEvent[] = [];
    const off = engine.events.onAny((event) => seen.push(event));
    let tries = 0;
    const flow = defineFlow({
      name: 'evented',
      steps: {
        a: { run: () => 1 },
        b: {
          needs: ['a'],
          retry: { attempts: 2, delayMs: 1 },
          run: () => {
            if (++tries === 1) throw new Error('once');
            return 2;
          },
        },
        bad: {
          run: () => {
            throw new Error('bad');
          },
        },
        after: { needs: ['bad'], run: () => 3 },
      },
    });
    const result = await engine.run(flow);
    off();
    const summary = seen.map((e) => `${e.type}${'step' in e ? `:${e.step}` : ''}`);
    expect(summary[0]).toBe('run:start');
    expect(summary[summary.length - 1]).toBe('run:end');
    expect(summary).toEqual(
      expect.arrayContaining(['step:start:a', 'step:success:a', 'step:retry:b', 'step:success:b', 'step:failure:bad', 'step:skip:after']),
    );
    expect(summary.indexOf('step:success:a')).toBeLessThan(summary.indexOf('step:start:b'));
    const retry = seen.find((e) => e.type === 'step:retry');
    expect(retry).toMatchObject({ flow: 'evented', step: 'b', attempt: 1, delayMs: 1, runId: result.runId });
    const skip = seen.find((e) => e.type === 'step:skip');
    expect(skip).toMatchObject({ step: 'after', reason: 'upstream-failed' });
    const end = seen[seen.length - 1];
    expect(end).toMatchObject({ type: 'run:end', status: 'failed', task: 'evented' });
    for (const e of seen) expect(e.at).toBeGreaterThan(1.6e12);
    const success = seen.find((e) => e.type === 'step:success' && e.step === 'b');
    expect(success && 'durationMs' in success && success.durationMs >= 0).toBe(true);
  });

  it('reports a throwing listener without breaking the run', async () => {
    const errors: unknown[] = [];
    const bus = new EventBus((error) => errors.push(error));
    bus.on('step:start', () => {
      throw new Error('listener bug');
    });
    const engine = new Engine({ logger: silentLogger, events: bus });
    const result = await engine.run(defineFlow({ name: 'f', steps: { a: { run: () => 1 } } }));
    expect(result.status).toBe('succeeded');
    expect(errors).toHaveLength(1);
  });

  it('is inactive with no listeners, and unsubscribing makes it inactive again', () => {
    const bus = new EventBus();
    expect(bus.active).toBe(false);
    const off1 = bus.on('run:end', () => {});
    const off2 = bus.onAny(() => {});
    expect(bus.active).toBe(true);
    off1();
    expect(bus.active).toBe(true);
    off2();
    expect(bus.active).toBe(false);
    expect(bus.listenerCount()).toBe(0);
  });

  it('builds no event objects when nobody listens', () => {
    const engine = new Engine({ logger: silentLogger });
    const emit = jest.spyOn(engine.events, 'emit');
    engine.runSync(defineFlow({ name: 'quiet', steps: { a: { run: () => 1 }, b: { needs: ['a'], run: () => 2 } } }));
    expect(emit).not.toHaveBeenCalled();
  });

  it('step observers get start/success as arguments, with no event objects built for them', () => {
    const engine = new Engine({ logger: silentLogger });
    const calls: string[] = [];
    const off = engine.events.observe({
      stepStart: (flow, step, task, attempt) => calls.push(`start ${flow}/${step} ${task} #${attempt}`),
      stepSuccess: (flow, step, _task, attempt, durationMs) => calls.push(`success ${flow}/${step} #${attempt} ${durationMs >= 0}`),
    });
    const emit = jest.spyOn(engine.events, 'emit');
    let tries = 0;
    engine.runSync(
      defineFlow({
        name: 'observed',
        steps: {
          a: { run: () => 1 },
          b: {
            needs: ['a'],
            retry: { attempts: 2, delayMs: 0 },
            run: () => {
              if (++tries === 1) throw new Error('once');
              return 2;
            },
          },
        },
      }),
    );
    expect(calls).toEqual([
      'start observed/a a #1',
      'success observed/a #1 true',
      'start observed/b b #1',
      'start observed/b b #2',
      'success observed/b #2 true',
    ]);
    // The per-step events are never built as objects for observers (rarer ones still are, and find no listener).
    const emitted = emit.mock.calls.map(([event]) => event.type);
    expect(emitted).not.toContain('step:start');
    expect(emitted).not.toContain('step:success');
    off();
    expect(engine.events.active).toBe(false);
  });

  it('a throwing observer is reported and the run goes on', () => {
    const errors: unknown[] = [];
    const bus = new EventBus((error) => errors.push(error));
    bus.observe({
      stepStart: () => {
        throw new Error('observer bug');
      },
      stepSuccess: () => {},
    });
    const result = new Engine({ logger: silentLogger, events: bus }).runSync(defineFlow({ name: 'f', steps: { a: { run: () => 1 } } }));
    expect(result.status).toBe('succeeded');
    expect(errors).toHaveLength(1);
  });
});
