/**
 * `task schedule | unschedule | schedules --backend temporal`: the same commands and options as
 * the schedules.yml ones, kept as Temporal Schedules on the server (TemporalScheduler), with the
 * local scheduler's defaults — no catch-up, overlap skip, the config's timezone else UTC.
 */
import { CascadenceError, ErrorCode, sanitizeForTerminal, type ScheduleOverlap } from '@cascadence/core';
import type { TemporalOverlapPolicy, TemporalScheduleJob, TemporalScheduler } from '@cascadence/temporal';
import { CliError, CliErrorCode, usageError } from './errors';
import { DEFAULT_TASK_QUEUE, type Project } from './project/project';

/** `--backend` of the schedule commands: where schedules live. */
export const SCHEDULE_BACKENDS = ['local', 'temporal'] as const;

export interface TemporalScheduleFlags {
  timezone: string | undefined;
  overlap: string | undefined;
  catchUp: string | undefined;
  jitter: number | undefined;
  paused: boolean;
}

async function openScheduler(project: Project): Promise<TemporalScheduler> {
  const { TemporalScheduler } = await import('@cascadence/temporal');
  const temporal = project.config.temporal ?? {};
  return new TemporalScheduler({
    ...(temporal.address !== undefined ? { address: temporal.address } : {}),
    ...(temporal.namespace !== undefined ? { namespace: temporal.namespace } : {}),
    ...(temporal.apiKey !== undefined ? { apiKey: temporal.apiKey } : {}),
    ...(temporal.searchAttributes !== undefined ? { searchAttributes: temporal.searchAttributes } : {}),
    taskQueue: temporal.taskQueue ?? DEFAULT_TASK_QUEUE,
    registry: project.registry,
    timezone: project.config.timezone ?? 'UTC',
  });
}

async function withScheduler<T>(project: Project, fn: (scheduler: TemporalScheduler) => Promise<T>): Promise<T> {
  const scheduler = await openScheduler(project);
  try {
    return await fn(scheduler);
  } finally {
    await scheduler.stop();
  }
}

function describeJob(job: TemporalScheduleJob): string {
  const next = job.paused ? 'none (paused)' : (job.nextRun?.toISOString() ?? 'never');
  return `"${sanitizeForTerminal(job.cron)}" (${sanitizeForTerminal(job.timezone)}) as Temporal schedule ${sanitizeForTerminal(job.scheduleId)}; next run ${next}`;
}

export async function scheduleOnTemporal(project: Project, name: string, cron: string, flags: TemporalScheduleFlags): Promise<string> {
  const { parseDuration } = await import('@cascadence/scheduler-cron');
  let catchUpWindowMs: number | undefined;
  if (flags.catchUp !== undefined) {
    try {
      catchUpWindowMs = parseDuration(flags.catchUp, '--catch-up');
    } catch (error) {
      throw usageError((error as Error).message);
    }
  }
  const job = await withScheduler(project, (scheduler) =>
    scheduler.schedule(name, cron, {
      ...(flags.timezone !== undefined ? { timezone: flags.timezone } : {}),
      // The flag offers the policies every scheduler shares (core's ScheduleOverlap).
      ...(flags.overlap !== undefined ? { overlap: flags.overlap as ScheduleOverlap } : {}),
      ...(catchUpWindowMs !== undefined ? { catchUpWindowMs } : {}),
      ...(flags.jitter !== undefined ? { jitterMs: flags.jitter } : {}),
      ...(flags.paused ? { paused: true } : {}),
    }),
  );
  return `${sanitizeForTerminal(name)} scheduled ${describeJob(job)}`;
}

export async function unscheduleOnTemporal(project: Project, name: string): Promise<string> {
  try {
    await withScheduler(project, (scheduler) => scheduler.unschedule(name));
  } catch (error) {
    if (!CascadenceError.isInstance(error, ErrorCode.UNKNOWN_SCHEDULE)) throw error;
    const namespace = project.config.temporal?.namespace ?? 'default';
    throw new CliError(
      CliErrorCode.INPUT,
      `task "${sanitizeForTerminal(name)}" has no Temporal schedule in namespace "${sanitizeForTerminal(namespace)}"`,
      undefined,
      {
        suggestions: ['list them with: task schedules --backend temporal'],
      },
    );
  }
  return `${sanitizeForTerminal(name)} unscheduled (Temporal schedule deleted; runs already started keep going)`;
}

export interface TemporalScheduleRow {
  task: string;
  cron: string;
  timezone: string;
  nextRun: string | null;
  paused: boolean;
  overlap: TemporalOverlapPolicy;
  catchUpWindowMs: number;
  jitterMs: number;
  scheduleId: string;
  runs: number;
  known: boolean;
}

export async function listTemporalSchedules(project: Project): Promise<TemporalScheduleRow[]> {
  const jobs = await withScheduler(project, (scheduler) => scheduler.jobs());
  return jobs.map((job) => ({
    task: job.task,
    cron: job.cron,
    timezone: job.timezone,
    nextRun: job.paused || job.nextRun === null ? null : job.nextRun.toISOString(),
    paused: job.paused,
    overlap: job.overlap,
    catchUpWindowMs: job.catchUpWindowMs,
    jitterMs: job.jitterMs,
    scheduleId: job.scheduleId,
    runs: job.runs,
    known: project.registry.has(job.task),
  }));
}

/** One line per schedule, names and expressions escaped. */
export function formatTemporalSchedules(rows: TemporalScheduleRow[]): string {
  if (rows.length === 0) return 'no Temporal schedules';
  const shown = rows.map((r) => ({
    ...r,
    task: sanitizeForTerminal(r.task),
    cron: sanitizeForTerminal(r.cron),
    timezone: sanitizeForTerminal(r.timezone),
  }));
  const width = Math.max(...shown.map((r) => r.task.length));
  const cronWidth = Math.max(...shown.map((r) => r.cron.length + 2));
  return shown
    .map((r) => {
      const notes = [r.paused ? 'paused' : '', r.known ? '' : 'unknown task', `overlap ${r.overlap}`, `${r.runs} runs`]
        .filter(Boolean)
        .join(', ');
      return `${r.task.padEnd(width)}  ${`"${r.cron}"`.padEnd(cronWidth)}  ${r.timezone}  next ${r.nextRun ?? '-'}  (${notes})`;
    })
    .join('\n');
}
