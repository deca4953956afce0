import { sanitizeForTerminal } from '@cascadence/core';
import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../base-command';
import { toJson } from '../output';

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
    const project = await this.project(flags.cwd);
    const entries: Array<{
      name: string;
      kind: 'task' | 'flow';
      enabled: boolean;
      description: string | null;
      source: string;
      error?: string;
    }> = project.registry
      .list()
      .map(({ name, kind, enabled, description, source }) => ({ name, kind, enabled, description: description ?? null, source }));
    // Broken flow files are listed too, with their error, so they are not silently missing.
    for (const broken of project.brokenFlows) {
      entries.push({
        name: broken.name,
        kind: 'flow',
        enabled: project.registry.isEnabled(broken.name),
        description: null,
        source: broken.file,
        error: broken.error.message,
      });
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    if (flags.json) {
      this.outRaw(toJson(entries));
      return;
    }
    // Names and descriptions come from flow files and plugins: escape control characters, so a
    // newline cannot forge a row and an escape sequence cannot reach the terminal.
    const rows = entries.map((e) => ({
      ...e,
      name: sanitizeForTerminal(e.name),
      description: e.error !== undefined ? sanitizeForTerminal(e.error) : e.description === null ? '' : sanitizeForTerminal(e.description),
    }));
    const width = Math.max(4, ...rows.map((e) => e.name.length));
    for (const e of rows) {
      const state = e.error !== undefined ? 'broken  ' : e.enabled ? 'enabled ' : 'disabled';
      this.out(`${e.name.padEnd(width)}  ${e.kind.padEnd(4)}  ${state}  ${e.description}`.trimEnd());
    }
  }
}
