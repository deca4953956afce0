/** One entry of `expectStatus`: an exact code (404) or a class ("2xx", "4xx"). */
export type StatusPattern = number | string;

const CLASS_PATTERN = /^[1-5]xx$/i;

/** Why `value` is not a valid `expectStatus`, or undefined when it is. */
export function expectStatusProblem(value: unknown): string | undefined {
  const entries = Array.isArray(value) ? value : [value];
  if (entries.length === 0) return 'option "expectStatus" must not be an empty list';
  for (const entry of entries) {
    const ok =
      (typeof entry === 'number' && Number.isInteger(entry) && entry >= 100 && entry <= 599) ||
      (typeof entry === 'string' && (CLASS_PATTERN.test(entry) || /^[1-5]\d\d$/.test(entry)));
    if (!ok) {
      return `option "expectStatus" must be a status code (100-599), a class like "2xx", or a list of them (got ${JSON.stringify(entry)})`;
    }
  }
  return undefined;
}

/** Whether `status` is expected; with no `expectStatus`, any 2xx is. */
export function statusMatches(expect: StatusPattern | StatusPattern[] | undefined, status: number): boolean {
  if (expect === undefined) return status >= 200 && status <= 299;
  const entries = Array.isArray(expect) ? expect : [expect];
  return entries.some((entry) => {
    if (typeof entry === 'number') return entry === status;
    if (CLASS_PATTERN.test(entry)) return Math.floor(status / 100) === Number(entry[0]);
    return Number(entry) === status;
  });
}

/** For messages: "2xx", "404", "200, 404 or 5xx". */
export function describeExpected(expect: StatusPattern | StatusPattern[] | undefined): string {
  if (expect === undefined) return '2xx';
  const entries = (Array.isArray(expect) ? expect : [expect]).map((e) => String(e).toLowerCase());
  return entries.length === 1 ? (entries[0] as string) : `${entries.slice(0, -1).join(', ')} or ${entries[entries.length - 1]}`;
}
