import { sanitizeForTerminal } from '@cascadence/core';
import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../base-command';
import { SCHEDULE_BACKENDS, unscheduleOnTemporal } from '../temporal-schedules';

export default class Unschedule extends BaseCommand {
  static override summary = "Remove a task's schedule from schedules.yml";
  static override examples = ['<%= config.bin %> unschedule nightly-report'];
  static override args = { name: Args.string({ description: 'Scheduled task name', required: true }) };
  static override flags = {
    backend: Flags.string({
      description: 'Where the schedule lives: schedules.yml (local, default) or a Temporal Schedule (temporal)',
      options: [...SCHEDULE_BACKENDS],
    }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Unschedule);
    const project = await this.project(flags.cwd);
    if (flags.backend === 'temporal') {
      this.out(await unscheduleOnTemporal(project, args.name));
      return;
    }
    const { removeSchedule } = await import('@cascadence/scheduler-cron');
    await removeSchedule(project.schedulesPath, args.name);
    this.out(`${sanitizeForTerminal(args.name)} unscheduled`);
  }
}
