import { fileURLToPath } from 'node:url';
import { sanitizeForTerminal, unknownName } from '@cascadence/core';
import { Config } from '@oclif/core/config';
import { run } from '@oclif/core/run';
import { paletteFor } from './colour';
import { errorLine, exitCodeOf, unknownFlagError, usageError } from './errors';

/** Flags the `task` binary takes before any command. */
const GLOBAL_FLAGS = ['--help', '-h', '--version', '-v'];

const packageRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * Runs the `task` CLI in this process with `args` (default: none, which prints help). Never reads
 * process.argv and never calls process.exit: it resolves when the command succeeds and rejects
 * with the error otherwise (`exitCodeOf(error)` gives the exit code the binary would use).
 */
export async function main(args: string[] = []): Promise<void> {
  const config = await Config.load({ root: packageRoot });
  const [first] = args;
  if (first !== undefined && !first.startsWith('-') && first !== 'help') {
    const known = config.findCommand(first) ?? config.findTopic(first);
    if (known === undefined) {
      const { message, suggestions } = unknownName('command', first, config.commandIDs, 'run "task --help" for the list');
      throw usageError(message, suggestions);
    }
  }
  // Before a command, only the global flags exist (oclif would say "command --versoin not found").
  if (first !== undefined && first.startsWith('-') && !GLOBAL_FLAGS.includes(first.replace(/=.*$/, ''))) {
    throw unknownFlagError(
      first,
      GLOBAL_FLAGS.filter((flag) => flag.startsWith('--')),
      'run "task --help" for the list',
    );
  }
  await run(args, config);
}

/** What the `task` binary does: run `main`, print one `error:` line, and return the exit code. */
export async function runBinary(args: string[]): Promise<number> {
  try {
    await main(args);
    return 0;
  } catch (error) {
    const code = exitCodeOf(error);
    // oclif signals a clean early exit (e.g. `this.exit(0)`) with an ExitError of code 0.
    if (code === 0) return 0;
    const line = errorLine(error);
    // "error:" in red on a terminal; the message itself was escaped by errorLine.
    process.stderr.write(`${line.replace(/^error:/, paletteFor(process.stderr).red('error:'))}\n`);
    if (process.env.CASCADENCE_DEBUG && error instanceof Error) {
      const errorCode = (error as { code?: unknown }).code;
      if (typeof errorCode === 'string') process.stderr.write(`code: ${sanitizeForTerminal(errorCode)}\n`);
      process.stderr.write(`${error.stack}\n`);
    }
    return code;
  }
}
