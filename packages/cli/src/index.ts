export { main, runBinary } from './main';
export { exampleTask, type ExampleInput, type ExampleOutput } from './example-task';
export { CliError, CliErrorCode, EXIT_FAILURE, EXIT_USAGE, errorLine, exitCodeOf } from './errors';
export { loadProject, readFlowFile, type LoadProjectOptions, type Project } from './project/project';
export {
  findConfigFile,
  loadConfig,
  CONFIG_FILE_NAMES,
  type CascadenceConfig,
  type LoadedConfig,
  type PluginsConfig,
} from './project/config';
export { renderGraph, type GraphFormat } from './graph';
