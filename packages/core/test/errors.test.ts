import { CascadenceError, ErrorCode, NonErrorThrownError, toError } from '../src/errors';

describe('CascadenceError', () => {
  it('carries a stable code, suggestions and details', () => {
    const error = new CascadenceError(ErrorCode.UNKNOWN_TASK, 'unknown task "x"', { suggestions: ['y'], details: { task: 'x' } });
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('CASCADENCE_UNKNOWN_TASK');
    expect(error.suggestions).toEqual(['y']);
    expect(error.details).toEqual({ task: 'x' });
  });

  it('isInstance works across duplicate copies of the package (a Symbol.for brand, not instanceof)', () => {
    // Simulate a second copy: an error object branded by another module instance.
    const foreign = Object.assign(new Error('from another copy'), { code: 'CASCADENCE_CYCLE' });
    expect(CascadenceError.isInstance(foreign)).toBe(false);
    Object.defineProperty(foreign, Symbol.for('cascadence.error'), { value: true });
    expect(CascadenceError.isInstance(foreign)).toBe(true);
    expect(CascadenceError.isInstance(foreign, ErrorCode.CYCLE)).toBe(true);
    expect(CascadenceError.isInstance(foreign, ErrorCode.TIMEOUT)).toBe(false);
    expect(CascadenceError.isInstance(null)).toBe(false);
    expect(CascadenceError.isInstance('CASCADENCE_CYCLE')).toBe(false);
  });

  it('isInstance recognises errors created by the CommonJS build from the ESM test import', () => {
    jest.isolateModules(() => {
      const copy = require('../src/errors') as typeof import('../src/errors');
      expect(copy.CascadenceError).not.toBe(CascadenceError);
      const error = new copy.CascadenceError(ErrorCode.CYCLE, 'x');
      expect(error instanceof CascadenceError).toBe(false);
      expect(CascadenceError.isInstance(error, ErrorCode.CYCLE)).toBe(true);
    });
  });

  it('toError keeps Errors and wraps everything else without losing the value', () => {
    const e = new Error('x');
    expect(toError(e)).toBe(e);
    for (const value of ['text', 42, null, undefined, { a: 1 }, Symbol.for('s')]) {
      const wrapped = toError(value);
      expect(wrapped).toBeInstanceOf(NonErrorThrownError);
      expect((wrapped as NonErrorThrownError).value).toBe(value);
    }
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(toError(circular).message).toContain('[object Object]');
  });
  it('never throws on values that throw when inspected (revoked Proxy, hostile traps)', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('get');
        },
        getPrototypeOf() {
          throw new Error('proto');
        },
        ownKeys() {
          throw new Error('keys');
        },
      },
    );
    for (const value of [proxy, hostile]) {
      expect(CascadenceError.isInstance(value)).toBe(false);
      const wrapped = toError(value) as NonErrorThrownError;
      expect(wrapped).toBeInstanceOf(NonErrorThrownError);
      expect(wrapped.value).toBe(value);
      expect(typeof wrapped.message).toBe('string');
    }
  });
});
