import { slugify } from '../src';

describe('slugify()', () => {
  it.each([
    ['Hello, World!', 'hello-world'],
    ['  Hello,   Wörld!  Ça va? ', 'hello-world-ca-va'],
    ["Don't stop believin’", 'dont-stop-believin'],
    ['Straße & Smørrebrød in Łódź', 'strasse-smorrebrod-in-lodz'],
    ['Æsir’s ﬁnest ① offer', 'aesirs-finest-1-offer'],
    ['Привет, мир', 'привет-мир'],
    ['日本語のタイトル 2024', '日本語のタイトル-2024'],
    ['release v1.2.3 (final)', 'release-v1-2-3-final'],
    ['---', ''],
  ])('%j → %j', (text, slug) => {
    expect(slugify(text)).toBe(slug);
  });

  it('ascii: true drops letters of other scripts', () => {
    expect(slugify('Привет, world', { ascii: true })).toBe('world');
    expect(slugify('Crème brûlée', { ascii: true })).toBe('creme-brulee');
  });

  it('separator and lowercase', () => {
    expect(slugify('Hello Big World', { separator: '_' })).toBe('hello_big_world');
    expect(slugify('Hello Big World', { separator: '', lowercase: false })).toBe('HelloBigWorld');
  });

  it('maxLength cuts at a word boundary when there is one, never leaving a separator at the end', () => {
    const text = 'Hello world and everyone in it';
    expect(slugify(text, { maxLength: 11 })).toBe('hello-world');
    expect(slugify(text, { maxLength: 14 })).toBe('hello-world');
    expect(slugify(text, { maxLength: 15 })).toBe('hello-world-and');
    expect(slugify(text, { maxLength: 6 })).toBe('hello');
    expect(slugify('Supercalifragilistic', { maxLength: 5 })).toBe('super');
    expect(slugify(text, { maxLength: 16, separator: '--' })).toBe('hello--world');
  });
});
