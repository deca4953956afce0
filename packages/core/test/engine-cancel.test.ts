import { defineFlow, defineTask, Engine, ErrorCode, LocalBackend, silentLogger } from '../src/index';

describe('Engine.cancel(runId)', () => {
  it('cancels an unfinished run from outside: running steps see ctx.signal abort, nothing new starts, the result is cancelled with the reason', async () => {
    const engine = new Engine({ logger: silentLogger });
    const seen: string[] = [];
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const flow = defineFlow({
      name: 'long',
      steps: {
        wait: {
          run: (ctx) =>
            new Promise((resolve) => {
              started();
              ctx.signal.addEventListener(
                'abort',
                () => (seen.push(String(ctx.signal.reason?.message ?? ctx.signal.reason)), resolve('stopped')),
              );
            }),
        },
        after: { needs: ['wait'], run: () => seen.push('after ran') },
      },
    });
    const runId = 'run-to-cancel';
    const result = engine.run(flow, undefined, { runId });
    await running;
    expect(engine.cancel(runId, 'cancelled from the dashboard')).toBe(true);
    const final = await result;
    expect(final.status).toBe('cancelled');
    expect(final.error).toMatchObject({ code: ErrorCode.CANCELLED });
    expect(final.error?.message).toContain('cancelled from the dashboard');
    expect(final.steps.after?.status).toBe('cancelled'); // never started, as with an aborted signal
    expect(seen).toHaveLength(1);
    expect(seen).not.toContain('after ran');
    // Finished: nothing left to cancel.
    expect(engine.cancel(runId)).toBe(false);
  });

  it('is false for unknown ids and for runs that already ended; LocalBackend passes it through', async () => {
    const engine = new Engine({ logger: silentLogger });
    const quick = defineTask({ name: 'quick', run: () => 1 });
    const { runId } = await engine.run(quick);
    expect(engine.cancel(runId)).toBe(false);
    expect(engine.cancel('no-such-run')).toBe(false);
    const backend = new LocalBackend(engine);
    const slow = defineTask({
      name: 'slow',
      run: (ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve('x'))),
    });
    const pending = backend.run(slow, undefined, { runId: 'b1' });
    expect(backend.cancel('b1', 'stop')).toBe(true);
    expect((await pending).status).toBe('cancelled');
  });
});
