import {
  CascadenceError,
  closestNames,
  compareNames,
  ErrorCode,
  isFlow,
  isTask,
  SCHEDULER_DEFAULTS,
  type Runnable,
  type Scheduler,
  type ScheduleOverlap,
  type ScheduleView,
  type StepResolver,
} from '@cascadence/core';
import {
  Client,
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  type Connection,
  type ScheduleDescription,
  type ScheduleOptions,
  type ScheduleOverlapPolicy,
  type ScheduleUpdateOptions,
} from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { buildRunSpec, resolveRunSettings, workflowArgument, type TemporalRunSettings } from './backend';
import { ensureSearchAttributes, runSearchAttributes } from './search-attributes';
import { LazyClient, resolveConnectionOptions, type ResolvedConnectionOptions, type TemporalConnectionOptions } from './connection';
import { TemporalErrorCode, temporalError } from './errors';
import { WORKFLOW_TYPE } from './wire';

/**
 * What happens when a fire is due while the previous run still goes. Default `skip`. The three
 * policies every scheduler has (core's ScheduleOverlap), plus Temporal's own three.
 */
export type TemporalOverlapPolicy = ScheduleOverlap | 'buffer-all' | 'cancel-other' | 'terminate-other';

const OVERLAP: Record<TemporalOverlapPolicy, ScheduleOverlapPolicy> = {
  skip: 'SKIP',
  'buffer-one': 'BUFFER_ONE',
  allow: 'ALLOW_ALL',
  'buffer-all': 'BUFFER_ALL',
  'cancel-other': 'CANCEL_OTHER',
  'terminate-other': 'TERMINATE_OTHER',
};

/** The smallest catch-up window Temporal accepts: what "no catch-up" means on Temporal. */
export const MIN_CATCHUP_WINDOW_MS = 10_000;

export interface TemporalScheduleOptions {
  /** IANA zone the expression is read in; default the scheduler's timezone. */
  timezone?: string;
  overlap?: TemporalOverlapPolicy;
  /**
   * Fires missed during an outage are still run if no older than this. Default: off, as the cron
   * scheduler — Temporal's minimum window, 10 s (Temporal's own default would be 1 year).
   */
  catchUpWindowMs?: number;
  /** Each fire is delayed by a random amount up to this. */
  jitterMs?: number;
  /** Create the schedule paused. */
  paused?: boolean;
  /** Pause the schedule when a run fails. */
  pauseOnFailure?: boolean;
  /** Input of every run. */
  input?: unknown;
  /** Free text shown by Temporal next to the schedule state. */
  note?: string;
}

/** One Temporal Schedule: core's ScheduleView (`catchUpWindowMs` 10 000 means none, as far as Temporal allows), plus Temporal's own facts. */
export interface TemporalScheduleJob extends ScheduleView {
  overlap: TemporalOverlapPolicy;
  scheduleId: string;
  note: string | undefined;
  /** Runs started so far by this schedule. */
  runs: number;
}

export interface TemporalSchedulerOptions extends TemporalConnectionOptions, TemporalRunSettings {
  /** Task queue of the workers that run the scheduled tasks. */
  taskQueue: string;
  /** Tasks and flows that may be scheduled by name. */
  tasks?: Runnable[];
  /** Or a Registry: resolves names (also inside flows) and refuses disabled tasks. */
  registry?: StepResolver & { get?(name: string): Runnable };
  /** Default timezone of expressions; default `UTC`, as every Cascadence scheduler. */
  timezone?: string;
  connection?: Connection | NativeConnection;
  client?: Client;
  /** Schedule ids are `<prefix><task name>`. Default `cascadence-`. */
  schedulePrefix?: string;
  /** Index scheduled runs by `CascadenceTask` and `CascadenceTrigger=schedule` (as TemporalBackend). Default true. */
  searchAttributes?: boolean;
}

/** Cascadence crontab (5 fields, or 6 with seconds first) to a Temporal cron string. */
export function toTemporalCron(expression: string, task: string): string {
  const text = typeof expression === 'string' ? expression.trim() : '';
  if (text.startsWith('@')) return text;
  const fields = text === '' ? [] : text.split(/\s+/);
  if (fields.length === 5) return fields.join(' ');
  // Cascadence's 6-field form puts seconds first; Temporal's 7-field form is seconds ... year.
  if (fields.length === 6) return `${fields.join(' ')} *`;
  throw temporalError(
    TemporalErrorCode.SCHEDULE,
    `invalid cron expression ${JSON.stringify(expression)} for task "${task}": expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first`,
    { details: { task, cron: expression } },
  );
}

/**
 * Schedules on Temporal: same shape as the cron scheduler (schedule, unschedule, jobs, pause,
 * resume), but each job is a Temporal Schedule, so firing survives the loss of any machine.
 */
