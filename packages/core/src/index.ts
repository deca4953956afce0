export { defineTask, isTask, type Task, type TaskContext, type TaskDefinition, type TaskRunFunction } from './task';
export {
  defineFlow,
  isFlow,
  TRIGGER_RULES,
  type Flow,
  type FlowDefinition,
  type FlowGraph,
  type FlowStep,
  type FlowSteps,
  type TriggerRule,
} from './flow';
export { flow, FlowBuilder, type FlowSettings } from './flow-builder';
export type {
  FinalOutputs,
  NeededResults,
  ProcessorOutput,
  ProcessorTypes,
  StepInput,
  StepOutput,
  StepOutputs,
  TaskOutput,
  TaskReference,
  TypedStep,
  TypedStepSettings,
} from './flow-types';
export { flowFromSpec, type FlowSpec, type StepSpec } from './flow-spec';
export { Engine, type EngineOptions, type RunOptions } from './engine';
export { newRunId, shortRunId, SHORT_RUN_ID_LENGTH } from './run-id';
export {
  planRunnable,
  planStep,
  validateProcessorOptions,
  type PlanOptions,
  type Runnable,
  type RunnablePlan,
  type StepPlan,
  type StepResolver,
} from './step-plan';
export type { MapItemResult, MapItemStatus, RunResult, RunStatus, StepResult, StepResults, StepStatus } from './result';
export type { ItemFailurePolicy } from './map-spec';
export type { RunTrigger, RunTriggerKind } from './trigger';
export {
  SCHEDULE_OVERLAPS,
  SCHEDULER_DEFAULTS,
  type Scheduler,
  type ScheduleOverlap,
  type ScheduleRequest,
  type ScheduleView,
} from './scheduler-contract';
export { createRunResult } from './run-result';
export type { SkipReason } from './dag/status';
export { StepSkipSignal, skipSignalReason } from './step-skip';
export {
  EventBus,
  EVENT_TYPES,
  type EngineEvent,
  type EngineEventListener,
  type EngineEventOf,
  type EngineEventType,
  type EventSource,
  type RunEndEvent,
  type RunStartEvent,
  type ScheduleEvent,
  type ScheduleFireEvent,
  type ScheduleMissEvent,
  type ScheduleSkipEvent,
  type ScheduleStallEvent,
  type StepFailureEvent,
  type StepItemEvent,
  type StepRetryEvent,
  type StepSkipEvent,
  type StepObserver,
  type StepStartEvent,
  type StepSuccessEvent,
} from './events';
export type { RunTracer } from './run-tracer';
export { Registry, type RegistryEntry, type RegistryOptions } from './registry';
export { LocalBackend, type ExecutionBackend } from './backend';
export {
  defineProcessor,
  isProcessor,
  validateOptions,
  type OptionSpec,
  type OptionsSchema,
  type OptionType,
  type Processor,
  type ProcessorDefinition,
} from './processor';
export {
  decideRetry,
  isRetryable,
  resolveRetryPolicy,
  retryDelay,
  type Backoff,
  type ResolvedRetryPolicy,
  type RetryableError,
  type RetryPolicy,
  type RetryTiming,
} from './retry';
export {
  CancelledError,
  CascadenceError,
  ErrorCode,
  NonErrorThrownError,
  NonRetryableError,
  TimeoutError,
  toError,
  type CascadenceErrorOptions,
  type ErrorCodeValue,
} from './errors';
export {
  consoleLogger,
  currentLogTag,
  scopedLogger,
  setLogTagSource,
  silentLogger,
  taggedLogger,
  type Logger,
  type LogTagSource,
} from './logger';
export { closestNames, didYouMean, editDistance, unknownName } from './suggest';
export { compareNames } from './name-order';
export {
  definePlugin,
  isPlugin,
  pluginShapeProblem,
  PLUGIN_API_VERSION,
  PLUGIN_CAPABILITIES,
  SUPPORTED_PLUGIN_API_VERSIONS,
  type Instrumentation,
  type Plugin,
  type PluginCapability,
  type PluginDefinition,
  type PluginHost,
  type PluginManifest,
  type SchedulerFactory,
} from './plugin';
export { isPluginPackageName, isValidPackageName, normalizePluginName } from './plugin-name';
export { pathTrustProblem } from './path-trust';
export {
  DEFAULT_PLUGIN_LOAD_TIMEOUT_MS,
  loadPlugins,
  type LoadedPlugin,
  type LoadPluginsOptions,
  type PluginLoadResult,
  type PluginProblem,
  type SkippedPlugin,
} from './plugin-loader';
export { sanitizeForTerminal, sanitizeLinesForTerminal } from './terminal';
export { errorToJson, MAX_JSON_DEPTH, toJsonSafe, UNSERIALISABLE_KEY, type JsonSafeProblem } from './json-safe';
