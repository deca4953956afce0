import { CascadenceError, ErrorCode } from '../src/errors';
import { MAX_JSON_DEPTH, MAX_JSON_VALUES, toJsonSafe, type JsonSafeProblem } from '../src/json-safe';

describe('toJsonSafe', () => {
  it('gives what JSON.stringify gives for plain data', () => {
    const value = { a: 1, b: 'x', c: [1, undefined, () => 1], d: undefined, e: new Date(0), f: NaN, g: null, h: { i: true } };
    expect(JSON.stringify(toJsonSafe(value))).toBe(JSON.stringify(value));
  });

  it('replaces what JSON cannot hold with a marked value and reports where, never throwing', () => {
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const problems: JsonSafeProblem[] = [];
    const safe = toJsonSafe(
      {
        big: 10n,
        circular,
        bad: {
          toJSON: () => {
            throw new Error('no JSON for you');
          },
        },
        proxy,
      },
      problems,
    );
    expect(safe).toEqual({
      big: { $unserialisable: 'BigInt 10n' },
      circular: { name: 'loop', self: { $unserialisable: 'circular reference to an enclosing value' } },
      bad: { $unserialisable: 'toJSON threw: no JSON for you' },
      proxy: { $unserialisable: expect.stringMatching(/^cannot be read: .*revoked/) },
    });
    expect(problems.map((p) => p.path)).toEqual(['$.big', '$.circular.self', '$.bad', '$.proxy']);
  });

  it('cuts nesting deeper than MAX_JSON_DEPTH instead of overflowing the stack', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 60_000; i++) deep = { d: deep };
    const problems: JsonSafeProblem[] = [];
    const text = JSON.stringify(toJsonSafe(deep, problems));
    expect(problems).toHaveLength(1);
    expect(problems[0]?.reason).toBe(`nested deeper than ${MAX_JSON_DEPTH} levels`);
    expect(text.endsWith(`{"$unserialisable":"nested deeper than ${MAX_JSON_DEPTH} levels"}${'}'.repeat(MAX_JSON_DEPTH)}`)).toBe(true);
  });

  it('stops after MAX_JSON_VALUES values: a graph that shares its parts (2^60 paths here) is cut, not copied forever', () => {
    // Each level holds the level below twice: 61 objects, but a copy of 2^60 values. (A task that
    // returned its ctx made `task run` spin without end and ignore Ctrl-C.)
    let shared: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 60; i++) shared = { left: shared, right: shared };
    const problems: JsonSafeProblem[] = [];
    const text = JSON.stringify(toJsonSafe(shared, problems));
    expect(problems).toEqual([
      { path: expect.stringMatching(/^\$(\.left)+/), reason: `more than ${MAX_JSON_VALUES} values: the rest is left out` },
    ]);
    expect(text.length).toBeLessThan(40 * MAX_JSON_VALUES);
  });

  it('an inner copy made by a toJSON on the way (a RunResult makes one) spends the outer budget, and the outer copy reports the cut', () => {
    const pair = (half: unknown) => ({ left: half, right: half, toJSON: () => toJsonSafe({ left: half, right: half }) });
    let shared: unknown = 'leaf';
    for (let i = 0; i < 60; i++) shared = pair(shared);
    const problems: JsonSafeProblem[] = [];
    toJsonSafe({ output: shared }, problems);
    expect(problems).toEqual([{ path: '$', reason: `more than ${MAX_JSON_VALUES} values: the rest is left out` }]);
  });

  it('copies a value of exactly MAX_JSON_VALUES values whole', () => {
    const rows = Array.from({ length: MAX_JSON_VALUES - 1 }, (_, i) => i); // the array itself is one value
    const problems: JsonSafeProblem[] = [];
    const copy = toJsonSafe(rows, problems) as number[];
    expect(problems).toEqual([]);
    expect([copy.length, copy[0], copy[copy.length - 1]]).toEqual([rows.length, 0, MAX_JSON_VALUES - 2]);
  });

  it('keeps a "__proto__" key as data', () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}}');
    const safe = toJsonSafe(value) as Record<string, unknown>;
    expect(Object.getPrototypeOf(safe)).toBe(Object.prototype);
    expect(JSON.stringify(safe)).toBe('{"__proto__":{"polluted":true}}');
  });
});

describe('errors as JSON', () => {
  it('JSON.stringify of a CascadenceError gives name, message, code and details instead of {}', () => {
    const error = new CascadenceError(ErrorCode.UNKNOWN_TASK, 'unknown task "x"', { details: { task: 'x', big: 1n } });
    expect(JSON.parse(JSON.stringify({ error }))).toEqual({
      error: {
        name: 'CascadenceError',
        message: 'unknown task "x"',
        code: 'CASCADENCE_UNKNOWN_TASK',
        details: { task: 'x', big: { $unserialisable: 'BigInt 1n' } },
      },
    });
  });

  it('plain errors inside a value become { name, message }', () => {
    expect(toJsonSafe({ error: new TypeError('bad') })).toEqual({ error: { name: 'TypeError', message: 'bad' } });
  });
});

describe('JSON.stringify of a RunResult', () => {
  it('keeps a plain Error thrown by a step (not {}) and does not throw on a BigInt output', async () => {
    const { Engine } = await import('../src/engine');
    const { defineFlow } = await import('../src/flow');
    const { silentLogger } = await import('../src/logger');
    const engine = new Engine({ logger: silentLogger });
    const failed = await engine.run(
      defineFlow({
        name: 'f',
        steps: {
          boom: {
            run: () => {
              throw new TypeError('boom');
            },
          },
        },
      }),
    );
    const json = JSON.parse(JSON.stringify(failed));
    expect(json.error).toEqual({ name: 'TypeError', message: 'boom' });
    expect(json.steps.boom.error).toEqual({ name: 'TypeError', message: 'boom' });
    expect(json.status).toBe('failed');
    expect(Object.keys(failed)).not.toContain('toJSON');

    const big = await engine.run(defineFlow({ name: 'g', steps: { n: { run: () => 2n } } }));
    expect(JSON.parse(JSON.stringify(big)).output).toEqual({ n: { $unserialisable: 'BigInt 2n' } });
  });
});
