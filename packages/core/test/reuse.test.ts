import { Engine } from '../src/engine';
import { CascadenceError, ErrorCode } from '../src/errors';
import type { EngineEvent } from '../src/events';
import { defineFlow } from '../src/flow';
import { silentLogger } from '../src/logger';
import { defineTask } from '../src/task';

const engine = () => new Engine({ logger: silentLogger });

/** a -> b, c -> d (diamond) where every call is logged; `failC` makes c throw. */
function diamond(log: string[], failC: { on: boolean }) {
  return defineFlow({
    name: 'diamond',
    steps: {
      a: { run: () => (log.push('a'), 1) },
      b: { needs: ['a'], run: (ctx) => (log.push('b'), (ctx.results.a as number) + 10) },
      c: {
        needs: ['a'],
        run: (ctx) => {
          log.push('c');
          if (failC.on) throw new Error('c broke');
          return (ctx.results.a as number) + 100;
        },
      },
      d: { needs: ['b', 'c'], run: (ctx) => (log.push('d'), (ctx.results.b as number) + (ctx.results.c as number)) },
    },
  });
}

describe('RunOptions.reuse — retry from the failed step', () => {
  it('does not run reused steps, hands their outputs downstream, and runs the rest', async () => {
    const log: string[] = [];
    const failC = { on: true };
    const flow = diamond(log, failC);
    const first = await engine().run(flow);
    expect(first.status).toBe('failed');
    expect(log).toEqual(['a', 'b', 'c']);

    log.length = 0;
    failC.on = false;
    const retry = await engine().run(flow, undefined, { reuse: { a: first.steps.a!.output, b: first.steps.b!.output } });
    expect(log).toEqual(['c', 'd']);
    expect(retry.status).toBe('succeeded');
    expect(retry.output).toEqual({ d: 112 });
    expect(retry.steps.a).toMatchObject({ status: 'succeeded', output: 1, attempts: 0, startedAt: undefined });
    expect(retry.steps.c).toMatchObject({ status: 'succeeded', output: 101, attempts: 1 });
  });

  it('finishes at once when every step is reused, on run and runSync', async () => {
    const log: string[] = [];
    const flow = diamond(log, { on: false });
    const reuse = { a: 1, b: 11, c: 101, d: 7 };
    const result = await engine().run(flow, undefined, { reuse });
    expect(result).toMatchObject({ status: 'succeeded', output: { d: 7 } });
    expect(engine().runSync(flow, undefined, { reuse })).toMatchObject({ status: 'succeeded', output: { d: 7 } });
    expect(log).toEqual([]);
  });

  it('emits no step events for reused steps', async () => {
    const events: EngineEvent[] = [];
    const e = engine();
    e.events.onAny((event) => events.push(event));
    await e.run(diamond([], { on: false }), undefined, { reuse: { a: 5 } });
    const started = events.filter((ev) => ev.type === 'step:start').map((ev) => (ev as { step: string }).step);
    expect(started.sort()).toEqual(['b', 'c', 'd']);
  });

  it('refuses an unknown step id, a reused step whose need runs again, and a lone task', async () => {
    const flow = diamond([], { on: false });
    const refused = (fn: () => unknown): CascadenceError => {
      try {
        fn();
      } catch (error) {
        expect(error).toBeInstanceOf(CascadenceError);
        return error as CascadenceError;
      }
      throw new Error('expected a refusal');
    };
    const unknown = refused(() => engine().runSync(flow, undefined, { reuse: { nope: 1 } }));
    expect(unknown.code).toBe(ErrorCode.INVALID_REUSE);
    expect(unknown.message).toContain('step "nope" is not a step of this flow');
    const notClosed = refused(() => engine().runSync(flow, undefined, { reuse: { b: 1 } }));
    expect(notClosed.message).toContain('step "b" cannot reuse its output: it needs "a", which runs again');
    const task = defineTask({ name: 'lone', run: () => 1 });
    await expect(engine().run(task, undefined, { reuse: {} })).rejects.toMatchObject({ code: ErrorCode.INVALID_REUSE });
  });

  it('passes the trigger and input to run:start and the RunResult to run:end', async () => {
    const events: EngineEvent[] = [];
    const e = engine();
    e.events.onAny((event) => events.push(event));
    const input = { x: 1 };
    const result = await e.run(diamond([], { on: false }), input, { trigger: { kind: 'schedule', schedule: 'nightly' } });
    const start = events.find((ev) => ev.type === 'run:start');
    expect(start).toMatchObject({ trigger: { kind: 'schedule', schedule: 'nightly' } });
    expect((start as { input: unknown }).input).toBe(input);
    const end = events.find((ev) => ev.type === 'run:end');
    expect((end as { result: unknown }).result).toBe(result);
    const success = events.find((ev) => ev.type === 'step:success' && ev.step === 'b');
    expect(success).toMatchObject({ output: 11 });
  });
});
