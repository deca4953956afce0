/**
 * The order names are listed in (tasks, flows, plugins, processors, schedules): the 'en' collation,
 * on every machine, whatever the process's default locale.
 *
 * `localeCompare` / `Intl.Collator` give that order, but the first comparison in a process sets up
 * ICU's collator, 14–24 ms on Node 22/24 — more than half of what a `task list` adds to Node's own
 * start (bench/README.md, issue 21). Names are almost always printable ASCII, where the collation is
 * simple: each character has one weight, compared over the whole string first (the primary level),
 * and only if those are all equal does case decide, lowercase first, at the first position where
 * the case differs (the tertiary level). That is done here from a table; anything else (non-ASCII,
 * control characters) goes to a real `Intl.Collator('en')`, created on first need.
 */

// Printable ASCII in its primary order under Intl.Collator('en') (the CLDR root collation): spaces
// and punctuation, symbols, digits, then letters. An upper-case letter weighs as its lower case.
// Derived once from Intl.Collator('en') (ICU 78, Node 20/22/24 alike); test/name-order tests it.
const PRIMARY_ORDER = ' _-,;:!?.\'"()[]{}@*/\\&#%`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz';

const PRIMARY = new Uint8Array(128);
for (let i = 0; i < PRIMARY_ORDER.length; i++) PRIMARY[PRIMARY_ORDER.charCodeAt(i)] = i + 1;
for (let code = 0x41; code <= 0x5a; code++) PRIMARY[code] = PRIMARY[code + 0x20] as number;

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

let collator: Intl.Collator | undefined;

/**
 * Orders two names as `new Intl.Collator('en').compare` does (same sign): negative when `a` comes
 * first, positive when `b` does, 0 when they are the same. For `Array.prototype.sort`.
 */
export function compareNames(a: string, b: string): number {
  if (a === b) return 0;
  if (!PRINTABLE_ASCII.test(a) || !PRINTABLE_ASCII.test(b)) return (collator ??= new Intl.Collator('en')).compare(a, b);
  const shorter = Math.min(a.length, b.length);
  let byCase = 0;
  for (let i = 0; i < shorter; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const px = PRIMARY[x] as number;
    const py = PRIMARY[y] as number;
    if (px !== py) return px < py ? -1 : 1;
    // The same letter in two cases: lowercase (the higher code) first, if nothing else decides.
    if (byCase === 0) byCase = x > y ? -1 : 1;
  }
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return byCase;
}
