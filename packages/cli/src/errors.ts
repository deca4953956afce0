import { CascadenceError, sanitizeForTerminal, unknownName } from '@cascadence/core';

/**
 * Exit codes of the `task` binary: 1 for a failed task or bad input, 2 for usage errors; a stop
 * signal gives 128 + its number (129 SIGHUP, 130 SIGINT, 143 SIGTERM, see stop-signals.ts).
 */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export const CliErrorCode = {
  USAGE: 'CASCADENCE_USAGE',
  TASK_FAILED: 'CASCADENCE_TASK_FAILED',
  CONFIG: 'CASCADENCE_CONFIG',
  STATE: 'CASCADENCE_STATE',
  INPUT: 'CASCADENCE_INPUT',
  /** A stop signal (SIGINT, SIGTERM, SIGHUP) ended the command. */
  INTERRUPTED: 'CASCADENCE_INTERRUPTED',
} as const;

/** An error the CLI reports as one `error: ...` line with a chosen exit code. */
export class CliError extends CascadenceError {
  readonly exitCode: number;
  constructor(code: string, message: string, exitCode = EXIT_FAILURE, options: ConstructorParameters<typeof CascadenceError>[2] = {}) {
    super(code, message, options);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

export function usageError(message: string, suggestions: string[] = []): CliError {
  return new CliError(CliErrorCode.USAGE, message, EXIT_USAGE, { suggestions });
}

/** `unknown flag "--jsn" (did you mean "--json"?); run "task run --help" for the flags` — exit 2. */
export function unknownFlagError(flag: string, known: Iterable<string>, then: string): CliError {
  const bare = flag.replace(/=.*$/, '');
  const { message, suggestions } = unknownName('flag', bare, known, then);
  return usageError(message, suggestions);
}

/** The exit code an error deserves: its own, 2 for oclif's argument/flag parsing errors, else 1. */
export function exitCodeOf(error: unknown): number {
  if (typeof error === 'object' && error !== null) {
    const own = (error as { exitCode?: unknown }).exitCode;
    if (typeof own === 'number') return own;
    if ('parse' in error) return EXIT_USAGE; // oclif CLIParseError and subclasses
    // A flag value its parser refused (e.g. --cwd to a missing folder): oclif rethrows the parser's own error.
    if (error instanceof Error && /^Parsing --\S+ *\n/.test(error.message)) return EXIT_USAGE;
    const oclif = (error as { oclif?: { exit?: unknown } }).oclif;
    if (typeof oclif?.exit === 'number') return oclif.exit;
  }
  return EXIT_FAILURE;
}

/** One line for stderr. */
export function errorLine(error: unknown): string {
  let message: string;
  try {
    message = error instanceof Error ? error.message : String(error);
  } catch {
    message = 'unknown error';
  }
  // oclif spreads parse errors over several lines ("...occurred:\n  --a cannot ...\nSee more help"): fold them into one.
  const lines = message
    .replace(/^Error: /, '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('See more help with'));
  const [first = 'unknown error', ...rest] = lines;
  // "Parsing --flag" is followed by the reason on the next line: keep it ("Parsing --jitter: Expected an integer ...").
  const text =
    rest.length === 0
      ? first
      : first.endsWith(':')
        ? `${first} ${rest.join('; ')}`
        : /^Parsing --\S+$/.test(first)
          ? `${first}: ${rest.join('; ')}`
          : first;
  // Messages quote untrusted text (names from flow files, a server's error body): escape control characters.
  return `error: ${sanitizeForTerminal(text.replace(/\s{2,}/g, ' '))}`;
}
