import { compareNames } from './name-order';

/** Levenshtein distance, for "did you mean" suggestions on unknown names. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The known names closest to `name`, best first; only plausible typos are offered. */
export function closestNames(name: string, known: Iterable<string>, limit = 3): string[] {
  const lower = name.toLowerCase();
  const scored: Array<{ candidate: string; distance: number }> = [];
  for (const candidate of known) {
    const distance = editDistance(lower, candidate.toLowerCase());
    const prefix = candidate.toLowerCase().startsWith(lower) || lower.startsWith(candidate.toLowerCase());
    if (distance <= Math.max(2, Math.floor(candidate.length / 3)) || prefix) {
      scored.push({ candidate, distance: prefix ? Math.min(distance, 1) : distance });
    }
  }
  scored.sort((x, y) => x.distance - y.distance || compareNames(x.candidate, y.candidate));
  return scored.slice(0, limit).map((s) => s.candidate);
}

/** " (did you mean "x"?)" or "" — for error messages. */
export function didYouMean(name: string, known: Iterable<string>): string {
  const [best] = closestNames(name, known, 1);
  return best === undefined ? '' : ` (did you mean "${best}"?)`;
}

/**
 * The one wording of "that name is not known", for commands, flags, backends, tasks, processors
 * and options alike: `unknown flag "--jsn" (did you mean "--json"?); run "task run --help" for the
 * list`. `then` says where the full list is (or gives it); the suggestions are best first.
 */
export function unknownName(
  kind: string,
  name: string,
  known: Iterable<string>,
  then?: string,
): { message: string; suggestions: string[] } {
  const suggestions = closestNames(name, known);
  const hint = suggestions.length > 0 ? ` (did you mean "${suggestions[0]}"?)` : '';
  return { message: `unknown ${kind} "${name}"${hint}${then === undefined || then === '' ? '' : `; ${then}`}`, suggestions };
}
