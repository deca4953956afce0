/** `map` steps run on the local engine only for now: the Temporal backend refuses them up front (no server needed). */
import { CascadenceError, defineFlow } from '@cascadence/core';
import { TemporalErrorCode, compileGraph } from '../src';

describe('map steps on Temporal', () => {
  it('are refused before anything is sent, with a coded error naming the step', () => {
    const mapped = defineFlow({ name: 'mapped', steps: { each: { map: () => [1], run: (_ctx, n: number) => n } } });
    let error: unknown;
    try {
      compileGraph(mapped, undefined);
    } catch (e) {
      error = e;
    }
    expect(CascadenceError.isInstance(error, TemporalErrorCode.UNSUPPORTED)).toBe(true);
    expect((error as Error).message).toBe('step "each" is a "map" step, which runs on the local engine only for now (not yet on Temporal)');
  });
});
