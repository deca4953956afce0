import { isLoopback, secretsEqual } from '../src';

describe('secretsEqual (constant-time token check)', () => {
  test('equal secrets match; any difference, prefix, extension or absence does not', () => {
    expect(secretsEqual('abcdef0123456789', 'abcdef0123456789')).toBe(true);
    for (const other of ['abcdef012345678', 'abcdef0123456789x', 'Abcdef0123456789', '', undefined]) {
      expect(secretsEqual('abcdef0123456789', other)).toBe(false);
    }
  });
});

describe('isLoopback', () => {
  test.each(['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST'])('%s is loopback', (host) =>
    expect(isLoopback(host)).toBe(true),
  );
  test.each(['0.0.0.0', '::', '192.168.1.10', 'example.com', '128.0.0.1', '127.0.0.1.evil.com'])('%s is not', (host) =>
    expect(isLoopback(host)).toBe(false),
  );
});
