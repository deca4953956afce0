import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../base-command';
import { LIST_PLUGIN_NEEDS, listOutput } from '../list-output';

export default class List extends BaseCommand {
  static override summary = 'List the tasks and flows this project knows';
  static override description =
    'Tasks and flows from the config, YAML flow files, plugins and the built-in `example`, with enabled/disabled state.';
  static override examples = ['<%= config.bin %> list', '<%= config.bin %> list --json'];
  static override flags = {
    json: Flags.boolean({
      description: 'Print an array of { name, kind, enabled, description, source } (and error, for a flow file that is broken)',
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(List);
    const project = await this.project(flags.cwd, undefined, LIST_PLUGIN_NEEDS);
    // The same text the fast path prints (fast-path.ts answers `task list` without loading oclif).
    process.stdout.write(listOutput(project, flags.json));
  }
}
