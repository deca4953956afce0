import type { RecordedRunStatus } from '@cascadence/history';
import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../base-command';
import { formatRuns } from '../history-output';
import { toJson } from '../output';
import { openProjectHistory } from '../project/history';

const STATUSES: RecordedRunStatus[] = ['succeeded', 'failed', 'cancelled', 'running', 'interrupted'];
const TRIGGERS = ['cli', 'schedule', 'api', 'retry'] as const;

export default class Runs extends BaseCommand {
  static override summary = 'List recorded runs, newest first';
  static override description =
    'Reads the run history (.cascadence/history.db, or the PostgreSQL server in history.url). A run whose process died is shown as interrupted.';
  static override examples = [
    '<%= config.bin %> runs',
    '<%= config.bin %> runs etl --status failed --since 2h',
    '<%= config.bin %> runs --trigger schedule --json',
  ];
  static override args = { name: Args.string({ description: 'Only runs of this task or flow' }) };
  static override flags = {
    status: Flags.option({ options: STATUSES, description: 'Only runs with this status' })(),
    since: Flags.string({ description: 'Only runs started in this last span (90s, 15m, 2h, 7d) or since an ISO date' }),
    trigger: Flags.option({ options: TRIGGERS, description: 'Only runs started this way' })(),
    limit: Flags.integer({ description: 'At most this many runs', default: 50, min: 1, max: 10_000 }),
    json: Flags.boolean({ description: 'Print the runs as a JSON array' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Runs);
    const project = await this.project(flags.cwd);
    const { parseSince } = await import('@cascadence/history');
    const since = flags.since === undefined ? undefined : parseSince(flags.since);
    const history = await openProjectHistory(project);
    try {
      const runs = await history.runs({
        ...(args.name === undefined ? {} : { task: args.name }),
        ...(flags.status === undefined ? {} : { status: flags.status }),
        ...(flags.trigger === undefined ? {} : { trigger: flags.trigger }),
        ...(since === undefined ? {} : { since }),
        limit: flags.limit,
      });
      if (flags.json) this.outRaw(toJson(runs));
      else if (runs.length === 0)
        this.out('no runs recorded yet' + (args.name === undefined && flags.status === undefined ? '' : ' that match'));
      else this.out(formatRuns(runs));
    } finally {
      await history.close();
    }
  }
}
