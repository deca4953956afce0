export {
  TemporalBackend,
  buildRunSpec,
  resolveRunSettings,
  workflowArgument,
  type TemporalBackendOptions,
  type TemporalRunDescription,
  type TemporalRunHandle,
  type TemporalRunOptions,
  type TemporalRunSettings,
} from './backend';
export {
  createWorker,
  bundleCascadenceWorkflow,
  workflowsPath,
  type BundleWorkflowOptions,
  type CascadenceWorker,
  type CreateWorkerOptions,
} from './worker';
export { createStepActivities, type StepActivityOptions, type StepSource } from './activity';
export { replay, formatReplayReport, type ReplayDivergence, type ReplayOptions, type ReplayReport } from './replay';
export {
  MIN_CATCHUP_WINDOW_MS,
  TemporalScheduler,
  toTemporalCron,
  type TemporalOverlapPolicy,
  type TemporalScheduleJob,
  type TemporalScheduleOptions,
  type TemporalSchedulerOptions,
} from './scheduler';
export {
  DEFAULT_ADDRESS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_NAMESPACE,
  openClientConnection,
  openNativeConnection,
  resolveConnectionOptions,
  type ResolvedConnectionOptions,
  type TemporalConnectionOptions,
} from './connection';
export { compileGraph } from './compile';
export {
  decodeRunSpec,
  type Column,
  type CompactDef,
  type CompactGraph,
  type CompactRunSpec,
  type CompactSteps,
  type IdColumn,
} from './compact-spec';
export { fromWireError, toRunResult } from './result';
export { plainSummary, type CompactStepResults, type CompactSummary } from './summary-codec';
export type { Carry } from './partition';
export { TemporalErrorCode } from './errors';
export type { TaskQueuePoller } from './task-queue';
export { TASK_SEARCH_ATTRIBUTE, TRIGGER_SEARCH_ATTRIBUTE, type RunTrigger } from './search-attributes';
export { forwardTemporalLog, routeTemporalLogs, type TemporalLogLevel, type TemporalLogOptions } from './sdk-logging';
export {
  WORKFLOW_TYPE,
  STEP_ACTIVITY,
  OUTPUT_ACTIVITY,
  STATE_QUERY,
  type RunSpec,
  type RunSummary,
  type StepCall,
  type WireGraph,
  type WireStep,
} from './wire';
