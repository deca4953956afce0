/**
 * The compact RunSpec (version 2): the workflow's input in a form whose size grows with what is
 * distinct in a flow, not with its step count. A 10,000-step flow whose steps run the same task
 * costs a few bytes per step instead of ~220 (every step used to carry its label, kind, rule,
 * retry policy and needs).
 *
 * - Step definitions (everything but id, needs and `with`) are stored once each, in `defs`.
 * - `with` values are stored once per distinct value (as JSON), in `withs`.
 * - Needs lists are stored once per distinct pattern, in `needs`; a pattern entry n ≥ 0 is the
 *   step at index n, n < 0 the step n places before the one that needs it — so "needs the same
 *   source" and "needs the previous step" are one pattern each, whatever the step count.
 * - Per-step columns (`def`, `need`, `with`) hold indices into those tables, and ids are a list;
 *   both collapse arithmetic runs (`[start, delta, count]`, ids `[prefix, start, count]`).
 *
 * Encoding runs on the client; decoding runs in the workflow sandbox: this file imports only
 * types, and decoding is plain deterministic code.
 */
import { PLAIN_SPEC_VERSION, SPEC_VERSION, type RunSpec, type WireGraph, type WireStep } from './wire';

/** A column of integers: literals, and arithmetic runs `[start, delta, count]`. */
export type Column = Array<number | [number, number, number]>;
/** Step ids: literals, and runs `[prefix, start, count]` for prefix+start … prefix+(start+count-1). */
export type IdColumn = Array<string | [string, number, number]>;

/**
 * A step definition shared by every step that has it: a WireStep without id, needs and with. No
 * `label` means the step's id (inline `run:` steps), so that inline steps share definitions too.
 */
export type CompactDef = Omit<WireStep, 'id' | 'needs' | 'with' | 'flow' | 'label'> & { label?: string; flow?: CompactGraph };

/** A graph's steps as tables (see the file comment). */
export interface CompactSteps {
  /** Step ids, in step order. */
  ids: IdColumn;
  /** Distinct step definitions. */
  defs: CompactDef[];
  /** Per step: index into `defs`. */
  def: Column;
  /** Distinct needs patterns (each itself a column). */
  needs: Column[];
  /** Per step: index into `needs`. */
  need: Column;
  /** Distinct `with` values. */
  withs: unknown[];
  /** Per step: index into `withs`, -1 for a step without `with`. */
  with: Column;
}

/** A WireGraph with its steps as tables; any other graph field travels as it is. */
export type CompactGraph = Omit<WireGraph, 'steps'> & { table: CompactSteps };

/** The workflow input as clients send it since SPEC_VERSION 2. */
export type CompactRunSpec = Omit<RunSpec, 'version' | 'graph'> & { version: 2; graph: CompactGraph };

/** Runs of at least this many equal-stride values are stored as `[start, delta, count]`. */
const MIN_RUN = 3;

export function encodeColumn(values: readonly number[]): Column {
  const out: Column = [];
  let i = 0;
  while (i < values.length) {
    const start = values[i]!;
    let count = 1;
    if (i + 1 < values.length) {
      const delta = values[i + 1]! - start;
      while (i + count < values.length && values[i + count]! === start + delta * count) count++;
      if (count >= MIN_RUN) {
        out.push([start, delta, count]);
        i += count;
        continue;
      }
    }
    out.push(start);
    i++;
  }
  return out;
}

export function decodeColumn(column: Column, into: number[] = []): number[] {
  for (const entry of column) {
    if (typeof entry === 'number') into.push(entry);
    else for (let k = 0; k < entry[2]; k++) into.push(entry[0] + entry[1] * k);
  }
  return into;
}

/** Splits an id into a prefix and a canonical integer suffix ("s0123" → "s0", 123), if it has one. */
function numbered(id: string): [string, number] | undefined {
  const match = /^([\s\S]*?)(0|[1-9]\d{0,14})$/.exec(id);
  return match === null ? undefined : [match[1]!, Number(match[2])];
}

export function encodeIds(ids: readonly string[]): IdColumn {
  const out: IdColumn = [];
  let i = 0;
  while (i < ids.length) {
    const first = numbered(ids[i]!);
    let count = 1;
    if (first !== undefined) {
      for (;;) {
        const next = i + count < ids.length ? numbered(ids[i + count]!) : undefined;
        if (next === undefined || next[0] !== first[0] || next[1] !== first[1] + count) break;
        count++;
      }
    }
    if (count >= 2) out.push([first![0], first![1], count]);
    else out.push(ids[i]!);
    i += count;
  }
  return out;
}

export function decodeIds(column: IdColumn): string[] {
  const out: string[] = [];
  for (const entry of column) {
    if (typeof entry === 'string') out.push(entry);
    else for (let k = 0; k < entry[2]; k++) out.push(entry[0] + String(entry[1] + k));
  }
  return out;
}

