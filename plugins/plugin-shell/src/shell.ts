import { spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { CancelledError, CascadenceError, defineProcessor, TimeoutError, type Processor, type TaskContext } from '@cascadence/core';
import { buildEnv } from './env';
import { ShellErrorCode } from './errors';
import { checkShellOptions, shellOptionsSchema, type CheckedShellOptions, type ShellOptions } from './options';
import { LineSplitter, OutputCapture, stripFinalNewline } from './output';
import { killProcessTree, liveGroupMembers, trackGroup, untrackGroup } from './process-tree';

/** What a `shell` step returns. */
export interface ShellResult {
  /** The exit code; null when the process was killed by a signal. */
  exitCode: number | null;
  /** The signal that killed the process, if one did. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when stdout was longer than `maxOutputBytes` and only its beginning is in `stdout`. */
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
}

const isWindows = process.platform === 'win32';
/** Lines of stderr (or stdout, when stderr is empty) quoted in a failure message. */
const TAIL_LINES = 20;
const TAIL_CHARS = 2000;
/** After the command exits, how long to wait for processes it left behind to release its stdout/stderr. */
const CLOSE_AFTER_EXIT_MS = 250;

/** `flow "ci", step "build"`, like the engine's option errors. */
export function stepWhere(ctx: Pick<TaskContext, 'flow' | 'stepId'>): string {
  return ctx.flow === undefined ? `step "${ctx.stepId}"` : `flow "${ctx.flow}", step "${ctx.stepId}"`;
}

/**
 * Runs one command for a step. Resolves to the result; rejects on a non-zero exit (unless
 * `allowFailure`), on `timeoutMs`, and when `ctx.signal` aborts — in the last two cases only
 * after the whole process tree has been terminated (SIGTERM, then SIGKILL after `killGraceMs`).
 */
export function runShell(ctx: TaskContext, options: ShellOptions): Promise<ShellResult> {
  const where = stepWhere(ctx);
  let checked: CheckedShellOptions;
  try {
    checked = checkShellOptions(options ?? {}, where);
  } catch (error) {
    return Promise.reject(error);
  }
  const o = checked;
  const signal = ctx.signal;
  if (signal.aborted) return Promise.reject(abortReason(signal, where));

  let cwd: string | undefined;
  if (o.cwd !== undefined) {
    cwd = resolve(o.cwd);
    let isDirectory = false;
    try {
      isDirectory = statSync(cwd).isDirectory();
    } catch {
      // reported below
    }
    if (!isDirectory) {
      return Promise.reject(
        new CascadenceError(
          ShellErrorCode.SPAWN,
          `${where}: cannot run ${o.label}: working directory ${cwd} does not exist or is not a directory`,
          {
            details: { cwd },
          },
        ),
      );
    }
  }
  let env: NodeJS.ProcessEnv;
  try {
    env = buildEnv(ctx, o.env, o.results, where);
  } catch (error) {
    return Promise.reject(error);
  }

  return new Promise<ShellResult>((resolvePromise, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(o.file, o.argv, {
        cwd,
        env,
        stdio: [o.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        detached: !isWindows,
        windowsHide: true,
      });
    } catch (error) {
      reject(spawnError(error, o, where));
      return;
    }
    const pid = child.pid;
    if (pid !== undefined) trackGroup(pid);

    const stdout = new OutputCapture(o.maxOutputBytes);
    const stderr = new OutputCapture(o.maxOutputBytes);
    const outLines = o.echo ? new LineSplitter((line) => ctx.log.info(line)) : undefined;
    const errLines = o.echo ? new LineSplitter((line) => ctx.log.warn(line)) : undefined;
    let settled = false;
    /** Set once we are killing the tree on purpose (timeout or cancellation): the rejection reason. */
    let stopping: Error | undefined;
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let closeTimer: ReturnType<typeof setTimeout> | undefined;

    const releaseStdio = (): void => {
      child.stdin?.destroy();
      child.stdout?.destroy();
      child.stderr?.destroy();
    };
    const settle = (error: Error | undefined, result?: ShellResult): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (timer !== undefined) clearTimeout(timer);
      if (closeTimer !== undefined) clearTimeout(closeTimer);
      if (pid !== undefined) untrackGroup(pid);
      if (error !== undefined) reject(error);
      else resolvePromise(result as ShellResult);
    };
    const stop = (reason: Error): void => {
      if (stopping !== undefined || settled) return;
      stopping = reason;
      if (pid === undefined) {
        settle(reason);
        return;
      }
      killProcessTree(pid, o.killGraceMs).then(
        () => {
          releaseStdio();
          settle(reason);
        },
        () => {
          releaseStdio();
          settle(reason);
        },
      );
    };
    function onAbort(): void {
      stop(abortReason(signal, where));
    }
    signal.addEventListener('abort', onAbort, { once: true });
    if (o.timeoutMs !== undefined) {
      const ms = o.timeoutMs;
      timer = setTimeout(() => stop(new TimeoutError(`${where}: ${o.label}`, ms)), ms);
    }

    child.stdout?.on('data', (chunk: Buffer) => {
      stdout.push(chunk);
      outLines?.push(chunk);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr.push(chunk);
      errLines?.push(chunk);
    });
    if (o.input !== undefined && child.stdin) {
      // A command that exits without reading its stdin makes the write fail with EPIPE: not our error.
      child.stdin.on('error', () => {});
      child.stdin.end(o.input);
    }

    child.on('error', (error) => {
      // Spawning failed (no pid). Errors of a later kill() are handled where we kill.
      if (pid === undefined) settle(spawnError(error, o, where));
    });

    child.on('exit', (code, exitSignal) => {
      exited = { code, signal: exitSignal };
      if (stopping !== undefined || pid === undefined) return;
      void afterExit(pid);
    });

    const afterExit = async (group: number): Promise<void> => {
      if (o.cleanup && !isWindows) {
        const left = liveGroupMembers(group);
        if (left.length > 0) {
          ctx.log.warn(
            `${o.label} exited and left ${left.length} process(es) running (pid ${left.join(', ')}); terminating them (set cleanup: false to keep them)`,
          );
          await killProcessTree(group, o.killGraceMs);
        }
      }
      // Processes outside the group may still hold stdout/stderr open; do not wait for them forever.
      if (!settled) closeTimer = setTimeout(releaseStdio, CLOSE_AFTER_EXIT_MS);
    };

    child.on('close', (code, closeSignal) => {
      if (stopping !== undefined || settled) return;
      outLines?.flush();
      errLines?.flush();
      const exit = exited ?? { code, signal: closeSignal };
      const result = buildResult(exit, stdout, stderr, o);
      for (const [name, capture] of [
        ['stdout', stdout],
        ['stderr', stderr],
      ] as const) {
        if (capture.truncated) {
          ctx.log.warn(`${name} of ${o.label} was ${capture.totalBytes} bytes; kept the first ${o.maxOutputBytes} (maxOutputBytes)`);
        }
      }
      if ((exit.code !== 0 || exit.signal !== null) && !o.allowFailure) settle(exitError(result, stdout, stderr, o, where));
      else settle(undefined, result);
    });
  });
}

