/**
 * Making untrusted text safe to print on a terminal. Flow descriptions, task and schedule names,
 * remote error bodies and plugin messages can hold escape sequences that clear the screen, set the
 * window title or move the cursor, or a newline that forges an extra line of output. These helpers
 * replace every such character with a visible escape; everything else is left exactly as it was.
 * Pure and dependency-free; never use them on JSON output, which must stay exact.
 */

// C0 controls, DEL, C1 controls, and the Unicode format characters that reorder or hide text
// (bidi embeddings/overrides/isolates, line/paragraph separators, zero-width joiners aside).
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\ufeff]/g;
const UNSAFE_KEEP_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\ufeff]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\u001b': '\\e' };

function escapeChar(ch: string): string {
  const named = NAMED[ch];
  if (named !== undefined) return named;
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * One line of untrusted text, safe for a terminal: every control character (newline and tab
 * included), DEL, C1 control and bidi/line-separator character becomes a visible escape
 * (`\n`, `\t`, `\e`, `\x07`, `\u202e` ...). Backslashes are left as they are. Non-strings are
 * converted with `String()` first (a value that cannot be converted becomes `[unprintable]`).
 */
export function sanitizeForTerminal(text: unknown): string {
  return toText(text).replace(UNSAFE, escapeChar);
}

/**
 * Like `sanitizeForTerminal`, but keeps newlines and tabs: for multi-line text whose line
 * structure is the program's own (a rendered report), as a second line of defence.
 */
export function sanitizeLinesForTerminal(text: unknown): string {
  return toText(text).replace(UNSAFE_KEEP_LINES, escapeChar);
}

function toText(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return String(value);
  } catch {
    return '[unprintable]';
  }
}
