import { CascadenceError, sanitizeLinesForTerminal } from '@cascadence/core';
import { Command } from '@oclif/core/command';
import * as Flags from '@oclif/core/flags';
import { CliError, unknownFlagError } from './errors';
import { commandProjectOptions, loadProject, type LoadProjectOptions, type Project } from './project/project';

/** Shared by every `task` command: the `--cwd` flag, project loading and error conversion. */
export abstract class BaseCommand extends Command {
  static override baseFlags = {
    cwd: Flags.directory({
      description: 'Run as if started in this folder (the project is found from here)',
      helpGroup: 'GLOBAL',
      exists: true,
    }),
    config: Flags.string({
      description: 'Use this config file (no search; runs it even where the search would refuse to, e.g. in a shared folder)',
      helpGroup: 'GLOBAL',
    }),
  };

  /** Every `--flag` this command accepts, for suggestions. */
  private knownFlags(): string[] {
    const ctor = this.constructor as typeof BaseCommand;
    const names = new Set<string>(['help']);
    for (const flags of [ctor.baseFlags, ctor.flags]) {
      for (const [name, flag] of Object.entries(flags ?? {})) {
        names.add(name);
        for (const alias of (flag as { aliases?: string[] }).aliases ?? []) names.add(alias);
      }
    }
    return [...names].map((name) => `--${name}`);
  }

  /**
   * The project in `cwd`; `using`: the task or flow this command will use, `pluginNeeds`: what it
   * uses of plugins when not everything (see LoadProjectOptions).
   */
  protected async project(cwd: string | undefined, using?: string, pluginNeeds?: LoadProjectOptions['pluginNeeds']): Promise<Project> {
    const { flags } = await this.parse(this.constructor as typeof BaseCommand);
    const configFile = (flags as { config?: string }).config;
    return loadProject({
      ...commandProjectOptions({ cwd, config: configFile }, (line) => process.stderr.write(`${line}\n`), using),
      ...(pluginNeeds !== undefined ? { pluginNeeds } : {}),
    });
  }

  /**
   * Print text to stdout for a person: control characters other than newline and tab are escaped
   * (the lines are the program's own; untrusted fields in them are sanitised where they are formatted).
   */
  protected out(text: string): void {
    process.stdout.write(`${sanitizeLinesForTerminal(text)}\n`);
  }

  /** Print machine-readable output (JSON) exactly as it is. */
  protected outRaw(text: string): void {
    process.stdout.write(`${text}\n`);
  }

  /** Unlike oclif's default, never touch process.exitCode: `main()` must leave the host process alone. */
  override async catch(error: Error & { exitCode?: number }): Promise<never> {
    // oclif's "Nonexistent flag: --jsn" becomes the one unknown-name format, with a suggestion.
    const unknownFlags = (error as { flags?: unknown }).flags;
    if (Array.isArray(unknownFlags) && /^Nonexistent flags?:/.test(error.message) && typeof unknownFlags[0] === 'string') {
      throw unknownFlagError(unknownFlags[0], this.knownFlags(), `run "task ${this.id ?? ''} --help" for the flags`.replace('  ', ' '));
    }
    if (CascadenceError.isInstance(error) && !(error instanceof CliError) && error.name !== 'CliError') {
      throw new CliError(error.code, error.message, undefined, { cause: error, suggestions: error.suggestions });
    }
    throw error;
  }
}