function buildResult(
  exit: { code: number | null; signal: NodeJS.Signals | null },
  stdout: OutputCapture,
  stderr: OutputCapture,
  o: CheckedShellOptions,
): ShellResult {
  const finish = (text: string): string => (o.stripFinalNewline ? stripFinalNewline(text) : text);
  return {
    exitCode: exit.code,
    signal: exit.signal,
    stdout: finish(stdout.text()),
    stderr: finish(stderr.text()),
    stdoutTruncated: stdout.truncated,
    stderrTruncated: stderr.truncated,
  };
}

function exitError(
  result: ShellResult,
  stdout: OutputCapture,
  stderr: OutputCapture,
  o: CheckedShellOptions,
  where: string,
): CascadenceError {
  const how = result.signal !== null ? `was killed by signal ${result.signal}` : `exited with code ${result.exitCode}`;
  const [streamName, capture] = stderr.totalBytes > 0 ? (['stderr', stderr] as const) : (['stdout', stdout] as const);
  let tail = capture.lastLines(TAIL_LINES);
  if (tail.length > TAIL_CHARS) tail = `…${tail.slice(-TAIL_CHARS)}`;
  const message = `${where}: ${o.label} ${how}${tail === '' ? ' (no output)' : `\n${streamName} (last lines):\n${tail}`}`;
  return new CascadenceError(ShellErrorCode.EXIT, message, {
    details: { command: o.label, exitCode: result.exitCode, signal: result.signal, stdout: result.stdout, stderr: result.stderr },
  });
}

function spawnError(thrown: unknown, o: CheckedShellOptions, where: string): CascadenceError {
  const error = thrown as NodeJS.ErrnoException;
  const reason =
    error.code === 'ENOENT'
      ? `"${o.file}" was not found (is it installed and on PATH?)`
      : error.code === 'EACCES'
        ? `"${o.file}" is not executable (EACCES)`
        : (error.message ?? String(thrown));
  return new CascadenceError(ShellErrorCode.SPAWN, `${where}: cannot start ${o.label}: ${reason}`, {
    cause: thrown,
    details: { file: o.file, code: error.code },
  });
}

function abortReason(signal: AbortSignal, where: string): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return new CancelledError(where, reason);
}

/** The `shell` processor: `{ uses: shell, with: { command: "make build" } }`. */
export const shell: Processor<ShellOptions, ShellResult> = defineProcessor<ShellOptions, ShellResult>({
  name: 'shell',
  description: 'Runs a command line through /bin/sh -c, or an argv with no shell; returns { exitCode, stdout, stderr }',
  options: shellOptionsSchema,
  validate: (options, where) => {
    checkShellOptions(options, where);
  },
  run: runShell,
});
