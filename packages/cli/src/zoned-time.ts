/** Cached per zone: building an Intl.DateTimeFormat is slow, and a listing repeats zones. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timezone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timezone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      timeZoneName: 'longOffset',
    });
    formatters.set(timezone, formatter);
  }
  return formatter;
}

/**
 * `2026-03-29 03:00:00+02:00`: the wall-clock time in `timezone` with its UTC offset, so a time
 * reads as the schedule's own zone sees it and still names one instant. `UTC` gives `+00:00`.
 */
export function formatInZone(date: Date, timezone: string): string {
  const parts: Record<string, string> = {};
  for (const part of formatterFor(timezone).formatToParts(date)) parts[part.type] = part.value;
  // "GMT+02:00" (or plain "GMT" for a zero offset).
  const offset = (parts.timeZoneName ?? 'GMT').replace(/^GMT/, '') || '+00:00';
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}${offset}`;
}
