import { HistoryErrorCode, historyError } from './errors';

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * `--since` and `history.keep` durations: `90s`, `15m`, `2h`, `30d`, `1w` (or an ISO date for
 * `--since`). Returns milliseconds.
 */
export function parseDuration(text: string, what: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([smhdw])$/.exec(text.trim());
  if (match === null) {
    throw historyError(HistoryErrorCode.INVALID_OPTION, `${what} "${text}" is not a duration`, {
      suggestions: ['use a number and a unit: 90s, 15m, 2h, 30d, 1w'],
    });
  }
  return Number(match[1]) * (UNITS[match[2] as string] as number);
}

/** `--since`: a duration back from `now`, or an ISO-8601 date/time. Returns epoch ms. */
export function parseSince(text: string, now: number = Date.now()): number {
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const at = Date.parse(text);
    if (!Number.isNaN(at)) return at;
  }
  return now - parseDuration(text, '--since');
}
