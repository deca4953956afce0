import { sanitizeForTerminal } from '@cascadence/core';
import * as Args from '@oclif/core/args';
import { BaseCommand } from '../base-command';
import { updateTaskState } from '../project/task-state';

/** `task enable` and `task disable`: persisted in `.cascadence/tasks.json`, seen by every later process. */
const toggleArgs = { name: Args.string({ description: 'Task or flow name', required: true }) };

abstract class ToggleCommand extends BaseCommand {
  protected abstract readonly enabled: boolean;

  async run(): Promise<void> {
    // oclif's parse() copies only the class's own static fields, so each subclass declares its args.
    const { args, flags } = await this.parse(this.constructor as typeof Enable);
    const project = await this.project(flags.cwd);
    project.registry.get(args.name); // unknown names fail here, with a suggestion
    await updateTaskState(project.taskStateFile, (state) => ({
      disabled: this.enabled ? state.disabled.filter((n) => n !== args.name) : [...state.disabled, args.name],
    }));
    this.out(`${sanitizeForTerminal(args.name)} ${this.enabled ? 'enabled' : 'disabled'}`);
  }
}

export class Enable extends ToggleCommand {
  static override summary = 'Enable a task (undo `task disable`)';
  static override args = toggleArgs;
  static override examples = ['<%= config.bin %> enable nightly-report'];
  protected readonly enabled = true;
}

export class Disable extends ToggleCommand {
  static override summary = 'Disable a task: it refuses to run and schedules skip it';
  static override args = toggleArgs;
  static override examples = ['<%= config.bin %> disable nightly-report'];
  protected readonly enabled = false;
}
