import { CascadenceError, defineFlow, Engine, ErrorCode, silentLogger } from '../src/index';
import { flowFromSpec } from '../src/flow-spec';

/** A promise with its resolve, to hold a step until the test lets it go (no timing). */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('trigger rules beyond all-succeeded / all-done', () => {
  it('any-failed starts at the first failure, while a sibling need is still running', async () => {
    const slow = gate();
    const order: string[] = [];
    const flow = defineFlow({
      name: 'alerting',
      steps: {
        bad: { run: () => Promise.reject(new Error('boom')) },
        slow: {
          run: async () => {
            await slow.promise;
            order.push('slow ended');
            return 1;
          },
        },
        alert: {
          needs: ['bad', 'slow'],
          when: 'any-failed',
          run: () => {
            order.push('alert');
            slow.open();
            return 'paged';
          },
        },
      },
    });
    const result = await new Engine({ logger: silentLogger }).run(flow);
    expect(order).toEqual(['alert', 'slow ended']);
    expect(result.steps.alert).toMatchObject({ status: 'succeeded', output: 'paged' });
    expect(result.status).toBe('failed');
  });

  it('one-succeeded starts at the first success; it sees the results that exist then', async () => {
    const slow = gate();
    const flow = defineFlow({
      name: 'first-mirror',
      steps: {
        fast: { run: async () => 'mirror-a' },
        slow: {
          run: async () => {
            await slow.promise;
            return 'mirror-b';
          },
        },
        use: {
          needs: ['fast', 'slow'],
          when: 'one-succeeded',
          run: (ctx) => {
            const seen = Object.keys(ctx.results);
            slow.open();
            return seen;
          },
        },
      },
    });
    const result = await new Engine({ logger: silentLogger }).run(flow);
    expect(result.steps.use).toMatchObject({ status: 'succeeded', output: ['fast'] });
    expect(result.status).toBe('succeeded');
  });

  it('none-failed runs after skipped needs (branching) and is skipped after a failure; all-failed only when every need failed', async () => {
    const flow = defineFlow({
      name: 'branches',
      steps: {
        bad: {
          run: () => {
            throw new Error('no');
          },
        },
        left: { needs: ['bad'], run: () => 'never' },
        ok: { run: () => 'ok' },
        join: { needs: ['ok', 'left'], when: 'none-failed', run: () => 'joined' },
        both: { needs: ['bad', 'left'], when: 'all-failed', run: () => 'all failed' },
        mixed: { needs: ['bad', 'ok'], when: 'all-failed', run: () => 'never' },
      },
    });
    const result = await new Engine({ logger: silentLogger }).run(flow);
    // left was skipped *because* bad failed: that counts as failed for none-failed and all-failed.
    expect(result.steps.join).toMatchObject({ status: 'skipped', skipReason: 'upstream-failed' });
    expect(result.steps.both).toMatchObject({ status: 'succeeded', output: 'all failed' });
    expect(result.steps.mixed).toMatchObject({ status: 'skipped', skipReason: 'trigger-rule' });
  });

  it('always runs when the run is cancelled (its needs cancelled), with a live signal; the run stays cancelled', async () => {
    const engine = new Engine({ logger: silentLogger });
    const started = gate();
    let teardownSignalAborted: boolean | undefined;
    const flow = defineFlow({
      name: 'with-teardown',
      steps: {
        work: {
          run: (ctx) =>
            new Promise((_, reject) => {
              started.open();
              ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason));
            }),
        },
        cleanup: { needs: ['work'], when: 'all-done', run: () => 'not on cancel' },
        teardown: {
          needs: ['work'],
          when: 'always',
          run: async (ctx) => {
            teardownSignalAborted = ctx.signal.aborted;
            return 'torn down';
          },
        },
      },
    });
    const running = engine.run(flow, undefined, { runId: 'teardown-run' });
    await started.promise;
    engine.cancel('teardown-run', 'stop');
    const result = await running;
    expect(result.status).toBe('cancelled');
    expect(result.steps.work?.status).toBe('cancelled');
    expect(result.steps.cleanup?.status).toBe('cancelled');
    expect(result.steps.teardown).toMatchObject({ status: 'succeeded', output: 'torn down' });
    expect(teardownSignalAborted).toBe(false);
  });

  it("a nested flow's always step still running when its step is cancelled: the run ends after it (a map item's too)", async () => {
    const cleanup = gate();
    const order: string[] = [];
    const inner = defineFlow({
      name: 'inner-with-cleanup',
      steps: {
        work: {
          run: (ctx) =>
            new Promise((_resolve, reject) => {
              order.push('work started');
              ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
            }),
        },
        tidy: {
          needs: ['work'],
          when: 'always',
          run: async () => {
            order.push('tidy started');
            await cleanup.promise;
            order.push('tidy ended');
            return 'tidied';
          },
        },
      },
    });
    const outer = defineFlow({
      name: 'outer-of-cleanup',
      steps: {
        sub: { task: inner },
        list: { run: () => [1] },
        each: { needs: ['list'], map: 'list', task: inner },
        after: { needs: ['sub'], when: 'always', run: () => void order.push('after') },
      },
    });
    const controller = new AbortController();
    const engine = new Engine({ logger: silentLogger });
    const running = engine.run(outer, undefined, { signal: controller.signal }).then((result) => {
      order.push('run ended');
      return result;
    });
    while (order.filter((entry) => entry === 'work started').length < 2) await new Promise((resolve) => setImmediate(resolve));
    controller.abort(new Error('stop'));
    // Both nested runs' tidy steps have started; the cancelled steps have ended, the run has not.
    for (let k = 0; k < 20; k++) await new Promise((resolve) => setImmediate(resolve));
    expect(order.filter((entry) => entry === 'tidy started')).toHaveLength(2);
    expect(order).not.toContain('run ended');
    cleanup.open();
    const result = await running;
    expect(order.slice(-3)).toEqual(['tidy ended', 'tidy ended', 'run ended']);
    expect(result.status).toBe('cancelled');
    expect(result.steps.sub?.status).toBe('cancelled');
    expect(result.steps.each?.items?.[0]?.status).toBe('cancelled');
    // The dependant of the cancelled step started when the step ended, not when its flow did.
    expect(order.indexOf('after')).toBeLessThan(order.indexOf('tidy ended'));
  });

  it('always runs for a run cancelled before it started (signal already aborted), and under runSync', async () => {
    const flow = defineFlow({
      name: 'pre-cancelled',
      steps: { a: { run: () => 1 }, z: { needs: ['a'], when: 'always', run: () => 'z' } },
    });
    const result = await new Engine({ logger: silentLogger }).run(flow, undefined, { signal: AbortSignal.abort('no') });
    expect(result.status).toBe('cancelled');
    expect(result.steps.z).toMatchObject({ status: 'succeeded', output: 'z' });
    const sync = new Engine({ logger: silentLogger }).runSync(flow, undefined);
    expect(sync.steps.z).toMatchObject({ status: 'succeeded', output: 'z' });
  });

  it('fail-fast skips pending none-failed / one-succeeded steps; always steps are not cancelled', async () => {
    const hold = gate();
    const flow = defineFlow({
      name: 'ff',
      steps: {
        bad: { run: () => Promise.reject(new Error('boom')) },
        slowA: {
          run: async () => {
            await hold.promise;
            return 'a';
          },
        },
        keep: {
          run: async () => {
            await hold.promise;
            return 'kept';
          },
          when: 'always',
        },
        after: { needs: ['slowA'], when: 'none-failed', run: () => 'never' },
        release: {
          needs: ['bad'],
          when: 'any-failed',
          run: () => {
            hold.open();
            return 1;
          },
        },
      },
    });
    const result = await new Engine({ logger: silentLogger, failFast: true }).run(flow);
    expect(result.steps.slowA?.status).toBe('cancelled');
    expect(result.steps.after?.status).toBe('skipped');
    expect(result.steps.keep).toMatchObject({ status: 'succeeded', output: 'kept' });
  });

  it('rules decided by needs are refused on a step without needs', () => {
    for (const when of ['any-failed', 'one-succeeded', 'all-failed'] as const) {
      expect(() => defineFlow({ name: 'f', steps: { a: { when, run: () => 1 } } })).toThrow(
        `when "${when}" needs at least one step in "needs"`,
      );
    }
    expect(() =>
      defineFlow({ name: 'f', steps: { a: { when: 'always', run: () => 1 }, b: { when: 'none-failed', run: () => 1 } } }),
    ).not.toThrow();
  });

  it('YAML/JSON: every rule name is accepted; a wrong one lists the valid ones, with a suggestion and the key path', () => {
    const flow = flowFromSpec(
      {
        name: 'y',
        steps: { a: { task: 't' }, b: { task: 't', needs: 'a', when: 'one-succeeded' }, c: { task: 't', needs: 'a', when: 'always' } },
      },
      'flows/y.yaml',
    );
    expect(flow.name).toBe('y');
    let error: unknown;
    try {
      flowFromSpec({ name: 'y', steps: { a: { task: 't' }, b: { task: 't', needs: 'a', when: 'none_failed' } } }, 'flows/y.yaml');
    } catch (e) {
      error = e;
    }
    expect(CascadenceError.isInstance(error, ErrorCode.INVALID_DEFINITION)).toBe(true);
    const e = error as CascadenceError;
    expect(e.message).toBe(
      'flows/y.yaml: step "b": "when" must be one of all-succeeded, all-done, any-failed, none-failed, one-succeeded, all-failed, always (got "none_failed") (did you mean "none-failed"?)',
    );
    expect(e.details.path).toEqual(['steps', 'b', 'when']);
  });
});
