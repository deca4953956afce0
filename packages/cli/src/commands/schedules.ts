import { sanitizeForTerminal } from '@cascadence/core';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command';
import { toJson } from '../output';
import { SCHEDULE_BACKENDS, formatTemporalSchedules, listTemporalSchedules } from '../temporal-schedules';
import { formatInZone } from '../zoned-time';

export default class Schedules extends BaseCommand {
  static override summary = 'List the schedules in schedules.yml with their next and last runs';
  static override examples = ['<%= config.bin %> schedules', '<%= config.bin %> schedules --json'];
  static override flags = {
    json: Flags.boolean({ description: 'Print an array of { task, cron, timezone, nextRun, lastRun, paused, known, enabled } (times as ISO-8601 UTC; temporal: { task, cron, timezone, nextRun, paused, overlap, catchUpWindowMs, jitterMs, scheduleId, runs, known })' }),
    utc: Flags.boolean({ description: "Show next and last runs in UTC instead of each schedule's own zone" }),
    backend: Flags.string({ description: 'Where the schedule lives: schedules.yml (local, default) or a Temporal Schedule (temporal)', options: [...SCHEDULE_BACKENDS] }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Schedules);
    const project = await this.project(flags.cwd);
    if (flags.backend === 'temporal') {
      const rows = await listTemporalSchedules(project);
      if (flags.json) this.outRaw(toJson(rows));
      else this.out(formatTemporalSchedules(rows));
      return;
    }
    const { inspectSchedules, parseCronExpression, readScheduleState } = await import('@cascadence/scheduler-cron');
    const { entries, problems } = inspectSchedules(project.schedulesPath);
    // Like `task scheduler`: a corrupt state file is a warning; the schedules are still listed.
    let state: ReturnType<typeof readScheduleState> = new Map();
    try {
      state = readScheduleState(project.schedulesPath);
    } catch (error) {
      process.stderr.write(`warning: ${(error as Error).message}; last runs are not shown\n`);
    }
    const now = Date.now();
    const rows = entries.map((entry) => {
      const timezone = entry.timezone ?? project.config.timezone ?? 'UTC';
      const next = entry.paused ? null : parseCronExpression(entry.cron, timezone).next(now);
      const lastRun = state.get(entry.task)?.lastRun;
      return {
        task: entry.task,
        cron: entry.cron,
        timezone,
        nextRun: next?.toISOString() ?? null,
        lastRun: lastRun === undefined || lastRun === null ? null : new Date(lastRun).toISOString(),
        paused: entry.paused === true,
        known: project.registry.has(entry.task),
        enabled: project.registry.isEnabled(entry.task),
      };
    });
    for (const problem of problems) process.stderr.write(`warning: ${sanitizeForTerminal(problem.message)}\n`);
    for (const row of rows) {
      if (!row.paused && row.nextRun === null) {
        process.stderr.write(`warning: ${sanitizeForTerminal(`schedule "${row.task}" has no next fire time in ${row.timezone}: it will not fire`)}\n`);
      }
    }
    if (flags.json) {
      this.outRaw(toJson(rows));
      return;
    }
    if (rows.length === 0) {
      this.out(`no schedules in ${sanitizeForTerminal(project.schedulesPath)}`);
      return;
    }
    // Keys and values of schedules.yml are untrusted text: escape control characters. Times are
    // shown in each schedule's own zone (with its offset), or in UTC with --utc.
    const when = (iso: string | null, zone: string): string => (iso === null ? '-' : formatInZone(new Date(iso), flags.utc ? 'UTC' : zone));
    const shown = rows.map((r) => ({
      ...r,
      task: sanitizeForTerminal(r.task),
      cron: `"${sanitizeForTerminal(r.cron)}"`,
      timezone: sanitizeForTerminal(r.timezone),
      next: r.paused ? 'paused' : when(r.nextRun, r.timezone),
      last: when(r.lastRun, r.timezone),
    }));
    const width = (key: 'task' | 'cron' | 'timezone' | 'next') => Math.max(...shown.map((r) => r[key].length));
    const [taskWidth, cronWidth, zoneWidth, nextWidth] = [width('task'), width('cron'), width('timezone'), width('next')];
    for (const r of shown) {
      const notes = [r.known ? '' : 'unknown task', r.enabled ? '' : 'disabled'].filter(Boolean).join(', ');
      this.out(
        `${r.task.padEnd(taskWidth)}  ${r.cron.padEnd(cronWidth)}  ${r.timezone.padEnd(zoneWidth)}  next ${r.next.padEnd(nextWidth)}  last ${r.last}${notes ? `  (${notes})` : ''}`,
      );
    }
  }
}
