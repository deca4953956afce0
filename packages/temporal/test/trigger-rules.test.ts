/**
 * The trigger rules added for issue 19 (none-failed, one-succeeded, all-failed, always; any-failed
 * starting at the first failure) on a real dev server, beside the local engine: the dag state
 * machine decides, so both backends must give the same RunResult.
 */
import { Registry, defineFlow, defineProcessor, type RunResult, type Runnable } from '@cascadence/core';
import { comparable, describeTemporal, useBothBackends } from './helpers';

/** Steps of the current run wait on these; the test (same process as the worker) opens them. */
const gates = new Map<string, () => void>();
function waitGate(key: string, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    gates.set(key, resolve);
    signal?.addEventListener('abort', () => reject(signal.reason));
  });
}
function openGate(key: string): void {
  gates.get(key)?.();
}

const fail = (message: string) => () => {
  throw new Error(message);
};

const table = defineFlow({
  name: 'rule-table',
  steps: {
    bad: { run: fail('bad failed') },
    good: { run: () => 'good' },
    downstream: { needs: ['bad'], run: () => 'never' },
    noneFailedOk: { needs: ['good'], when: 'none-failed', run: () => 'none failed' },
    noneFailedBad: { needs: ['good', 'downstream'], when: 'none-failed', run: () => 'never' },
    oneSucceeded: { needs: ['bad', 'good'], when: 'one-succeeded', run: () => 'one succeeded' },
    noneSucceeded: { needs: ['bad', 'downstream'], when: 'one-succeeded', run: () => 'never' },
    allFailed: { needs: ['bad', 'downstream'], when: 'all-failed', run: () => 'all failed' },
    notAllFailed: { needs: ['bad', 'good'], when: 'all-failed', run: () => 'never' },
    always: { needs: ['noneFailedBad'], when: 'always', run: () => 'always' },
  },
});

// any-failed starts while its slow sibling still runs: the alert itself lets the slow step end.
const alerting = defineFlow({
  name: 'alert-early',
  steps: {
    bad: { run: fail('boom') },
    slow: {
      run: async (ctx) => {
        await waitGate(`${ctx.runId}/slow`, ctx.signal);
        return 'slow done';
      },
    },
    alert: {
      needs: ['bad', 'slow'],
      when: 'any-failed',
      run: (ctx) => {
        openGate(`${ctx.runId}/slow`);
        return 'paged';
      },
    },
  },
});

// A cancelled run still runs its `always` teardown, after cancelling what ran.
const withTeardown = defineFlow({
  name: 'with-teardown',
  steps: {
    work: {
      run: async (ctx) => {
        openGate(`${ctx.runId}/started`);
        await waitGate(`${ctx.runId}/work`, ctx.signal);
        return 'never';
      },
    },
    cleanup: { needs: ['work'], when: 'all-done', run: () => 'not on cancel' },
    teardown: { needs: ['work'], when: 'always', run: () => 'torn down' },
  },
});

// A nested flow whose always step is still running when its step (the whole run) is cancelled.
const tidied: string[] = [];
const tidyInner = defineFlow({
  name: 'tidy-inner',
  steps: {
    work: {
      run: async (ctx) => {
        openGate(`${ctx.runId}/started`);
        await waitGate(`${ctx.runId}/work`, ctx.signal);
      },
    },
    tidy: {
      needs: ['work'],
      when: 'always',
      run: async (ctx) => {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        tidied.push(ctx.runId);
        return 'tidied';
      },
    },
  },
});
const tidyOuter = defineFlow({ name: 'tidy-outer', steps: { sub: { task: tidyInner } } });

// ctx.skip on the worker: the activity reports the skip, the workflow's RunState records it.
const skipper = defineProcessor<{ go: boolean }, string>({
  name: 'skipper',
  options: { go: { type: 'boolean', required: true } },
  run: (ctx, options) => (options.go ? 'went' : ctx.skip('told not to go')),
});
const branching = defineFlow({
  name: 'skip-branching',
  steps: {
    route: { run: () => 'small' },
    small: { needs: ['route'], run: (ctx) => (ctx.results.route === 'small' ? 'small path' : ctx.skip('not small')) },
    large: {
      needs: ['route'],
      retry: { attempts: 3, delayMs: 10 },
      run: async (ctx) => (ctx.results.route === 'large' ? 'large path' : ctx.skip('not large')),
    },
    afterLarge: { needs: ['large'], run: () => 'never' },
    viaProcessor: { needs: ['route'], uses: 'skipper', with: { go: false } },
    join: { needs: ['small', 'large', 'viaProcessor'], when: 'none-failed', run: (ctx) => Object.keys(ctx.results).sort() },
  },
});

