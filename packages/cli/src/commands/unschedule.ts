import { sanitizeForTerminal } from '@cascadence/core';
import { Args } from '@oclif/core';
import { BaseCommand } from '../base-command';

export default class Unschedule extends BaseCommand {
  static override summary = "Remove a task's schedule from schedules.yml";
  static override examples = ['<%= config.bin %> unschedule nightly-report'];
  static override args = { name: Args.string({ description: 'Scheduled task name', required: true }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Unschedule);
    const project = await this.project(flags.cwd);
    const { removeSchedule } = await import('@cascadence/scheduler-cron');
    await removeSchedule(project.schedulesPath, args.name);
    this.out(`${sanitizeForTerminal(args.name)} unscheduled`);
  }
}
