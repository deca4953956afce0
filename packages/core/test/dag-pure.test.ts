/**
 * The dag entry reads no global at load beyond the language itself: it is evaluated here in a
 * bare VM context (no process, performance, timers, Buffer, crypto, SharedArrayBuffer), as
 * the built CommonJS file users' bundlers and Temporal's sandbox receive.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';

const built = path.join(__dirname, '..', 'dist', 'dag', 'index.cjs');

describe('@cascadence/core/dag is pure', () => {
  it('loads and runs a flow state machine in a context without Node globals', () => {
    const code = readFileSync(built, 'utf8');
    const required: string[] = [];
    const module = { exports: {} as Record<string, any> };
    const context = vm.createContext({
      module,
      exports: module.exports,
      require: (id: string) => {
        required.push(id);
        throw new Error(`dag required ${id}`);
      },
    });
    vm.runInContext(code, context, { filename: built });
    expect(required).toEqual([]);
    const dag = module.exports;
    // a -> b, a -> c (all-done), run it by hand: a fails, b is skipped, c runs.
    const state = new dag.RunState(dag.dagShape([[], [0], [0]], [0, 0, 1]), false);
    state.seed();
    const a = state.next(Infinity);
    state.start(a);
    state.fail(a, 'boom');
    state.release(a);
    const c = state.next(Infinity);
    expect(c).toBe(2);
    state.start(c);
    state.succeed(c, 'cleaned');
    expect(state.complete).toBe(true);
    expect(state.status.map((s: number) => dag.STEP_STATUS_NAMES[s])).toEqual(['failed', 'skipped', 'succeeded']);
    expect(state.outcome()).toEqual({ status: 'failed', error: 'boom' });
  });

  it('the check can fail: core main entry does need Node', () => {
    const code = readFileSync(path.join(__dirname, '..', 'dist', 'index.cjs'), 'utf8');
    const required: string[] = [];
    const module = { exports: {} };
    const context = vm.createContext({ module, exports: module.exports, require: (id: string) => (required.push(id), {}) });
    try {
      vm.runInContext(code, context);
    } catch {
      // missing globals also count as impure
      required.push('(a global)');
    }
    expect(required.length).toBeGreaterThan(0);
  });
});
