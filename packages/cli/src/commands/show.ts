import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../base-command';
import { formatRun } from '../history-output';
import { toJson } from '../output';
import { openProjectHistory } from '../project/history';

export default class Show extends BaseCommand {
  static override summary = 'Show one recorded run and its steps';
  static override examples = [
    '<%= config.bin %> show 3f2a9c1e',
    '<%= config.bin %> show 3f2a9c1e --outputs',
    '<%= config.bin %> show 3f2a9c1e --json',
  ];
  static override args = {
    id: Args.string({
      description: 'Run id: the full id, the short id `task runs` shows (its last 8 characters), or a unique start or end of it',
      required: true,
    }),
  };
  static override flags = {
    outputs: Flags.boolean({ description: 'Also print each step’s recorded output' }),
    json: Flags.boolean({ description: 'Print { run, steps, attempts } as JSON' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Show);
    const project = await this.project(flags.cwd);
    const history = await openProjectHistory(project);
    try {
      const run = await history.run(args.id);
      const [steps, attempts] = await Promise.all([history.steps(run.id), history.attempts(run.id)]);
      if (flags.json) this.outRaw(toJson({ run, steps, attempts }));
      else this.out(formatRun(run, steps, attempts, flags.outputs));
    } finally {
      await history.close();
    }
  }
}
