import { NonRetryableError, type OptionsSchema } from '@cascadence/core';
import type { ResultsSelection } from './env';

export type EnvValue = string | number | boolean | null;

/** The `with` of a `uses: shell` step. Exactly one of `command` and `args`. */
export interface ShellOptions {
  /** A command line, run as `<shell> -c <command>` (default shell: /bin/sh). */
  command?: string;
  /** An argv, spawned directly with no shell: `args[0]` is the program, found on PATH. */
  args?: string[];
  /** The shell for `command`. Default `/bin/sh` (`cmd.exe` on Windows). Not allowed with `args`. */
  shell?: string;
  /** Working directory; relative paths are resolved against the process's current directory. */
  cwd?: string;
  /** Merged over process.env (and the CASCADENCE_* variables); `null` removes a variable. */
  env?: Record<string, EnvValue>;
  /** Written to the command's stdin, which is then closed. Without it stdin is /dev/null. */
  input?: string;
  /** Kill the process tree and fail the step after this many milliseconds. */
  timeoutMs?: number;
  /** Between SIGTERM and SIGKILL when the tree is killed. Default 2000. */
  killGraceMs?: number;
  /** Return the result instead of failing when the command exits non-zero or dies of a signal. */
  allowFailure?: boolean;
  /** Remove one final newline from stdout and stderr. Default true. */
  stripFinalNewline?: boolean;
  /** Bytes kept of stdout and of stderr each; the rest is dropped and flagged. Default 1 MiB. */
  maxOutputBytes?: number;
  /** Pass the outputs of the steps in `needs` as CASCADENCE_RESULT_<STEP> variables. Default true. */
  resultsEnv?: boolean;
  /** Pass only these needed steps' outputs, and fail if one cannot be passed. Default: every need, skipping what cannot be passed. */
  results?: string[];
  /** After the command exits, terminate processes it left running in its group. Default true. */
  cleanup?: boolean;
  /** Also log each output line through ctx.log (stdout: info, stderr: warn). Default false. */
  echo?: boolean;
}

export const DEFAULT_KILL_GRACE_MS = 2000;
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;

export const shellOptionsSchema: OptionsSchema = {
  command: { type: 'string', description: 'command line run by /bin/sh -c (exactly one of command, args)' },
  args: { type: 'string[]', description: 'argv spawned directly, without a shell (exactly one of command, args)' },
  shell: { type: 'string', description: 'shell that runs `command` (default /bin/sh)' },
  cwd: { type: 'string', description: 'working directory' },
  env: { type: 'object', description: 'environment variables merged over process.env; null removes one' },
  input: { type: 'string', description: 'text written to stdin' },
  timeoutMs: { type: 'number', description: 'kill the process tree and fail after this many ms' },
  killGraceMs: { type: 'integer', default: DEFAULT_KILL_GRACE_MS, description: 'ms between SIGTERM and SIGKILL' },
  allowFailure: { type: 'boolean', default: false, description: 'a non-zero exit returns the result instead of failing' },
  stripFinalNewline: { type: 'boolean', default: true, description: 'remove one final newline from stdout and stderr' },
  maxOutputBytes: { type: 'integer', default: DEFAULT_MAX_OUTPUT_BYTES, description: 'bytes kept of stdout and of stderr each' },
  resultsEnv: { type: 'boolean', default: true, description: 'expose outputs of needed steps as CASCADENCE_RESULT_<STEP>' },
  results: {
    type: 'string[]',
    description: 'only these needed steps become CASCADENCE_RESULT_<STEP>; one that cannot be passed fails the step',
  },
  cleanup: { type: 'boolean', default: true, description: 'terminate processes the command leaves running' },
  echo: { type: 'boolean', default: false, description: 'log output lines through ctx.log' },
};

/** Options with every default applied and the checks the schema cannot express done. */
export interface CheckedShellOptions {
  file: string;
  argv: string[];
  /** For messages: `command "make build"` or `args "echo hi"`. */
  label: string;
  cwd: string | undefined;
  env: Record<string, EnvValue> | undefined;
  input: string | undefined;
  timeoutMs: number | undefined;
  killGraceMs: number;
  allowFailure: boolean;
  stripFinalNewline: boolean;
  maxOutputBytes: number;
  results: ResultsSelection;
  cleanup: boolean;
  echo: boolean;
}

const isWindows = process.platform === 'win32';

