import { CascadenceError } from '@cascadence/core';
import { Command, Flags } from '@oclif/core';
import { CliError } from './errors';
import { loadProject, type Project } from './project/project';

/** Shared by every `task` command: the `--cwd` flag, project loading and error conversion. */
export abstract class BaseCommand extends Command {
  static override baseFlags = {
    cwd: Flags.directory({
      description: 'Run as if started in this folder (the project is found from here)',
      helpGroup: 'GLOBAL',
      exists: true,
    }),
  };

  protected async project(cwd: string | undefined): Promise<Project> {
    return loadProject({ cwd: cwd ?? process.cwd(), warn: (line) => process.stderr.write(`${line}\n`) });
  }

  /** Print a line to stdout. */
  protected out(text: string): void {
    process.stdout.write(`${text}\n`);
  }

  /** Unlike oclif's default, never touch process.exitCode: `main()` must leave the host process alone. */
  override async catch(error: Error & { exitCode?: number }): Promise<never> {
    if (CascadenceError.isInstance(error) && !(error instanceof CliError) && error.name !== 'CliError') {
      throw new CliError(error.code, error.message, undefined, { cause: error, suggestions: error.suggestions });
    }
    throw error;
  }
}