// statusFrom 'leaves': handled failures (an alert and a cleanup as the final steps) do not fail the run.
const handledInner = defineFlow({
  name: 'handled-inner',
  statusFrom: 'leaves',
  steps: {
    work: { run: fail('work failed') },
    alert: { needs: ['work'], when: 'any-failed', run: () => 'paged' },
    cleanup: { needs: ['work'], when: 'all-done', run: () => 'cleaned' },
  },
});
const handledOuter = defineFlow({
  name: 'handled-outer',
  steps: { inner: { task: handledInner }, after: { needs: ['inner'], run: (ctx) => ctx.results.inner } },
});
const unhandled = defineFlow({
  name: 'unhandled',
  statusFrom: 'leaves',
  steps: { work: { run: fail('work failed') }, next: { needs: ['work'], run: () => 'never' } },
});

const registry = new Registry().addProcessor(skipper);
for (const flow of [table, alerting, withTeardown, branching, handledInner, handledOuter, unhandled, tidyInner, tidyOuter])
  registry.add(flow);

describeTemporal('trigger rules on Temporal match the local engine', () => {
  const env = useBothBackends('rules', registry);
  const { both, engine } = env;

  it('none-failed, one-succeeded, all-failed and always over failed, skipped and succeeded needs', async () => {
    const { remote } = await both(table);
    expect(remote.steps).toMatchObject({
      noneFailedOk: { status: 'succeeded' },
      noneFailedBad: { status: 'skipped', skipReason: 'upstream-failed' },
      oneSucceeded: { status: 'succeeded' },
      noneSucceeded: { status: 'skipped', skipReason: 'upstream-failed' },
      allFailed: { status: 'succeeded', output: 'all failed' },
      notAllFailed: { status: 'skipped', skipReason: 'trigger-rule' },
      always: { status: 'succeeded', output: 'always' },
    });
  });

  it('any-failed starts at the first failure, while a sibling need is still running', async () => {
    // Were the alert to wait for every need, slow would never end and the run would hang.
    const { remote } = await both(alerting);
    expect(remote.steps.alert).toMatchObject({ status: 'succeeded', output: 'paged' });
    expect(remote.steps.slow).toMatchObject({ status: 'succeeded', output: 'slow done' });
  });

  it('ctx.skip (in a step and in a processor) ends the step skipped with its reason; dependants follow their rules', async () => {
    const { remote } = await both(branching);
    expect(remote.status).toBe('succeeded');
    expect(remote.steps).toMatchObject({
      large: { status: 'skipped', skipReason: 'self', skipMessage: 'not large', attempts: 1 },
      viaProcessor: { status: 'skipped', skipReason: 'self', skipMessage: 'told not to go' },
      afterLarge: { status: 'skipped', skipReason: 'trigger-rule' },
      join: { status: 'succeeded', output: ['small'] },
    });
  });

  it("statusFrom 'leaves' (also for a nested flow): handled failures leave the run succeeded; unhandled ones fail it", async () => {
    const handled = await both(handledOuter);
    expect(handled.remote.status).toBe('succeeded');
    expect(handled.remote.steps.after?.output).toEqual({ alert: 'paged', cleanup: 'cleaned' });
    const failed = await both(unhandled);
    expect(failed.remote.status).toBe('failed');
    expect(failed.remote.error?.message).toBe('work failed');
  });

  /**
   * Runs `flow` locally, then on Temporal, each cancelled as soon as its step opens the
   * `<runId>/started` gate; `check` sees each result as soon as its run ended. Same RunResult.
   */
  async function bothCancelledOnStart(flow: Runnable, name: string, check: (result: RunResult) => void = () => {}): Promise<RunResult> {
    const results: RunResult[] = [];
    for (const which of ['local', 'temporal'] as const) {
      const controller = new AbortController();
      const runId = `${name}-${which}-${Date.now()}`;
      gates.set(`${runId}/started`, () => controller.abort(new Error('stop')));
      const options = { runId, signal: controller.signal };
      const result = which === 'local' ? await engine.run(flow, undefined, options) : await env.backend.run(flow, undefined, options);
      check(result);
      results.push(result);
    }
    const [local, remote] = results as [RunResult, RunResult];
    expect(comparable(remote)).toEqual(comparable(local));
    return remote;
  }

  it('a cancelled run still runs its always step (and the run stays cancelled)', async () => {
    const remote = await bothCancelledOnStart(withTeardown, 'teardown');
    expect(remote.status).toBe('cancelled');
    expect(remote.steps).toMatchObject({
      work: { status: 'cancelled' },
      cleanup: { status: 'cancelled' },
      teardown: { status: 'succeeded', output: 'torn down' },
    });
  });

  it('a cancelled run ends after the always steps of its nested flows have ended', async () => {
    // Each run's result came after its nested always step ended (before: while it still ran).
    const remote = await bothCancelledOnStart(tidyOuter, 'tidy', (result) => expect(tidied).toContain(result.runId));
    expect(remote.status).toBe('cancelled');
    expect(remote.steps.sub?.status).toBe('cancelled');
  });
});
