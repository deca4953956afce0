/**
 * A JSON-safe copy of any value, for printing and storing task outputs and errors. Task outputs
 * are user data: a BigInt, a cycle, a `toJSON` that throws, a revoked Proxy or 60k levels of
 * nesting make `JSON.stringify` throw, and a run that succeeded must not be reported as failed
 * because its output could not be printed. Pure and dependency-free.
 */

/** The only key of the object that stands in for a value JSON cannot hold: `{ "$unserialisable": "BigInt 10n" }`. */
export const UNSERIALISABLE_KEY = '$unserialisable';

/**
 * Deeper than this, a value is replaced: JSON.stringify itself overflows the stack at some
 * thousands of levels, and no reader wants more (MongoDB's BSON stops at 100 too).
 */
export const MAX_JSON_DEPTH = 100;

/**
 * More values than this, and the rest is replaced: an object graph that shares parts (a task
 * returning its `ctx`, a request, a client) is a tree of exponential size once copied, so the
 * copy never ends — a cycle check alone does not catch it. A million values is some tens of MB
 * of JSON, more than any terminal or history row should get.
 */
export const MAX_JSON_VALUES = 1_000_000;

/** Where in the value (`$.rows[2].total`) and why a part of it was replaced. */
export interface JsonSafeProblem {
  path: string;
  reason: string;
}

/**
 * Follows JSON.stringify's rules (`toJSON`, `undefined`/functions/symbols omitted in objects and
 * `null` in arrays, non-finite numbers as `null`) and never throws: each part JSON cannot hold
 * becomes `{ "$unserialisable": reason }` and is reported to `problems`. Errors become
 * `{ name, message, code?, details? }` instead of `{}`.
 */
export function toJsonSafe(value: unknown, problems?: JsonSafeProblem[]): unknown {
  return withBudget(problems, (budget) => walk(value, '', '$', 0, { ancestors: [], problems, budget }, true));
}

/** An error as JSON: `{ name, message, code?, details? }` (details made JSON-safe). */
export function errorToJson(error: Error, problems?: JsonSafeProblem[]): Record<string, unknown> {
  return withBudget(problems, (budget) => errorFields(error, '$', 0, { ancestors: [], problems, budget }));
}

/** One copy's state: the objects on the current path (cycles), what was replaced, values left. */
interface Walk {
  ancestors: object[];
  problems: JsonSafeProblem[] | undefined;
  budget: Budget;
}

interface Budget {
  valuesLeft: number;
  /** The outermost copy's problems, told of the limit even when an inner copy reached it. */
  outerProblems: JsonSafeProblem[] | undefined;
  limitReported: boolean;
}

const LIMIT_REASON = `more than ${MAX_JSON_VALUES} values: the rest is left out`;

/**
 * The budget of the copy in progress. A `toJSON` met on the way may itself call `toJsonSafe` (a
 * RunResult does); that inner copy spends the outer copy's budget instead of starting a new one,
 * or a shared graph of such objects would again be copied without end.
 */
let activeBudget: Budget | undefined;

function withBudget<T>(problems: JsonSafeProblem[] | undefined, copy: (budget: Budget) => T): T {
  if (activeBudget !== undefined) return copy(activeBudget);
  const budget: Budget = { valuesLeft: MAX_JSON_VALUES, outerProblems: problems, limitReported: false };
  activeBudget = budget;
  try {
    return copy(budget);
  } finally {
    activeBudget = undefined;
    if (budget.valuesLeft < 0 && !budget.limitReported) problems?.push({ path: '$', reason: LIMIT_REASON });
  }
}

function walk(value: unknown, key: string, path: string, depth: number, state: Walk, callToJson: boolean): unknown {
  const mark = (reason: string): Record<string, string> => {
    state.problems?.push({ path, reason });
    return { [UNSERIALISABLE_KEY]: reason };
  };
  const { budget } = state;
  if (--budget.valuesLeft < 0) {
    // The first value past the limit is replaced and reported; the loops above it then stop.
    if (budget.valuesLeft !== -1) return { [UNSERIALISABLE_KEY]: 'left out' };
    if (state.problems === budget.outerProblems) budget.limitReported = true;
    return mark(LIMIT_REASON);
  }
  const { ancestors } = state;
  try {
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return value;
      case 'number':
        return Number.isFinite(value) ? value : null;
      case 'bigint':
        return mark(`BigInt ${value}n`);
      case 'undefined':
      case 'function':
      case 'symbol':
        return undefined;
      default:
        break;
    }
    if (value === null) return null;
    const object = value as object;
    const seenAt = ancestors.indexOf(object);
    if (seenAt >= 0) return mark(`circular reference to ${seenAt === 0 ? '$' : 'an enclosing value'}`);
    if (depth >= MAX_JSON_DEPTH) return mark(`nested deeper than ${MAX_JSON_DEPTH} levels`);
    if (isErrorLike(object)) return errorFields(object, path, depth, state);
    if (callToJson) {
      const toJSON = (object as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') {
        let replaced: unknown;
        try {
          replaced = toJSON.call(object, key);
        } catch (error) {
          return mark(`toJSON threw: ${messageOf(error)}`);
        }
        return walk(replaced, key, path, depth, state, false);
      }
    }
    ancestors.push(object);
    try {
      if (Array.isArray(object)) {
        const out: unknown[] = [];
        for (let i = 0; i < object.length; i++) {
          const item = walk(object[i], String(i), `${path}[${i}]`, depth + 1, state, true);
          out.push(item === undefined ? null : item);
          if (budget.valuesLeft < 0) break;
        }
        return out;
      }
      const out: Record<string, unknown> = {};
      for (const name of Object.keys(object)) {
        const item = walk((object as Record<string, unknown>)[name], name, childPath(path, name), depth + 1, state, true);
        // defineProperty: a "__proto__" key stays data instead of replacing the copy's prototype.
        if (item !== undefined) Object.defineProperty(out, name, { value: item, enumerable: true, writable: true, configurable: true });
        if (budget.valuesLeft < 0) break;
      }
      return out;
    } finally {
      ancestors.pop();
    }
  } catch (error) {
    // A revoked Proxy, a getter that throws: the value cannot be read at all.
    return mark(`cannot be read: ${messageOf(error)}`);
  }
}

function errorFields(error: object, path: string, depth: number, state: Walk): Record<string, unknown> {
  const e = error as { name?: unknown; message?: unknown; code?: unknown; details?: unknown };
  const out: Record<string, unknown> = { name: String(e.name ?? 'Error'), message: String(e.message ?? '') };
  if (typeof e.code === 'string') out.code = e.code;
  if (e.details !== undefined && e.details !== null && typeof e.details === 'object' && Object.keys(e.details).length > 0) {
    state.ancestors.push(error);
    try {
      out.details = walk(e.details, 'details', `${path}.details`, depth + 1, state, true);
    } finally {
      state.ancestors.pop();
    }
  }
  return out;
}

function isErrorLike(value: object): value is Error {
  if (value instanceof Error) return true;
  // Errors from another realm (vm, worker) fail instanceof but still look like errors.
  const e = value as Partial<Error>;
  return typeof e.message === 'string' && typeof e.stack === 'string' && typeof e.name === 'string';
}

function childPath(path: string, name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? `${path}.${name}` : `${path}[${JSON.stringify(name)}]`;
}

function messageOf(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return 'unknown error';
  }
}
