import { CascadenceError, ErrorCode } from './errors';
import { assertValidName, type TaskContext } from './task';
import { unknownName } from './suggest';

export type OptionType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'string[]' | 'any';

/** One option a processor accepts in a step's `with`. */
export interface OptionSpec {
  type: OptionType;
  required?: boolean;
  default?: unknown;
  description?: string;
  /** Allowed values. */
  enum?: readonly unknown[];
}

export type OptionsSchema = Record<string, OptionSpec>;

export interface ProcessorDefinition<Options = Record<string, unknown>, Output = unknown> {
  name: string;
  description?: string;
  /** The options it accepts; anything else in `with` is an error. */
  options: OptionsSchema;
  /**
   * Checks beyond the schema (options that exclude each other, ranges), run when a flow using it
   * is prepared, before anything starts. Throw to reject; the error is reported as
   * CASCADENCE_INVALID_OPTIONS naming the flow and step (`where`).
   */
  validate?(options: Options, where: string): void;
  run(ctx: TaskContext, options: Options): Output | Promise<Output>;
}

/** A reusable step type, referenced by name from a flow step: `{ uses: 'shell', with: {...} }`. */
export interface Processor<Options = Record<string, unknown>, Output = unknown> extends Readonly<ProcessorDefinition<Options, Output>> {
  readonly kind: 'processor';
}

export function defineProcessor<Options = Record<string, unknown>, Output = unknown>(
  definition: ProcessorDefinition<Options, Output>,
): Processor<Options, Output> {
  assertValidName(definition?.name, 'a processor');
  const where = `processor "${definition.name}"`;
  if (typeof definition.run !== 'function') {
    throw new CascadenceError(ErrorCode.INVALID_DEFINITION, `${where}: run must be a function`);
  }
  if (definition.validate !== undefined && typeof definition.validate !== 'function') {
    throw new CascadenceError(ErrorCode.INVALID_DEFINITION, `${where}: validate must be a function`);
  }
  if (definition.options === null || typeof definition.options !== 'object') {
    throw new CascadenceError(ErrorCode.INVALID_DEFINITION, `${where}: options must describe the accepted options`);
  }
  return Object.freeze({ ...definition, kind: 'processor' as const });
}

export function isProcessor(value: unknown): value is Processor {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Processor).kind === 'processor' &&
    typeof (value as Processor).run === 'function'
  );
}

/**
 * Checks `input` against `schema` and returns it with defaults filled in. `where` names the
 * flow and step, so the error reads: flow "deploy", step "build": option "command" ...
 */
export function validateOptions(schema: OptionsSchema, input: unknown, where: string): Record<string, unknown> {
  if (input === undefined || input === null) input = {};
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw new CascadenceError(ErrorCode.INVALID_OPTIONS, `${where}: "with" must be a mapping of options`);
  }
  const given = input as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(given)) {
    if (!(key in schema)) {
      const known = Object.keys(schema);
      problems.push(unknownName('option', key, known, `accepted: ${known.length === 0 ? 'none' : known.join(', ')}`).message);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(schema)) {
    let value = given[key];
    if (value === undefined && spec.default !== undefined) value = spec.default;
    if (value === undefined) {
      if (spec.required) problems.push(`option "${key}" is required (${spec.type})`);
      continue;
    }
    if (!matchesType(spec.type, value)) {
      problems.push(`option "${key}" must be ${article(spec.type)} (got ${describe(value)})`);
      continue;
    }
    if (spec.enum !== undefined && !spec.enum.includes(value)) {
      problems.push(`option "${key}" must be one of ${spec.enum.map((v) => JSON.stringify(v)).join(', ')} (got ${JSON.stringify(value)})`);
      continue;
    }
    out[key] = value;
  }
  if (problems.length > 0) {
    throw new CascadenceError(ErrorCode.INVALID_OPTIONS, `${where}: ${problems.join('; ')}`, {
      details: { problems },
    });
  }
  return out;
}

function matchesType(type: OptionType, value: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    case 'string[]':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
    case 'any':
      return true;
  }
}

function article(type: OptionType): string {
  if (type === 'string[]') return 'a list of strings';
  if (type === 'any') return 'any value';
  return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  return `${typeof value} ${JSON.stringify(value)?.slice(0, 60) ?? ''}`.trim();
}
