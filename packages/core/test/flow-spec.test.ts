import { Engine } from '../src/engine';
import { CascadenceError, ErrorCode } from '../src/errors';
import { flowFromSpec } from '../src/flow-spec';
import { silentLogger } from '../src/logger';
import { defineProcessor } from '../src/processor';
import { Registry } from '../src/registry';
import { defineTask } from '../src/task';

describe('flowFromSpec', () => {
  it('builds a runnable flow from plain data that names tasks and processors', async () => {
    const registry = new Registry()
      .add(defineTask({ name: 'greet', run: (_ctx, input: { who: string }) => `hello ${input.who}` }))
      .addProcessor(
        defineProcessor({
          name: 'upper',
          options: { text: { type: 'string', required: true } },
          run: (_c, o: { text: string }) => o.text.toUpperCase(),
        }),
      );
    const flow = flowFromSpec(
      {
        name: 'from-yaml',
        steps: {
          hi: { task: 'greet', with: { who: 'you' }, retry: { attempts: 2, delayMs: 1 } },
          loud: { uses: 'upper', with: { text: 'done' }, needs: 'hi' },
          tidy: { task: 'greet', with: { who: 'cleanup' }, needs: ['loud'], when: 'all-done' },
        },
      },
      'flows/from.yml',
    );
    const result = await new Engine({ resolver: registry, logger: silentLogger }).run(flow);
    expect(result.status).toBe('succeeded');
    expect(result.steps.hi?.output).toBe('hello you');
    expect(result.steps.loud?.output).toBe('DONE');
    expect(result.output).toEqual({ tidy: 'hello cleanup' });
  });

  it.each([
    [null, 'flows/x.yml: a flow must be a mapping with "name" and "steps"', []],
    [{ steps: {} }, 'flows/x.yml: "name" must be a non-empty string', ['name']],
    [{ name: 'x', steps: [] }, '"steps" must be a mapping', ['steps']],
    [{ name: 'x', stepz: {} }, 'flow has unknown key "stepz" (did you mean "steps"?)', ['stepz']],
    [
      { name: 'x', steps: { a: { uses: 'shell', neds: ['b'] } } },
      'step "a" has unknown key "neds" (did you mean "needs"?)',
      ['steps', 'a', 'neds'],
    ],
    [{ name: 'x', steps: { a: { with: {} } } }, 'step "a" needs "uses: <processor>" or "task: <name>"', ['steps', 'a']],
    [
      { name: 'x', steps: { a: { uses: 'shell', needs: [1] } } },
      '"needs" must be a step id or a list of step ids',
      ['steps', 'a', 'needs'],
    ],
    [
      { name: 'x', steps: { a: { uses: 'shell', retry: { attempts: 2, delay: 5 } } } },
      'retry has unknown key "delay"',
      ['steps', 'a', 'retry', 'delay'],
    ],
    [{ name: 'x', steps: { a: { uses: 'shell', timeoutMs: '5s' } } }, '"timeoutMs" must be a number', ['steps', 'a', 'timeoutMs']],
  ])('rejects %j', (data, message, path) => {
    try {
      flowFromSpec(data, 'flows/x.yml');
      throw new Error('expected an error');
    } catch (error) {
      expect(CascadenceError.isInstance(error, ErrorCode.INVALID_DEFINITION)).toBe(true);
      expect((error as Error).message).toContain(message);
      expect((error as CascadenceError).details.path).toEqual(path);
    }
  });

  it('reports graph errors with the file and the step path', () => {
    try {
      flowFromSpec({ name: 'x', steps: { a: { uses: 's', needs: ['b'] }, b: { uses: 's', needs: ['a'] } } }, 'flows/loop.yml');
      throw new Error('expected an error');
    } catch (error) {
      expect((error as CascadenceError).code).toBe(ErrorCode.CYCLE);
      expect((error as Error).message).toBe('flows/loop.yml: flow "x" has a cycle: a -> b -> a');
    }
    try {
      flowFromSpec({ name: 'x', steps: { a: { uses: 's', needs: ['nope'] } } }, 'flows/u.yml');
    } catch (error) {
      expect((error as CascadenceError).details.path).toEqual(['steps', 'a']);
    }
  });

  it('refuses a step named __proto__ instead of silently dropping it', () => {
    // JSON.parse (and YAML) give an own property named __proto__; an object literal would not.
    const data = JSON.parse('{"name":"proto","steps":{"__proto__":{"uses":"shell"},"other":{"uses":"shell"}}}');
    expect(() => flowFromSpec(data, 'flows/proto.json')).toThrow('flows/proto.json: step id "__proto__" is reserved');
  });
});
