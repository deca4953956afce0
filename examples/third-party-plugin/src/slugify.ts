export interface SlugifyOptions {
  /** Put between words. Default "-". */
  separator?: string;
  /** Lower-case the result. Default true. */
  lowercase?: boolean;
  /** Keep only a-z and 0-9 (after removing accents); letters of other scripts are dropped. Default false. */
  ascii?: boolean;
  /** Cut to at most this many characters, at a word boundary when there is one. */
  maxLength?: number;
}

/** Latin letters that do not decompose into a base letter plus accents. */
const SPECIAL_LETTERS: Record<string, string> = {
  ß: 'ss', ẞ: 'SS', æ: 'ae', Æ: 'AE', œ: 'oe', Œ: 'OE', ø: 'o', Ø: 'O', ł: 'l', Ł: 'L',
  đ: 'd', Đ: 'D', ð: 'd', Ð: 'D', þ: 'th', Þ: 'TH', ı: 'i',
};
const SPECIAL_PATTERN = new RegExp(`[${Object.keys(SPECIAL_LETTERS).join('')}]`, 'g');

/**
 * Turns text into a URL slug: "Hello, Wörld! Ça va?" → "hello-world-ca-va". Accents are removed,
 * apostrophes vanish inside words ("don't" → "dont"), every other run of characters that are
 * not letters or digits becomes one separator. Returns "" when nothing is left.
 */
export function slugify(text: string, options: SlugifyOptions = {}): string {
  const separator = options.separator ?? '-';
  let s = text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(SPECIAL_PATTERN, (ch) => SPECIAL_LETTERS[ch] ?? ch)
    .replace(/(?<=[\p{L}\p{N}])['’](?=[\p{L}\p{N}])/gu, '');
  if (options.lowercase ?? true) s = s.toLowerCase();
  const words = s.split(options.ascii ? /[^A-Za-z0-9]+/ : /[^\p{L}\p{N}]+/u).filter((w) => w !== '');
  let slug = words.join(separator);
  const max = options.maxLength;
  if (max !== undefined && slug.length > max) {
    const cut = slug.slice(0, max);
    const atBoundary = separator !== '' && slug.startsWith(separator, max);
    const lastSeparator = separator === '' ? -1 : cut.lastIndexOf(separator);
    slug = atBoundary || lastSeparator <= 0 ? cut : cut.slice(0, lastSeparator);
    while (separator !== '' && slug.endsWith(separator)) slug = slug.slice(0, -separator.length);
  }
  return slug;
}
