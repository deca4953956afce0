import { sanitizeForTerminal } from '@cascadence/core';
import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../base-command';
import { toJson } from '../output';
import { SCHEDULE_BACKENDS, formatTemporalSchedules, listTemporalSchedules } from '../temporal-schedules';
import { formatInZone } from '../zoned-time';

export default class Schedules extends BaseCommand {
  static override summary = 'List the schedules in schedules.yml with their next and last runs';
  static override examples = ['<%= config.bin %> schedules', '<%= config.bin %> schedules --json'];
  static override flags = {
    json: Flags.boolean({
      description:
        'Print an array of { task, cron, timezone, nextRun, lastRun, paused, known, enabled } (times as ISO-8601 UTC; temporal: { task, cron, timezone, nextRun, paused, overlap, catchUpWindowMs, jitterMs, scheduleId, runs, known })',
    }),
    utc: Flags.boolean({ description: "Show next and last runs in UTC instead of each schedule's own zone" }),
    backend: Flags.string({
      description: 'Where the schedule lives: schedules.yml (local, default) or a Temporal Schedule (temporal)',
      options: [...SCHEDULE_BACKENDS],
    }),
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
    // Large files repeat a few expressions: each (expression, zone) is parsed and stepped once.
    const nextRuns = new Map<string, string | null>();
    const nextRun = (cron: string, timezone: string): string | null => {
      const key = `${timezone}\n${cron}`;
      let next = nextRuns.get(key);
      if (next === undefined) {
        next = parseCronExpression(cron, timezone).next(now)?.toISOString() ?? null;
        nextRuns.set(key, next);
      }
      return next;
    };
    const rows = entries.map((entry) => {
      const timezone = entry.timezone ?? project.config.timezone ?? 'UTC';
      const next = entry.paused ? null : nextRun(entry.cron, timezone);
      const lastRun = state.get(entry.task)?.lastRun;
      return {
        task: entry.task,
        cron: entry.cron,
        timezone,
        nextRun: next,
        lastRun: lastRun === undefined || lastRun === null ? null : new Date(lastRun).toISOString(),
        paused: entry.paused === true,
        known: project.registry.has(entry.task),
        enabled: project.registry.isEnabled(entry.task),
      };
    });
    for (const problem of problems) process.stderr.write(`warning: ${sanitizeForTerminal(problem.message)}\n`);
    for (const row of rows) {
      if (!row.paused && row.nextRun === null) {
        process.stderr.write(
          `warning: ${sanitizeForTerminal(`schedule "${row.task}" has no next fire time in ${row.timezone}: it will not fire`)}\n`,
        );
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
    const formatted = new Map<string, string>();
    const when = (iso: string | null, zone: string): string => {
      if (iso === null) return '-';
      const shownZone = flags.utc ? 'UTC' : zone;
      const key = `${shownZone}\n${iso}`;
      let text = formatted.get(key);
      if (text === undefined) {
        text = formatInZone(new Date(iso), shownZone);
        formatted.set(key, text);
      }
      return text;
    };
    // Columns in parallel arrays, widths in the same pass; expressions and zones repeat, so
    // their escaped text is memoised (100,000 rows: no per-row copies of the row objects).
    const escaped = new Map<string, string>();
    const escape = (text: string): string => {
      let out = escaped.get(text);
      if (out === undefined) {
        out = sanitizeForTerminal(text);
        escaped.set(text, out);
      }
      return out;
    };
    const count = rows.length;
    const tasks: string[] = new Array<string>(count);
    const crons: string[] = new Array<string>(count);
    const zones: string[] = new Array<string>(count);
    const nexts: string[] = new Array<string>(count);
    let [taskWidth, cronWidth, zoneWidth, nextWidth] = [0, 0, 0, 0];
    for (let i = 0; i < count; i++) {
      const r = rows[i] as (typeof rows)[number];
      const task = (tasks[i] = sanitizeForTerminal(r.task));
      const cron = (crons[i] = `"${escape(r.cron)}"`);
      const zone = (zones[i] = escape(r.timezone));
      const next = (nexts[i] = r.paused ? 'paused' : when(r.nextRun, r.timezone));
      if (task.length > taskWidth) taskWidth = task.length;
      if (cron.length > cronWidth) cronWidth = cron.length;
      if (zone.length > zoneWidth) zoneWidth = zone.length;
      if (next.length > nextWidth) nextWidth = next.length;
    }
    // One write per 1,000 lines: 100,000 rows written one by one cost more than building them.
    let lines: string[] = [];
    for (let i = 0; i < count; i++) {
      const r = rows[i] as (typeof rows)[number];
      const notes = r.known ? (r.enabled ? '' : '  (disabled)') : r.enabled ? '  (unknown task)' : '  (unknown task, disabled)';
      lines.push(
        `${(tasks[i] as string).padEnd(taskWidth)}  ${(crons[i] as string).padEnd(cronWidth)}  ${(zones[i] as string).padEnd(zoneWidth)}  next ${(nexts[i] as string).padEnd(nextWidth)}  last ${when(r.lastRun, r.timezone)}${notes}`,
      );
      if (lines.length === 1000) {
        this.out(lines.join('\n'));
        lines = [];
      }
    }
    if (lines.length > 0) this.out(lines.join('\n'));
  }
}
