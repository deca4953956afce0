import { definePlugin, type Plugin } from '@cascadence/core';
import { shell } from './shell';

export { runShell, shell, type ShellResult } from './shell';
export { DEFAULT_KILL_GRACE_MS, DEFAULT_MAX_OUTPUT_BYTES, shellOptionsSchema, type EnvValue, type ShellOptions } from './options';
export {
  MAX_RESULT_ENV_BYTES,
  MAX_RESULTS_ENV_TOTAL_BYTES,
  resultEnvironment,
  resultVariableName,
  resultVariables,
  type ResultsSelection,
} from './env';
export { ShellErrorCode } from './errors';
export { killProcessTree } from './process-tree';

/** The plugin object (also the default export), e.g. for `loadPlugins({ plugins: [shellPlugin] })`. */
export const shellPlugin: Plugin = definePlugin({
  name: '@cascadence/plugin-shell',
  apiVersion: 1,
  processors: [shell],
});

export default shellPlugin;
