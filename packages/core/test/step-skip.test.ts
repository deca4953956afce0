import { defineFlow, defineProcessor, Engine, Registry, silentLogger, type EngineEvent } from '../src/index';

describe('ctx.skip(reason): a step skips itself', () => {
  const branching = defineFlow({
    name: 'branching',
    steps: {
      route: { run: (_ctx, input: string) => input },
      small: { needs: ['route'], run: (ctx) => (ctx.results.route === 'small' ? 'small path' : ctx.skip('input is not small')) },
      large: {
        needs: ['route'],
        retry: { attempts: 3, delayMs: 0 },
        run: async (ctx) => {
          await Promise.resolve();
          if (ctx.results.route !== 'large') ctx.skip('input is not large');
          return 'large path';
        },
      },
      afterLarge: { needs: ['large'], run: () => 'only after large' },
      join: { needs: ['small', 'large'], when: 'none-failed', run: (ctx) => Object.keys(ctx.results) },
      alert: { needs: ['small', 'large'], when: 'any-failed', run: () => 'never: a skip is not a failure' },
    },
  });

  it('ends skipped with skipReason "self" and its message; dependants follow their rules; never retried; the run succeeds', async () => {
    const events: EngineEvent[] = [];
    const engine = new Engine({ logger: silentLogger });
    engine.events.on('step:skip', (event) => events.push(event));
    const result = await engine.run(branching, 'small');
    expect(result.status).toBe('succeeded');
    expect(result.steps.small).toMatchObject({ status: 'succeeded', output: 'small path' });
    expect(result.steps.large).toMatchObject({
      status: 'skipped',
      skipReason: 'self',
      skipMessage: 'input is not large',
      attempts: 1,
      error: undefined,
    });
    expect(result.steps.afterLarge).toMatchObject({ status: 'skipped', skipReason: 'trigger-rule' });
    expect(result.steps.join).toMatchObject({ status: 'succeeded', output: ['small'] });
    expect(result.steps.alert).toMatchObject({ status: 'skipped', skipReason: 'trigger-rule' });
    expect(
      events.map((e) => [e.type === 'step:skip' && e.step, e.type === 'step:skip' && e.reason, e.type === 'step:skip' && e.message]),
    ).toEqual([
      ['large', 'self', 'input is not large'],
      ['afterLarge', 'trigger-rule', undefined],
      ['alert', 'trigger-rule', undefined],
    ]);
  });

  it('works in runSync, and a processor can skip through its context', () => {
    const maybe = defineProcessor<{ enabled: boolean }, string>({
      name: 'maybe',
      options: { enabled: { type: 'boolean', required: true } },
      run: (ctx, options) => (options.enabled ? 'did it' : ctx.skip('disabled by option')),
    });
    const engine = new Engine({ logger: silentLogger, resolver: new Registry().addProcessor(maybe) });
    const flow = defineFlow({
      name: 'p',
      steps: { on: { uses: 'maybe', with: { enabled: true } }, off: { uses: 'maybe', with: { enabled: false } } },
    });
    const result = engine.runSync(flow);
    expect(result.status).toBe('succeeded');
    expect(result.steps.on?.output).toBe('did it');
    expect(result.steps.off).toMatchObject({ status: 'skipped', skipReason: 'self', skipMessage: 'disabled by option' });
    // The flow's default output holds only the final steps that succeeded.
    expect(result.output).toEqual({ on: 'did it' });
  });

  it('a lone task that skips itself: the run succeeds with no output', async () => {
    const flow = defineFlow({ name: 'lone', steps: { only: { run: (ctx) => ctx.skip() } } });
    const result = await new Engine({ logger: silentLogger }).run(flow);
    expect(result.steps.only).toMatchObject({ status: 'skipped', skipReason: 'self', skipMessage: '' });
    expect(result.status).toBe('succeeded');
  });
});
