import fc from 'fast-check';
import { compareNames } from '../src/name-order';

// compareNames must order names exactly as the 'en' collation does (the order `task list` and the
// other listings had through localeCompare), without setting up ICU for printable ASCII.
const en = new Intl.Collator('en');
const sign = (n: number): number => (n < 0 ? -1 : n > 0 ? 1 : 0);
const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 12 });
// Few distinct characters, so that long common prefixes and case-only differences are frequent.
const nearby = fc.string({ unit: fc.constantFrom('a', 'A', 'b', 'B', '-', '_', ' ', '1', '.', 'z', 'Z'), maxLength: 8 });
const mixed = fc.string({
  unit: fc.oneof(
    fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    fc.constantFrom('é', 'É', 'ß', 'æ', 'ı', 'ﬁ', '\u0301', '\u00a0', '\t', '\n', '\x00', '\x7f', 'ä', 'Å', '中', '😀', '\ud800'),
  ),
  maxLength: 10,
});

describe('compareNames', () => {
  it('agrees with Intl.Collator("en") on every pair of printable ASCII characters', () => {
    const chars = Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i));
    for (const a of chars) for (const b of chars) expect([a, b, sign(compareNames(a, b))]).toEqual([a, b, sign(en.compare(a, b))]);
  });

  it.each([
    ['printable ASCII', printable],
    ['nearby ASCII (prefixes, case-only differences)', nearby],
    ['strings mixing in non-ASCII and control characters', mixed],
  ])('agrees with Intl.Collator("en") in sign: %s', (_name, strings) => {
    fc.assert(
      fc.property(strings, strings, (a, b) => {
        expect(sign(compareNames(a, b))).toBe(sign(en.compare(a, b)));
      }),
      { numRuns: 20_000 },
    );
  });

  it('sorts a list as localeCompare under "en" does', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(printable, nearby, mixed), { maxLength: 30 }), (names) => {
        expect([...names].sort(compareNames)).toEqual([...names].sort(en.compare));
      }),
    );
  });

  it.each([
    ['a', 'b', -1],
    ['a', 'A', -1],
    ['A', 'a', 1],
    ['A', 'b', -1],
    ['a', 'a', 0],
    ['', 'a', -1],
    ['task-10', 'task-9', -1],
    ['task-1', 'task_1', 1],
    ['task', 'task-1', -1],
    ['Task', 'task-1', -1],
    ['aB', 'Ab', -1],
    ['ab', 'aB', -1],
    ['a b', 'a-b', -1],
    ['a.b', 'a-b', 1],
    ['z', '~', 1],
    ['9', 'a', -1],
    ['$', '0', -1],
    ['report', 'Report', -1],
    ['é', 'e', 1],
    ['e', 'é', -1],
    ['éa', 'eb', -1],
  ])('compareNames(%j, %j) has the sign %d', (a, b, expected) => {
    expect(sign(compareNames(a, b))).toBe(expected);
    expect(sign(en.compare(a, b))).toBe(expected);
  });
});