export class TemporalScheduler implements Scheduler<TemporalScheduleJob> {
  readonly taskQueue: string;
  readonly timezone: string;
  private readonly options: TemporalSchedulerOptions;
  private readonly connectionOptions: ResolvedConnectionOptions;
  private readonly prefix: string;
  private readonly known = new Map<string, Runnable>();
  private readonly lazyClient: LazyClient;

  constructor(options: TemporalSchedulerOptions) {
    if (typeof options?.taskQueue !== 'string' || options.taskQueue === '') {
      throw new CascadenceError(ErrorCode.INVALID_DEFINITION, 'TemporalScheduler needs a taskQueue (the one your workers poll)');
    }
    this.options = options;
    this.taskQueue = options.taskQueue;
    this.connectionOptions = resolveConnectionOptions(options);
    this.lazyClient = new LazyClient(options, this.connectionOptions);
    this.timezone = options.timezone ?? SCHEDULER_DEFAULTS.timezone;
    this.prefix = options.schedulePrefix ?? 'cascadence-';
    for (const task of options.tasks ?? []) this.known.set(task.name, task);
    resolveRunSettings(options);
  }

  /** Connects and checks the namespace (schedules live on the server; there is no local timer). */
  async start(): Promise<void> {
    await this.client();
  }

  /** Closes the connection the scheduler opened; the schedules keep firing on Temporal. */
  async stop(): Promise<void> {
    await this.lazyClient.close();
  }

  scheduleId(task: string): string {
    return `${this.prefix}${task}`;
  }

  /** Creates or updates (never duplicates) the Temporal Schedule of `task`. */
  async schedule(task: Runnable | string, cron: string, options: TemporalScheduleOptions = {}): Promise<TemporalScheduleJob> {
    const runnable = this.resolve(task);
    const expression = toTemporalCron(cron, runnable.name);
    const overlap = options.overlap ?? SCHEDULER_DEFAULTS.overlap;
    if (!Object.hasOwn(OVERLAP, overlap)) {
      const suggestions = overlap === ('allow-all' as string) ? ['allow'] : closestNames(String(overlap), Object.keys(OVERLAP));
      const hint = suggestions[0] === undefined ? '' : ` (did you mean "${suggestions[0]}"?)`;
      throw temporalError(
        TemporalErrorCode.SCHEDULE,
        `schedule of "${runnable.name}": overlap must be one of ${Object.keys(OVERLAP).join(', ')} (got ${JSON.stringify(overlap)})${hint}`,
        {
          suggestions,
        },
      );
    }
    const timezone = options.timezone ?? this.timezone;
    // An empty run id makes every fire use its own Temporal run id as the Cascadence run id.
    const spec = workflowArgument(buildRunSpec(runnable, options.input, '', resolveRunSettings(this.options), this.options.registry));
    const scheduleId = this.scheduleId(runnable.name);
    const action: ScheduleOptions['action'] = {
      type: 'startWorkflow',
      workflowType: WORKFLOW_TYPE,
      taskQueue: this.taskQueue,
      workflowId: `${scheduleId}-run`,
      args: [spec],
      memo: { cascadenceTask: runnable.name, cascadenceCron: cron },
      ...(this.options.searchAttributes === false ? {} : { typedSearchAttributes: runSearchAttributes(runnable.name, 'schedule') }),
    };
    const body = {
      spec: { cronExpressions: [expression], timezone, ...(options.jitterMs === undefined ? {} : { jitter: options.jitterMs }) },
      action,
      policies: {
        overlap: OVERLAP[overlap],
        pauseOnFailure: options.pauseOnFailure ?? false,
        catchupWindow: Math.max(MIN_CATCHUP_WINDOW_MS, options.catchUpWindowMs ?? MIN_CATCHUP_WINDOW_MS),
      },
      state: { paused: options.paused ?? false, ...(options.note === undefined ? {} : { note: options.note }) },
    };
    const client = await this.client();
    if (this.options.searchAttributes !== false)
      await ensureSearchAttributes(client, client.options.namespace, this.connectionOptions.address);
    try {
      await client.schedule.create({ scheduleId, memo: { cascadenceTask: runnable.name }, ...body });
    } catch (error) {
      if (!(error instanceof ScheduleAlreadyRunning)) throw this.scheduleError(error, runnable.name, cron);
      try {
        await client.schedule.getHandle(scheduleId).update(() => body as ScheduleUpdateOptions);
      } catch (updateError) {
        throw this.scheduleError(updateError, runnable.name, cron);
      }
    }
    return (await this.job(runnable.name)) as TemporalScheduleJob;
  }

  /** Deletes the schedule of `task` (runs already started are not touched); none is `CASCADENCE_UNKNOWN_SCHEDULE`. */
  async unschedule(task: string): Promise<void> {
    await this.withHandle(task, (handle) => handle.delete());
  }

