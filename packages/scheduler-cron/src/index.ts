export {
  CronScheduler,
  type CronSchedulerOptions,
  type FireInfo,
  type ScheduledJob,
  type SchedulerErrorContext,
  type StopOptions,
  type StopResult,
} from './scheduler';
export {
  CRON_MACROS,
  CronSchedule,
  parseCronExpression,
  timeZoneOffsetMinutes,
  validateCron,
  validateTimeZone,
  type ValidatedCron,
} from './cron';
export {
  inspectSchedules,
  OVERLAP_POLICIES,
  parseSchedules,
  readSchedules,
  type CatchUpOptions,
  type OverlapPolicy,
  type ParsedSchedules,
  type ScheduleEntry,
  type ScheduleEntryOptions,
  type ScheduleOptions,
} from './schedule-file';
export {
  removeSchedule,
  setSchedulePaused,
  upsertSchedule,
  upsertSchedules,
  type UpdateResult,
  type UpsertRequest,
} from './schedule-file-edit';
export { readScheduleState, statePathFor, writeScheduleState, type ScheduleRunState } from './state';
export { parseDuration } from './duration';
export { MAX_TIMEOUT_MS, systemClock, type Clock } from './clock';
export type { FileSignature, LockOptions } from './files';
export { ScheduleErrorCode, type ScheduleErrorCodeValue } from './errors';
