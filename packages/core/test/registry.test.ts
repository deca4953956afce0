import { LocalBackend } from '../src/backend';
import { Engine } from '../src/engine';
import { CascadenceError, ErrorCode } from '../src/errors';
import { defineFlow } from '../src/flow';
import { silentLogger } from '../src/logger';
import { defineProcessor } from '../src/processor';
import { Registry } from '../src/registry';
import { defineTask } from '../src/task';

const hello = defineTask({ name: 'hello', description: 'says hello', run: () => 'hi' });
const report = defineFlow({ name: 'report', steps: { a: { task: 'hello' } } });

describe('Registry', () => {
  it('lists tasks and flows by name with kind, state, description and source', () => {
    const registry = new Registry().add(hello, 'builtin').add(report, 'flows/report.yml');
    expect(registry.list().map(({ runnable: _r, ...rest }) => rest)).toEqual([
      { name: 'hello', kind: 'task', enabled: true, description: 'says hello', source: 'builtin' },
      { name: 'report', kind: 'flow', enabled: true, description: undefined, source: 'flows/report.yml' },
    ]);
  });

  it('suggests the closest name for an unknown task', () => {
    const registry = new Registry().add(hello).add(report);
    try {
      registry.get('helo');
      throw new Error('expected a throw');
    } catch (error) {
      expect(CascadenceError.isInstance(error, ErrorCode.UNKNOWN_TASK)).toBe(true);
      expect((error as Error).message).toBe('unknown task "helo" (did you mean "hello"?)');
      expect((error as CascadenceError).suggestions[0]).toBe('hello');
    }
  });

  it('refuses two providers of the same name, naming both', () => {
    const registry = new Registry().add(hello, 'cascadence-plugin-a');
    const other = defineTask({ name: 'hello', run: () => 'other' });
    expect(() => registry.add(other, 'cascadence-plugin-b')).toThrow(
      'task "hello" is provided twice: by cascadence-plugin-a and by cascadence-plugin-b',
    );
    registry.add(hello, 'cascadence-plugin-a'); // the same object again is fine
  });

  it('disabled tasks refuse to run, through the registry and through an engine using it', async () => {
    const registry = new Registry({ disabled: ['hello'] }).add(hello);
    expect(registry.isEnabled('hello')).toBe(false);
    expect(() => registry.getRunnable('hello')).toThrow('task "hello" is disabled');
    const engine = new Engine({ resolver: registry, logger: silentLogger });
    await expect(engine.run(hello)).rejects.toMatchObject({ code: ErrorCode.TASK_DISABLED });
    registry.enable('hello');
    expect((await engine.run(hello)).output).toBe('hi');
    expect(() => registry.disable('nope')).toThrow('unknown task "nope"');
  });

  it('resolves task names and processors used in flows, re-resolving after changes', async () => {
    const registry = new Registry().add(hello);
    const echo = defineProcessor({
      name: 'echo',
      options: { text: { type: 'string', required: true }, times: { type: 'integer', default: 1 } },
      run: (_ctx, options: { text: string; times: number }) => options.text.repeat(options.times),
    });
    registry.addProcessor(echo, 'cascadence-plugin-echo');
    const flow = defineFlow({ name: 'uses', steps: { greet: { task: 'hello' }, say: { uses: 'echo', with: { text: 'ab', times: 2 } } } });
    const engine = new Engine({ resolver: registry, logger: silentLogger });
    const result = await engine.run(flow);
    expect(result.output).toEqual({ greet: 'hi', say: 'abab' });

    const bad = defineFlow({ name: 'bad-options', steps: { say: { uses: 'echo', with: { text: 3, colour: 'red' } } } });
    await expect(engine.run(bad)).rejects.toThrow(
      'flow "bad-options", step "say": unknown option "colour"; accepted: text, times; option "text" must be a string (got number 3)',
    );
    const picky = defineProcessor({
      name: 'picky',
      options: { a: { type: 'string' }, b: { type: 'string' } },
      validate: (options: { a?: string; b?: string }) => {
        if ((options.a === undefined) === (options.b === undefined)) throw new Error('give exactly one of "a" and "b"');
      },
      run: () => 'ran',
    });
    registry.addProcessor(picky);
    let ran = false;
    const both = defineFlow({
      name: 'both',
      steps: {
        first: {
          run: () => {
            ran = true;
          },
        },
        p: { uses: 'picky', with: { a: 'x', b: 'y' }, needs: ['first'] },
      },
    });
    await expect(engine.run(both)).rejects.toMatchObject({
      code: ErrorCode.INVALID_OPTIONS,
      message: 'flow "both", step "p": give exactly one of "a" and "b"',
    });
    expect(ran).toBe(false);
    const unknown = defineFlow({ name: 'unknown-proc', steps: { say: { uses: 'ecko' } } });
    await expect(engine.run(unknown)).rejects.toThrow('flow "unknown-proc", step "say": unknown processor "ecko" (did you mean "echo"?)');
  });

  it('raises the load error of a broken provider only when its name is used', () => {
    const registry = new Registry();
    const loadError = new CascadenceError(ErrorCode.PLUGIN_LOAD, 'plugin cascadence-plugin-x failed to load');
    registry.markUnavailable('processor', 'x-proc', loadError);
    expect(() => registry.resolveProcessor('x-proc')).toThrow(loadError);
  });

  it('holds backends by name, local included', async () => {
    const registry = new Registry().addBackend(new LocalBackend(new Engine({ logger: silentLogger })), 'builtin');
    const result = await registry.getBackend('local').run(hello);
    expect(result.output).toBe('hi');
    expect(() => registry.getBackend('temporl')).toThrow('unknown backend "temporl"');
  });
});
