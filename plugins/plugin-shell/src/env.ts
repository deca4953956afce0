import { NonRetryableError, type TaskContext } from '@cascadence/core';
import type { EnvValue } from './options';

/** A single environment string above this is skipped: Linux refuses any over 128 KiB (E2BIG). */
export const MAX_RESULT_ENV_BYTES = 64 * 1024;

/** `build-docs` → `CASCADENCE_RESULT_BUILD_DOCS`. */
export function resultVariableName(stepId: string): string {
  return `CASCADENCE_RESULT_${stepId.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`;
}

/** A step output as an environment value: strings as they are, anything else as JSON. */
export function resultVariableValue(output: unknown): string {
  if (typeof output === 'string') return output;
  if (output === undefined) return '';
  try {
    return JSON.stringify(output) ?? '';
  } catch {
    return String(output);
  }
}

/**
 * The variables for one needed step: CASCADENCE_RESULT_<STEP> (the whole output) and, when the
 * output is a plain object, CASCADENCE_RESULT_<STEP>_<FIELD> for each top-level field — so a
 * previous shell step's stdout is `$CASCADENCE_RESULT_<STEP>_STDOUT`.
 */
export function resultVariables(stepId: string, output: unknown): Array<[string, string]> {
  const name = resultVariableName(stepId);
  const vars: Array<[string, string]> = [[name, resultVariableValue(output)]];
  if (output !== null && typeof output === 'object' && !Array.isArray(output) && Object.getPrototypeOf(output) === Object.prototype) {
    for (const [field, value] of Object.entries(output)) {
      vars.push([`${name}_${field.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`, resultVariableValue(value)]);
    }
  }
  return vars;
}

/** All result variables together stay under this: Linux refuses a spawn whose argv + environment exceed ARG_MAX (2 MiB, E2BIG). */
export const MAX_RESULTS_ENV_TOTAL_BYTES = 1024 * 1024;

/**
 * The child's environment, later layers winning: process.env; CASCADENCE_RUN_ID, _FLOW, _STEP,
 * _ATTEMPT; the result variables of the steps in `needs` (see `resultEnvironment`); then the
 * step's `env` (null removes a variable).
 */
export function buildEnv(
  ctx: TaskContext,
  overrides: Record<string, EnvValue> | undefined,
  results: ResultsSelection,
  where: string,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  env.CASCADENCE_RUN_ID = ctx.runId;
  env.CASCADENCE_STEP = ctx.stepId;
  env.CASCADENCE_ATTEMPT = String(ctx.attempt);
  if (ctx.flow !== undefined) env.CASCADENCE_FLOW = ctx.flow;
  else delete env.CASCADENCE_FLOW;
  Object.assign(env, resultEnvironment(ctx, results, where));
  for (const [name, value] of Object.entries(overrides ?? {})) {
    if (value === null) delete env[name];
    else env[name] = String(value);
  }
  return env;
}

/** `false`: none; `'all'`: every needed step, skipping what cannot be passed; a list: exactly those steps. */
export type ResultsSelection = false | 'all' | readonly string[];

/**
 * The CASCADENCE_RESULT_* variables. Two steps (or fields) whose names give the same variable
 * (`build-docs`, `build_docs`) are an error. With `'all'`, a value that cannot be passed — a NUL
 * byte, over 64 KiB, or past the 1 MiB total — is skipped with a debug line: the command may not
 * even use it. Steps listed explicitly must pass whole, or the step fails naming the variable.
 */
export function resultEnvironment(ctx: TaskContext, results: ResultsSelection, where: string): Record<string, string> {
  if (results === false) return {};
  const available = ctx.results ?? {};
  const requested = results === 'all' ? Object.keys(available) : results;
  const strict = results !== 'all';
  const origins = new Map<string, string>();
  const env: Record<string, string> = {};
  let total = 0;
  for (const stepId of requested) {
    if (!(stepId in available)) {
      throw new NonRetryableError(
        `${where}: "results" lists step "${stepId}", which gave no output: it is not in this step's needs, or it did not succeed`,
        {
          details: { step: stepId },
        },
      );
    }
    for (const [name, value] of resultVariables(stepId, available[stepId])) {
      const origin = name === resultVariableName(stepId) ? `step "${stepId}"` : `a field of step "${stepId}"`;
      const previous = origins.get(name);
      if (previous !== undefined) {
        throw new NonRetryableError(
          `${where}: ${previous} and ${origin} both give the variable ${name}; rename one of the steps, or list the steps to pass in "results"`,
          {
            details: { variable: name },
          },
        );
      }
      origins.set(name, origin);
      const bytes = Buffer.byteLength(value) + name.length + 2;
      const problem = value.includes('\0')
        ? 'it contains a NUL byte, which no environment variable can hold'
        : bytes > MAX_RESULT_ENV_BYTES
          ? `it would be over ${MAX_RESULT_ENV_BYTES} bytes`
          : total + bytes > MAX_RESULTS_ENV_TOTAL_BYTES
            ? `the result variables would pass ${MAX_RESULTS_ENV_TOTAL_BYTES} bytes in all`
            : undefined;
      if (problem !== undefined) {
        if (strict) {
          throw new NonRetryableError(
            `${where}: cannot pass ${name} (output of step "${stepId}"): ${problem}; pass the data in a file instead`,
            {
              details: { variable: name, step: stepId },
            },
          );
        }
        ctx.log.debug(`${name} not set: ${problem} (output of step "${stepId}")`);
        continue;
      }
      env[name] = value;
      total += bytes;
    }
  }
  return env;
}
