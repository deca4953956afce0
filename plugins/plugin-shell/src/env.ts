import type { TaskContext } from '@cascadence/core';
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

/**
 * The child's environment, later layers winning: process.env; CASCADENCE_RUN_ID, _FLOW, _STEP,
 * _ATTEMPT; with `resultsEnv`, the result variables of each step in `needs`; then the step's
 * `env` (null removes a variable).
 */
export function buildEnv(ctx: TaskContext, overrides: Record<string, EnvValue> | undefined, resultsEnv: boolean): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  env.CASCADENCE_RUN_ID = ctx.runId;
  env.CASCADENCE_STEP = ctx.stepId;
  env.CASCADENCE_ATTEMPT = String(ctx.attempt);
  if (ctx.flow !== undefined) env.CASCADENCE_FLOW = ctx.flow;
  else delete env.CASCADENCE_FLOW;
  if (resultsEnv) {
    for (const [stepId, output] of Object.entries(ctx.results ?? {})) {
      for (const [name, value] of resultVariables(stepId, output)) {
        if (Buffer.byteLength(value) > MAX_RESULT_ENV_BYTES) {
          ctx.log.warn(`${name} not set: it would be over ${MAX_RESULT_ENV_BYTES} bytes (output of step "${stepId}")`);
          continue;
        }
        env[name] = value;
      }
    }
  }
  for (const [name, value] of Object.entries(overrides ?? {})) {
    if (value === null) delete env[name];
    else env[name] = String(value);
  }
  return env;
}
