import { defineFlow, Engine, flow, silentLogger, type FlowStep } from '../src/index';
import { flowFromSpec } from '../src/flow-spec';

const handled = (statusFrom?: 'steps' | 'leaves', extra: Record<string, FlowStep> = {}) =>
  defineFlow({
    name: `handled-${statusFrom ?? 'default'}`,
    ...(statusFrom === undefined ? {} : { statusFrom }),
    steps: {
      work: {
        run: () => {
          throw new Error('work failed');
        },
      },
      alert: { needs: ['work'], when: 'any-failed', run: () => 'paged' },
      cleanup: { needs: ['work'], when: 'all-done', run: () => 'cleaned' },
      ...extra,
    },
  });

describe('run status when failures were handled (flow option statusFrom)', () => {
  it('by default a failed step fails the run, even when a cleanup leaf and an alert ran', async () => {
    const result = await new Engine({ logger: silentLogger }).run(handled());
    expect(result.status).toBe('failed');
    expect(result.error?.message).toBe('work failed');
  });

  it("statusFrom 'leaves': succeeded when every final step succeeded or was skipped on purpose; the failed step stays failed", async () => {
    const engine = new Engine({ logger: silentLogger });
    const result = await engine.run(handled('leaves', { skipped: { needs: ['cleanup'], run: (ctx) => ctx.skip('nothing to do') } }));
    expect(result.status).toBe('succeeded');
    expect(result.error).toBeUndefined();
    expect(result.steps.work?.status).toBe('failed');
    expect(engine.runSync(handled('leaves')).status).toBe('succeeded');
  });

  it("statusFrom 'leaves': a final step skipped because of the failure (not handled) fails the run with the first failed step's error", async () => {
    const result = await new Engine({ logger: silentLogger }).run(handled('leaves', { next: { needs: ['work'], run: () => 'never' } }));
    expect(result.steps.next).toMatchObject({ status: 'skipped', skipReason: 'upstream-failed' });
    expect(result.status).toBe('failed');
    expect(result.error?.message).toBe('work failed');
  });

  it('is checked in code, in the builder, and in YAML/JSON', () => {
    expect(() => defineFlow({ name: 'x', statusFrom: 'leafs' as 'leaves', steps: { a: { run: () => 1 } } })).toThrow(
      'flow "x": "statusFrom" must be "steps" or "leaves" (got "leafs")',
    );
    expect(
      flow('b', { statusFrom: 'leaves' })
        .step('a', { run: () => 1 })
        .build().statusFrom,
    ).toBe('leaves');
    expect(flowFromSpec({ name: 'y', statusFrom: 'leaves', steps: { a: { task: 't' } } }).statusFrom).toBe('leaves');
    expect(() => flowFromSpec({ name: 'y', statusFrom: 'all', steps: { a: { task: 't' } } }, 'y.yaml')).toThrow(
      'y.yaml: "statusFrom" must be "steps" or "leaves" (got "all")',
    );
  });
});