/**
 * The checks that involve more than one option or a value range. The engine has already checked
 * names and types; this runs again here so calling the processor directly is just as safe.
 * A problem is a NonRetryableError: trying the same options again cannot help.
 */
export function checkShellOptions(options: ShellOptions, where: string): CheckedShellOptions {
  const problems: string[] = [];
  const { command, args } = options;
  if (command !== undefined && args !== undefined) {
    problems.push('give either "command" (run by a shell) or "args" (run directly, no shell), not both');
  } else if (command === undefined && args === undefined) {
    problems.push('needs "command" (a command line run by /bin/sh -c) or "args" (an argv run without a shell)');
  }
  if (command !== undefined && (typeof command !== 'string' || command.trim() === ''))
    problems.push('option "command" must be a non-empty string');
  if (args !== undefined) {
    if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) problems.push('option "args" must be a list of strings');
    else if (args.length === 0 || args[0] === '') problems.push('option "args" must start with the program to run');
  }
  if (options.shell !== undefined) {
    if (args !== undefined) problems.push('option "shell" only applies to "command"; "args" never uses a shell');
    else if (typeof options.shell !== 'string' || options.shell === '') problems.push('option "shell" must be a non-empty string');
  }
  const timeoutMs = options.timeoutMs;
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs > 0 && Number.isFinite(timeoutMs))) {
    problems.push(`option "timeoutMs" must be a positive number of milliseconds (got ${String(timeoutMs)})`);
  }
  const killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  if (!(Number.isInteger(killGraceMs) && killGraceMs >= 0))
    problems.push(`option "killGraceMs" must be an integer >= 0 (got ${String(killGraceMs)})`);
  const maxOutputBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  if (!(Number.isInteger(maxOutputBytes) && maxOutputBytes >= 0))
    problems.push(`option "maxOutputBytes" must be an integer >= 0 (got ${String(maxOutputBytes)})`);
  if (options.env !== undefined) {
    if (options.env === null || typeof options.env !== 'object' || Array.isArray(options.env)) {
      problems.push('option "env" must be a mapping of variable names to values');
    } else {
      for (const [name, value] of Object.entries(options.env)) {
        if (name === '' || name.includes('=') || name.includes('\0'))
          problems.push(`option "env": ${JSON.stringify(name)} is not a valid variable name`);
        else if (value !== null && !['string', 'number', 'boolean'].includes(typeof value)) {
          problems.push(
            `option "env": variable "${name}" must be a string, number, boolean or null (got ${Array.isArray(value) ? 'a list' : typeof value})`,
          );
        }
      }
    }
  }
  if (options.input !== undefined && typeof options.input !== 'string') problems.push('option "input" must be a string');
  if (options.results !== undefined) {
    if (!Array.isArray(options.results) || !options.results.every((id) => typeof id === 'string'))
      problems.push('option "results" must be a list of step ids');
    else if (options.resultsEnv === false) problems.push('option "results" lists steps to pass, but "resultsEnv" is false');
  }
  if (options.cwd !== undefined && (typeof options.cwd !== 'string' || options.cwd === ''))
    problems.push('option "cwd" must be a non-empty string');
  if (problems.length > 0) {
    throw new NonRetryableError(`${where}: ${problems.join('; ')}`, { details: { problems, reason: 'invalid-options' } });
  }

  const defaultShell = isWindows ? (process.env.ComSpec ?? 'cmd.exe') : '/bin/sh';
  const shell = options.shell ?? defaultShell;
  const [file, argv] =
    command !== undefined
      ? [shell, isWindows && options.shell === undefined ? ['/d', '/s', '/c', command] : ['-c', command]]
      : [(args as string[])[0] as string, (args as string[]).slice(1)];
  return {
    file,
    argv,
    label:
      command !== undefined
        ? `command ${JSON.stringify(clip(command))}`
        : `args ${JSON.stringify(clip((args as string[]).map(quoteArg).join(' ')))}`,
    cwd: options.cwd,
    env: options.env,
    input: options.input,
    timeoutMs,
    killGraceMs,
    allowFailure: options.allowFailure ?? false,
    stripFinalNewline: options.stripFinalNewline ?? true,
    maxOutputBytes,
    results: options.resultsEnv === false ? false : (options.results ?? 'all'),
    cleanup: options.cleanup ?? true,
    echo: options.echo ?? false,
  };
}

/** Quotes one argv entry the way a POSIX shell would need it, for display only. */
export function quoteArg(arg: string): string {
  if (/^[\w@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

function clip(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
