import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../base-command';
import { routeTemporalLogsToStderr, verboseFlagDescription } from '../temporal-logs';
import { CliError, CliErrorCode } from '../errors';
import { toJson } from '../output';

export default class Replay extends BaseCommand {
  static override summary = 'Replay a Temporal workflow history against the current workflow code';
  static override description =
    'FILE is a history exported with `temporal workflow show --workflow-id ID --output json`. Reports success, or the nondeterminism error and the event where the replay diverged (exit 1).';
  static override examples = ['<%= config.bin %> replay history.json'];
  static override args = { file: Args.string({ description: 'History JSON file', required: true }) };
  static override flags = {
    json: Flags.boolean({ description: 'Print the replay report as JSON' }),
    verbose: Flags.boolean({ description: verboseFlagDescription }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Replay);
    const { replay, formatReplayReport } = await import('@cascadence/temporal');
    const { resolve } = await import('node:path');
    const { existsSync } = await import('node:fs');
    const file = resolve(flags.cwd ?? process.cwd(), args.file);
    if (!existsSync(file)) throw new CliError(CliErrorCode.INPUT, `no such history file: ${file}`);
    await routeTemporalLogsToStderr(flags.verbose);
    const report = await replay(file);
    if (flags.json) this.outRaw(toJson(report));
    else this.out(formatReplayReport(report));
    if (!report.ok)
      throw new CliError(CliErrorCode.TASK_FAILED, `replay of ${args.file} diverged: ${report.error?.message ?? 'unknown error'}`);
  }
}
