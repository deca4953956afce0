// How values are shown: durations, instants in a zone, status badges (colour AND a word).
import { el } from './dom.js';

const SYMBOLS = {
  succeeded: '✓',
  failed: '✗',
  running: '●',
  cancelled: '⊘',
  interrupted: '⚠',
  skipped: '↷',
  pending: '○',
  retried: '↻',
};

/** Known statuses only become class names; anything else is shown as "unknown". */
export function statusClass(status) {
  return Object.hasOwn(SYMBOLS, status) ? status : 'unknown';
}

export function badge(status) {
  const known = statusClass(status);
  return el(
    'span',
    { class: `badge s-${known}`, 'data-status': known },
    `${SYMBOLS[known] ?? '?'} ${known === 'unknown' ? String(status) : known}`,
  );
}

export function duration(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** An instant in a zone (the viewer's when none); a zone the browser does not know shows UTC. */
export function when(value, zone) {
  if (value === null || value === undefined) return '–';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return '–';
  try {
    return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium', ...(zone ? { timeZone: zone } : {}) }).format(
      date,
    );
  } catch {
    return `${date.toISOString()} (UTC)`;
  }
}

/** Long strings are cut for one-line places; the whole text stays in the title. */
export function short(text, max = 60) {
  const s = String(text);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** A run id as `task runs` shows it: its last 8 characters (a UUIDv7 starts with its timestamp, shared by runs of the same minute). */
export function shortId(id) {
  return String(id).slice(-8);
}
