import { Engine } from './engine';
import { EventBus, type EngineEvent } from './events';
import { defineFlow } from './flow';
import { silentLogger } from './logger';

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
        b: { needs: ['a'], retry: { attempts: 2, delayMs: 1 }, run: () => { if (++tries === 1) throw new Error('once'); return 2; } },
        bad: { run: () => { throw new Error('bad'); } },
        after: { needs: ['bad'], run: () => 3 },
      },
    });
    const result = await engine.run(flow);
    off();
    const summary = seen.map((e) => `${e.type}${'step' in e ? `:${e.step}` : ''}`);
    expect(summary[0]).toBe('run:start');
    expect(summary[summary.length - 1]).toBe('run:end');
    expect(summary).toEqual(expect.arrayContaining(['step:start:a', 'step:success:a', 'step:retry:b', 'step:success:b', 'step:failure:bad', 'step:skip:after']));
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
    bus.on('step:start', () => { throw new Error('listener bug'); });
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
});