/** Interns values by a key, in first-seen order. */
class Interner<T> {
  readonly values: T[] = [];
  private readonly index = new Map<string, number>();
  add(key: string, value: T): number {
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.values.length;
      this.values.push(value);
      this.index.set(key, i);
    }
    return i;
  }
}

/** Each step's needs as the pattern most steps share: absolute indices, or distances back. */
function needsPatterns(steps: readonly WireStep[]): number[][] {
  const absolute = steps.map((step) => step.needs);
  const relative = steps.map((step, i) => step.needs.map((j) => (j < i ? j - i : j)));
  const uses = new Map<string, number>();
  const keys = (list: number[][]): string[] => list.map((needs) => needs.join(','));
  const absoluteKeys = keys(absolute);
  const relativeKeys = keys(relative);
  for (const key of [...absoluteKeys, ...relativeKeys]) uses.set(key, (uses.get(key) ?? 0) + 1);
  return steps.map((_, i) => ((uses.get(relativeKeys[i]!) ?? 0) > (uses.get(absoluteKeys[i]!) ?? 0) ? relative[i]! : absolute[i]!));
}

export function encodeGraph(graph: WireGraph): CompactGraph {
  const { steps, ...rest } = graph;
  const defs = new Interner<CompactDef>();
  const patterns = new Interner<Column>();
  const withs = new Interner<unknown>();
  const def: number[] = [];
  const need: number[] = [];
  const withColumn: number[] = [];
  const shapes = needsPatterns(steps);
  steps.forEach((step, i) => {
    const { id, needs: _needs, with: given, flow, label, ...rest } = step;
    const shared: CompactDef = label === id ? rest : { label, ...rest };
    const definition: CompactDef = flow === undefined ? shared : { ...shared, flow: encodeGraph(flow) };
    def.push(defs.add(JSON.stringify(definition), definition));
    const pattern = shapes[i]!;
    need.push(patterns.add(pattern.join(','), encodeColumn(pattern)));
    const withJson = 'with' in step ? JSON.stringify(given) : undefined;
    withColumn.push(withJson === undefined ? -1 : withs.add(withJson, given));
  });
  const table: CompactSteps = {
    ids: encodeIds(steps.map((step) => step.id)),
    defs: defs.values,
    def: encodeColumn(def),
    needs: patterns.values,
    need: encodeColumn(need),
    withs: withs.values,
    with: encodeColumn(withColumn),
  };
  return { ...rest, table };
}

/** Thrown for a compact spec that does not decode (the workflow reports it with its error code). */
export class InvalidSpecError extends Error {}

export function decodeGraph(compact: CompactGraph): WireGraph {
  const { table, ...rest } = compact;
  const ids = decodeIds(table.ids);
  const def = decodeColumn(table.def);
  const need = decodeColumn(table.need);
  const withIndex = decodeColumn(table.with);
  const n = ids.length;
  if (def.length !== n || need.length !== n || withIndex.length !== n) {
    throw new InvalidSpecError(
      `graph "${compact.name}": ${n} step ids but ${def.length} definitions, ${need.length} needs and ${withIndex.length} with entries`,
    );
  }
  const patterns = table.needs.map((pattern) => decodeColumn(pattern));
  const defs = table.defs.map((definition): Omit<WireStep, 'id' | 'needs' | 'label'> & { label?: string } => {
    if (definition.flow === undefined) return definition as Omit<WireStep, 'id' | 'needs' | 'label'>;
    return { ...definition, flow: decodeGraph(definition.flow) };
  });
  const steps: WireStep[] = new Array<WireStep>(n);
  for (let i = 0; i < n; i++) {
    const shared = defs[def[i]!];
    const pattern = patterns[need[i]!];
    if (shared === undefined || pattern === undefined)
      throw new InvalidSpecError(`graph "${compact.name}", step "${ids[i]!}": index out of range`);
    const id = ids[i]!;
    const step: WireStep = { id, ...shared, label: shared.label ?? id, needs: pattern.map((j) => (j < 0 ? i + j : j)) };
    const w = withIndex[i]!;
    if (w >= 0) step.with = table.withs[w];
    steps[i] = step;
  }
  return { ...rest, steps } as WireGraph;
}

/** The workflow input for `spec`: the compact form (SPEC_VERSION). */
export function encodeRunSpec(spec: RunSpec): CompactRunSpec {
  const { version: _version, graph, ...rest } = spec;
  return { ...rest, version: SPEC_VERSION, graph: encodeGraph(graph) };
}

/** Versions of the workflow input this workflow reads: the plain graph of earlier releases, and the compact one. */
export const READABLE_SPEC_VERSIONS: readonly number[] = [PLAIN_SPEC_VERSION, SPEC_VERSION];

/** The RunSpec the workflow interprets, from either version of its input. */
export function decodeRunSpec(input: RunSpec | CompactRunSpec): RunSpec {
  if (input.version !== SPEC_VERSION) return input as RunSpec;
  const { graph, ...rest } = input as CompactRunSpec;
  return { ...rest, version: SPEC_VERSION, graph: decodeGraph(graph) };
}