  /** The schedule of one task, or undefined. */
  async job(task: string): Promise<TemporalScheduleJob | undefined> {
    const client = await this.client();
    try {
      return this.toJob(task, await client.schedule.getHandle(this.scheduleId(task)).describe());
    } catch (error) {
      if (error instanceof ScheduleNotFoundError) return undefined;
      throw this.scheduleError(error, task, undefined);
    }
  }

  /**
   * Every Cascadence schedule in the namespace (ids starting with the prefix), sorted by task.
   * Listing goes through Temporal's visibility store, which can lag a second behind changes.
   */
  async jobs(): Promise<TemporalScheduleJob[]> {
    const client = await this.client();
    const tasks: string[] = [];
    for await (const summary of client.schedule.list()) {
      if (!summary.scheduleId.startsWith(this.prefix)) continue;
      tasks.push(summary.scheduleId.slice(this.prefix.length));
    }
    const jobs = await Promise.all(tasks.map((task) => this.job(task)));
    return jobs.filter((job): job is TemporalScheduleJob => job !== undefined).sort((a, b) => compareNames(a.task, b.task));
  }

  async pause(task: string, note = 'paused by Cascadence'): Promise<void> {
    await this.withHandle(task, (handle) => handle.pause(note));
  }

  async resume(task: string, note = 'resumed by Cascadence'): Promise<void> {
    await this.withHandle(task, (handle) => handle.unpause(note));
  }

  /** Fires the task now (the overlap policy still applies). */
  async trigger(task: string): Promise<void> {
    await this.withHandle(task, (handle) => handle.trigger());
  }

  private async withHandle(task: string, fn: (handle: ReturnType<Client['schedule']['getHandle']>) => Promise<void>): Promise<void> {
    const client = await this.client();
    try {
      await fn(client.schedule.getHandle(this.scheduleId(task)));
    } catch (error) {
      if (error instanceof ScheduleNotFoundError) {
        throw new CascadenceError(ErrorCode.UNKNOWN_SCHEDULE, `task "${task}" has no Temporal schedule (id "${this.scheduleId(task)}")`, {
          details: { task, scheduleId: this.scheduleId(task) },
          suggestions: ['list the schedules with jobs() (or `task schedules --backend temporal`)'],
        });
      }
      throw this.scheduleError(error, task, undefined);
    }
  }

  private toJob(task: string, description: ScheduleDescription): TemporalScheduleJob {
    const memo = (description.action as { memo?: Record<string, unknown> }).memo ?? {};
    const overlapName = Object.entries(OVERLAP).find(([, value]) => value === description.policies.overlap)?.[0] ?? 'skip';
    return {
      task: typeof memo.cascadenceTask === 'string' ? memo.cascadenceTask : task,
      cron: typeof memo.cascadenceCron === 'string' ? memo.cascadenceCron : '',
      timezone: description.spec.timezone ?? 'UTC',
      nextRun: description.info.nextActionTimes[0] ?? null,
      paused: description.state.paused,
      overlap: overlapName as TemporalOverlapPolicy,
      scheduleId: description.scheduleId,
      note: description.state.note,
      runs: description.info.numActionsTaken,
      catchUpWindowMs: description.policies.catchupWindow,
      jitterMs: description.spec.jitter ?? 0,
    };
  }

  private resolve(task: Runnable | string): Runnable {
    let runnable: Runnable;
    if (typeof task === 'string') {
      const known = this.known.get(task);
      if (known !== undefined) runnable = known;
      else if (this.options.registry !== undefined) runnable = this.options.registry.get?.(task) ?? this.options.registry.resolveTask(task);
      else {
        throw new CascadenceError(
          ErrorCode.UNKNOWN_TASK,
          `unknown task "${task}": give the scheduler { tasks } or { registry }, or pass the task object`,
          {
            details: { task },
          },
        );
      }
    } else if (isTask(task) || isFlow(task)) {
      runnable = task;
    } else {
      throw new CascadenceError(ErrorCode.INVALID_DEFINITION, 'TemporalScheduler.schedule expects a task, a flow or a task name');
    }
    if (this.options.registry?.isEnabled !== undefined && !this.options.registry.isEnabled(runnable.name)) {
      throw new CascadenceError(ErrorCode.TASK_DISABLED, `task "${runnable.name}" is disabled; a disabled task is never scheduled`, {
        suggestions: [`enable it with: task enable ${runnable.name}`],
      });
    }
    this.known.set(runnable.name, runnable);
    return runnable;
  }

  private scheduleError(error: unknown, task: string, cron: string | undefined): Error {
    if (CascadenceError.isInstance(error)) return error;
    const message = error instanceof Error ? error.message : String(error);
    const what = cron === undefined ? `schedule of task "${task}"` : `schedule ${JSON.stringify(cron)} of task "${task}"`;
    return temporalError(TemporalErrorCode.SCHEDULE, `${what} on Temporal ${this.connectionOptions.address}: ${message}`, {
      details: { task, cron },
    });
  }

  private client(): Promise<Client> {
    return this.lazyClient.get();
  }
}
