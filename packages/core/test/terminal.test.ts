import { sanitizeForTerminal, sanitizeLinesForTerminal } from '../src/terminal';

describe('sanitizeForTerminal', () => {
  it('escapes every control, DEL, C1 and bidi character visibly and leaves the rest exactly', () => {
    expect(sanitizeForTerminal('clear\x1b[2J\x1b]0;pwned\x07title')).toBe('clear\\e[2J\\e]0;pwned\\x07title');
    expect(sanitizeForTerminal('row\nfake  task  enabled')).toBe('row\\nfake  task  enabled');
    expect(sanitizeForTerminal('a\rb\tc\x00d\x7fe\x9bf')).toBe('a\\rb\\tc\\x00d\\x7fe\\x9bf');
    expect(sanitizeForTerminal('evil\u202etxt.exe\u2028x')).toBe('evil\\u202etxt.exe\\u2028x');
    expect(sanitizeForTerminal('ünïcødé ✓ 日本 C:\\path')).toBe('ünïcødé ✓ 日本 C:\\path');
  });

  it('converts non-strings and never throws, even for a value that cannot be converted', () => {
    expect(sanitizeForTerminal(42)).toBe('42');
    expect(sanitizeForTerminal(Object.create(null))).toBe('[unprintable]');
  });

  it('the multi-line variant keeps newlines and tabs only', () => {
    expect(sanitizeLinesForTerminal('a\n\tb\x1b[31m\r')).toBe('a\n\tb\\e[31m\\r');
  });
});
