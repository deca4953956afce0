import { optionError } from './errors';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * A duration as milliseconds: a non-negative number of ms, or a string of number+unit parts
 * (`500ms`, `30s`, `15m`, `2h`, `1d`, `1w`, `1h30m`). Throws naming `what` on anything else.
 */
export function parseDuration(value: unknown, what = 'duration'): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value;
  } else if (typeof value === 'string') {
    const text = value.trim();
    if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
    const parts = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$/.test(text) ? text.match(/\d+(?:\.\d+)?(?:ms|s|m|h|d|w)/g) : null;
    if (parts !== null) {
      let total = 0;
      for (const part of parts) {
        const [, amount, unit] = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(part) as RegExpExecArray;
        total += Number(amount) * (UNITS[unit as string] as number);
      }
      return total;
    }
  }
  throw optionError(
    `${what} must be a non-negative number of milliseconds or a string like "30s", "15m", "2h", "1d" (got ${JSON.stringify(value)})`,
    { option: what, value },
  );
}
