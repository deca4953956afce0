import { sanitizeForTerminal } from '@cascadence/core';
import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../base-command';
import { SCHEDULE_BACKENDS, scheduleOnTemporal } from '../temporal-schedules';

export default class Schedule extends BaseCommand {
  static override summary = 'Schedule a task with a cron expression (adds or replaces its entry in schedules.yml)';
  static override description =
    'The expression is checked before the file is touched: 5 fields, 6 with seconds first, or a macro such as @daily. A running `task scheduler` picks the change up without a restart.';
  static override examples = [
    `<%= config.bin %> schedule nightly-report "30 2 * * 1-5" --timezone Europe/Paris`,
    `<%= config.bin %> schedule example @hourly`,
    `<%= config.bin %> schedule nightly-report "30 2 * * *" --backend temporal`,
  ];
  static override args = {
    name: Args.string({ description: 'Task or flow name', required: true }),
    cron: Args.string({ description: 'Cron expression, e.g. "0 12 * * *"', required: true }),
  };
  static override flags = {
    timezone: Flags.string({ description: "IANA time zone of the expression (default: the config's, else UTC)" }),
    overlap: Flags.string({ description: 'When the previous run is still going', options: ['skip', 'buffer-one', 'allow'] }),
    'catch-up': Flags.string({ description: 'Run one missed fire after downtime if it is at most this old (e.g. 1h)' }),
    jitter: Flags.integer({ description: 'Delay each fire by a random 0..N milliseconds', min: 0 }),
    paused: Flags.boolean({ description: 'Write the schedule paused' }),
    backend: Flags.string({
      description: 'Where the schedule lives: schedules.yml (local, default) or a Temporal Schedule (temporal)',
      options: [...SCHEDULE_BACKENDS],
    }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Schedule);
    const project = await this.project(flags.cwd);
    project.registry.get(args.name); // unknown names fail before the file is touched
    if (flags.backend === 'temporal') {
      const catchUp = flags['catch-up'];
      this.out(
        await scheduleOnTemporal(project, args.name, args.cron, {
          timezone: flags.timezone,
          overlap: flags.overlap,
          catchUp,
          jitter: flags.jitter,
          paused: flags.paused,
        }),
      );
      return;
    }
    const { upsertSchedule, parseCronExpression } = await import('@cascadence/scheduler-cron');
    const timezone = flags.timezone ?? project.config.timezone;
    const options = {
      ...(timezone !== undefined ? { timezone } : {}),
      ...(flags.overlap !== undefined ? { overlap: flags.overlap as 'skip' | 'buffer-one' | 'allow' } : {}),
      ...(flags['catch-up'] !== undefined ? { catchUp: { window: flags['catch-up'] } } : {}),
      ...(flags.jitter !== undefined ? { jitterMs: flags.jitter } : {}),
      ...(flags.paused ? { paused: true } : {}),
    };
    const result = await upsertSchedule(project.schedulesPath, args.name, args.cron, options);
    // The entry as written: options left out keep the file's values (its own zone, say).
    const entry = result.entries.find((candidate) => candidate.task === args.name);
    const zone = entry?.timezone ?? project.config.timezone ?? 'UTC';
    const next = entry?.paused ? null : parseCronExpression(entry?.cron ?? args.cron, zone).next();
    const cron = entry?.cron ?? args.cron.trim();
    const shownCron = cron.length > 80 ? `${cron.slice(0, 80)}…` : cron;
    this.out(
      `${sanitizeForTerminal(args.name)} scheduled "${sanitizeForTerminal(shownCron)}" (${sanitizeForTerminal(zone)}); next run ${entry?.paused ? 'none (paused)' : next === null ? 'never' : next.toISOString()}`,
    );
  }
}
