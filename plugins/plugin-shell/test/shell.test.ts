import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CascadenceError, defineFlow, Engine, Registry, silentLogger, StepSkipSignal, type TaskContext } from '@cascadence/core';

// A hand-made context (the processor called directly, outside an engine) skips as the engine's does.
const skipOutsideEngine = (reason?: string): never => {
  throw new StepSkipSignal('direct call', reason ?? '');
};
import shellPluginDefault, { runShell, shell, shellPlugin, ShellErrorCode, type ShellResult } from '../src';
import { killQuietly, processRunning, readPidFile, shellEngine, tempDir, waitUntilGone } from './helpers';

jest.setTimeout(30_000);

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.remove());

const output = (result: { steps: Record<string, { output: unknown }> }, step: string) => result.steps[step]?.output as ShellResult;

describe('shell processor: running commands', () => {
  it('runs `command` through /bin/sh -c and returns { exitCode, stdout, stderr } without the final newline', async () => {
    const { run } = shellEngine();
    const result = await run({
      both: { uses: 'shell', with: { command: 'printf "one\\ntwo\\n" | tr a-z A-Z; echo oops >&2' } },
      raw: { uses: 'shell', with: { command: 'printf "x\\n\\n"', stripFinalNewline: false } },
      stripsOne: { uses: 'shell', with: { command: 'printf "x\\n\\n"' } },
    });
    expect(result.status).toBe('succeeded');
    expect(output(result, 'both')).toEqual({
      exitCode: 0,
      signal: null,
      stdout: 'ONE\nTWO',
      stderr: 'oops',
      stdoutTruncated: false,
      stderrTruncated: false,
    });
    expect(output(result, 'raw').stdout).toBe('x\n\n');
    expect(output(result, 'stripsOne').stdout).toBe('x\n');
  });

  it('with `args` no shell is involved: metacharacters reach the program literally', async () => {
    writeFileSync(join(tmp.dir, 'x'), 'keep me');
    const { run } = shellEngine();
    const result = await run({
      direct: { uses: 'shell', with: { args: ['echo', '$HOME; rm -rf x'], cwd: tmp.dir } },
      viaShell: { uses: 'shell', with: { command: 'echo $HOME', cwd: tmp.dir } },
    });
    expect(result.status).toBe('succeeded');
    expect(output(result, 'direct').stdout).toBe('$HOME; rm -rf x');
    expect(existsSync(join(tmp.dir, 'x'))).toBe(true);
    // The contrast: the same text through `command` is expanded by the shell.
    expect(output(result, 'viaShell').stdout).toBe(process.env.HOME ?? homedir());
  });

  it('uses a custom shell for `command` when given', async () => {
    const { run } = shellEngine();
    const result = await run({ s: { uses: 'shell', with: { command: 'echo "$0"', shell: '/bin/sh' } } });
    expect(output(result, 's').stdout).toBe('/bin/sh');
  });

  it('resolves cwd (absolute or relative to the current directory) and fails clearly when it is missing', async () => {
    mkdirSync(join(tmp.dir, 'sub'));
    const { run } = shellEngine();
    const result = await run({
      abs: { uses: 'shell', with: { args: ['pwd'], cwd: join(tmp.dir, 'sub') } },
      missing: { uses: 'shell', with: { command: 'true', cwd: join(tmp.dir, 'nope') } },
    });
    expect(output(result, 'abs').stdout).toMatch(/\/sub$/);
    const error = result.steps.missing?.error as CascadenceError;
    expect(CascadenceError.isInstance(error, ShellErrorCode.SPAWN)).toBe(true);
    expect(error.message).toBe(
      `flow "test-flow", step "missing": cannot run command "true": working directory ${join(tmp.dir, 'nope')} does not exist or is not a directory`,
    );

    const cwd = process.cwd();
    try {
      process.chdir(tmp.dir);
      const relative = await run({ rel: { uses: 'shell', with: { args: ['pwd'], cwd: 'sub' } } });
      expect(output(relative, 'rel').stdout).toMatch(/\/sub$/);
    } finally {
      process.chdir(cwd);
    }
  });

  it('merges env over process.env: overrides win, null removes, numbers and booleans become strings', async () => {
    const { run } = shellEngine();
    process.env.CASCADENCE_SHELL_TEST_INHERITED = 'inherited';
    process.env.CASCADENCE_SHELL_TEST_REMOVED = 'should be gone';
    try {
      const result = await run({
        env: {
          uses: 'shell',
          with: {
            command: 'echo "$CASCADENCE_SHELL_TEST_INHERITED|${CASCADENCE_SHELL_TEST_REMOVED-unset}|$GREETING|$COUNT|$FLAG"',
            env: { GREETING: 'hi there', COUNT: 3, FLAG: false, CASCADENCE_SHELL_TEST_REMOVED: null },
          },
        },
      });
      expect(output(result, 'env').stdout).toBe('inherited|unset|hi there|3|false');
    } finally {
      delete process.env.CASCADENCE_SHELL_TEST_INHERITED;
      delete process.env.CASCADENCE_SHELL_TEST_REMOVED;
    }
  });

  it('writes `input` to stdin; without it stdin is empty (a reader gets EOF instead of hanging)', async () => {
    const { run } = shellEngine();
    const result = await run({
      fed: { uses: 'shell', with: { args: ['cat'], input: 'line 1\nline 2\n' } },
      unfed: { uses: 'shell', with: { args: ['cat'] } },
      ignores: { uses: 'shell', with: { command: 'exit 0', input: 'x'.repeat(1024 * 1024) } },
    });
    expect(result.status).toBe('succeeded');
    expect(output(result, 'fed').stdout).toBe('line 1\nline 2');
    expect(output(result, 'unfed').stdout).toBe('');
  });

  it('exposes CASCADENCE_RUN_ID, _FLOW, _STEP, _ATTEMPT and the outputs of needed steps as CASCADENCE_RESULT_*', async () => {
    const registry = new Registry().addProcessor(shell);
    const engine = new Engine({ resolver: registry, logger: silentLogger });
    const flow = defineFlow({
      name: 'env-flow',
      steps: {
        'make-name': { run: () => 'widget' },
        info: { run: () => ({ count: 2, tags: ['a'] }) },
        version: { uses: 'shell', with: { command: 'echo 1.2.3' } },
        use: {
          uses: 'shell',
          needs: ['make-name', 'info', 'version'],
          with: {
            command: [
              'echo "$CASCADENCE_FLOW/$CASCADENCE_STEP#$CASCADENCE_ATTEMPT"',
              'echo "$CASCADENCE_RESULT_MAKE_NAME"',
              'echo "$CASCADENCE_RESULT_INFO"',
              'echo "$CASCADENCE_RESULT_INFO_COUNT $CASCADENCE_RESULT_INFO_TAGS"',
              'echo "$CASCADENCE_RESULT_VERSION_STDOUT $CASCADENCE_RESULT_VERSION_EXITCODE"',
              'echo "$CASCADENCE_RUN_ID"',
            ].join('; '),
          },
        },
        off: { uses: 'shell', needs: ['make-name'], with: { command: 'echo "${CASCADENCE_RESULT_MAKE_NAME-unset}"', resultsEnv: false } },
      },
    });
    const result = await engine.run(flow, undefined, { runId: 'run-42' });
    expect(result.status).toBe('succeeded');
    expect(output(result, 'use').stdout.split('\n')).toEqual([
      'env-flow/use#1',
      'widget',
      '{"count":2,"tags":["a"]}',
      '2 ["a"]',
      '1.2.3 0',
      'run-42',
    ]);
    expect(output(result, 'off').stdout).toBe('unset');
  });

  it('echo: logs each output line through ctx.log (stdout info, stderr warn)', async () => {
    const { run, logger } = shellEngine();
    const result = await run({ loud: { uses: 'shell', with: { command: 'echo a; echo b >&2; printf c', echo: true } } });
    expect(result.status).toBe('succeeded');
    expect(logger.lines.filter((l) => l.level === 'info').map((l) => l.message)).toEqual(['[test-flow/loud] a', '[test-flow/loud] c']);
    expect(logger.lines.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual(['[test-flow/loud] b']);
  });
});

describe('shell processor: failures', () => {
  it('a non-zero exit fails the step naming the step, the command and the exit code, with the tail of stderr', async () => {
    const { run } = shellEngine();
    const result = await run({
      build: { uses: 'shell', with: { command: 'for i in $(seq 1 100); do echo "error line $i" >&2; done; echo out; exit 2' } },
    });
    expect(result.status).toBe('failed');
    const error = result.steps.build?.error as CascadenceError;
    expect(error.code).toBe(ShellErrorCode.EXIT);
    const lines = error.message.split('\n');
    expect(lines[0]).toBe(
      `flow "test-flow", step "build": command "for i in $(seq 1 100); do echo \\"error line $i\\" >&2; done; echo out; exit 2" exited with code 2`,
    );
    expect(lines[1]).toBe('stderr (last lines):');
    expect(lines.slice(2)).toEqual(Array.from({ length: 20 }, (_, i) => `error line ${81 + i}`));
    expect(error.details).toMatchObject({ exitCode: 2, signal: null, stdout: 'out' });
    expect((error.details.stderr as string).split('\n')).toHaveLength(100);
  });

  it('quotes stdout when stderr is empty, and says so when there was no output at all', async () => {
    const { run } = shellEngine();
    const result = await run({
      quiet: { uses: 'shell', with: { args: ['false'] } },
      chatty: { uses: 'shell', with: { command: 'echo "FAILED: 3 tests"; exit 1' } },
    });
    expect(result.steps.quiet?.error?.message).toBe('flow "test-flow", step "quiet": args "false" exited with code 1 (no output)');
    expect(result.steps.chatty?.error?.message).toMatch(/exited with code 1\nstdout \(last lines\):\nFAILED: 3 tests$/);
  });

  it('a command killed by a signal fails naming the signal', async () => {
    const { run } = shellEngine();
    const result = await run({ crash: { uses: 'shell', with: { command: 'kill -KILL $$' } } });
    expect(result.steps.crash?.error?.message).toBe(
      'flow "test-flow", step "crash": command "kill -KILL $$" was killed by signal SIGKILL (no output)',
    );
    expect((result.steps.crash?.error as CascadenceError).details).toMatchObject({ exitCode: null, signal: 'SIGKILL' });
  });

  it('allowFailure returns the result of a failing command instead of failing the step', async () => {
    const { run } = shellEngine();
    const result = await run({ lint: { uses: 'shell', with: { command: 'echo warnings; exit 3', allowFailure: true } } });
    expect(result.status).toBe('succeeded');
    expect(output(result, 'lint')).toMatchObject({ exitCode: 3, stdout: 'warnings' });
  });

  it('a program that does not exist fails with CASCADENCE_SHELL_SPAWN', async () => {
    const { run } = shellEngine();
    const result = await run({ missing: { uses: 'shell', with: { args: ['cascadence-no-such-program-xyz', '--help'] } } });
    const error = result.steps.missing?.error as CascadenceError;
    expect(error.code).toBe(ShellErrorCode.SPAWN);
    expect(error.message).toBe(
      'flow "test-flow", step "missing": cannot start args "cascadence-no-such-program-xyz --help": "cascadence-no-such-program-xyz" was not found (is it installed and on PATH?)',
    );
  });

  it('failed attempts are retried by the engine (each attempt is a fresh process)', async () => {
    const counter = join(tmp.dir, 'count');
    const { run } = shellEngine();
    const result = await run({
      flaky: {
        uses: 'shell',
        retry: { attempts: 3, backoff: 'fixed', delayMs: 1 },
        with: { command: `echo "$CASCADENCE_ATTEMPT" >> "${counter}"; [ "$CASCADENCE_ATTEMPT" -ge 2 ]` },
      },
    });
    expect(result.status).toBe('succeeded');
    expect(result.steps.flaky?.attempts).toBe(2);
    expect(readFileSync(counter, 'utf8')).toBe('1\n2\n');
  });
});

describe('shell processor: options', () => {
  it.each([
    [{ command: 'echo', args: ['echo'] }, 'give either "command" (run by a shell) or "args" (run directly, no shell), not both'],
    [{}, 'needs "command" (a command line run by /bin/sh -c) or "args" (an argv run without a shell)'],
    [{ args: [] }, 'option "args" must start with the program to run'],
    [{ command: '   ' }, 'option "command" must be a non-empty string'],
    [{ args: ['ls'], shell: '/bin/bash' }, 'option "shell" only applies to "command"; "args" never uses a shell'],
    [{ command: 'true', timeoutMs: 0 }, 'option "timeoutMs" must be a positive number of milliseconds (got 0)'],
    [{ command: 'true', maxOutputBytes: -1 }, 'option "maxOutputBytes" must be an integer >= 0 (got -1)'],
    [
      { command: 'true', env: { OK: 'x', BAD: { nested: true } } },
      'option "env": variable "BAD" must be a string, number, boolean or null (got object)',
    ],
  ])('rejects %j before the run starts (processor validate), so nothing runs', async (withOptions, problem) => {
    const { run } = shellEngine();
    await expect(run({ bad: { uses: 'shell', with: withOptions, retry: { attempts: 3, delayMs: 1 } } })).rejects.toMatchObject({
      code: 'CASCADENCE_INVALID_OPTIONS',
      message: `flow "test-flow", step "bad": ${problem}`,
    });
    // Called directly (outside an engine), the same check fails without retrying.
    const ctx: TaskContext = {
      runId: 'r',
      task: 'shell',
      stepId: 'bad',
      flow: 'test-flow',
      attempt: 1,
      signal: new AbortController().signal,
      log: silentLogger,
      results: {},
      skip: skipOutsideEngine,
    };
    const direct = await runShell(ctx, withOptions as never).then(
      () => undefined,
      (error: CascadenceError) => error,
    );
    expect(direct?.code).toBe('CASCADENCE_NON_RETRYABLE');
    expect(direct?.message).toContain(problem);
  });

  it('unknown and mistyped options are refused by the engine before the run starts', async () => {
    const { run } = shellEngine();
    await expect(run({ typo: { uses: 'shell', with: { comand: 'ls' } } })).rejects.toMatchObject({
      code: 'CASCADENCE_INVALID_OPTIONS',
      message: expect.stringContaining('flow "test-flow", step "typo": unknown option "comand"'),
    });
    await expect(run({ typed: { uses: 'shell', with: { args: 'ls -la' } } })).rejects.toMatchObject({
      code: 'CASCADENCE_INVALID_OPTIONS',
      message: expect.stringContaining('option "args" must be a list of strings'),
    });
  });
});

describe('shell processor: output limits', () => {
  it('keeps the first maxOutputBytes of each stream, flags the truncation and warns', async () => {
    const { run, logger } = shellEngine();
    const result = await run({
      big: {
        uses: 'shell',
        with: { command: 'head -c 3000 /dev/zero | tr "\\0" a; head -c 10 /dev/zero | tr "\\0" b >&2', maxOutputBytes: 1000 },
      },
    });
    const out = output(result, 'big');
    expect(out.stdout).toBe('a'.repeat(1000));
    expect(out.stdoutTruncated).toBe(true);
    expect(out.stderr).toBe('b'.repeat(10));
    expect(out.stderrTruncated).toBe(false);
    expect(logger.lines).toContainEqual({
      level: 'warn',
      message:
        '[test-flow/big] stdout of command "head -c 3000 /dev/zero | tr \\"\\\\0\\" a; head -c 10 /dev/zero | tr \\"\\\\0\\" b >&2" was 3000 bytes; kept the first 1000 (maxOutputBytes)',
    });
  });

  it('caps at 1 MiB by default and still reads the rest, so the command is not blocked', async () => {
    const { run } = shellEngine();
    const result = await run({ huge: { uses: 'shell', with: { command: 'head -c 3145728 /dev/zero | tr "\\0" z; echo done >&2' } } });
    expect(result.status).toBe('succeeded');
    const out = output(result, 'huge');
    expect(out.stdout).toHaveLength(1024 * 1024);
    expect(out.stdoutTruncated).toBe(true);
    expect(out.stderr).toBe('done');
  });

  it('never cuts a UTF-8 character in half', async () => {
    const { run } = shellEngine();
    // "é" is 2 bytes: a cap of 5 bytes holds two of them and half of a third.
    const result = await run({ utf8: { uses: 'shell', with: { args: ['printf', 'éééé'], maxOutputBytes: 5 } } });
    expect(output(result, 'utf8').stdout).toBe('éé');
  });
});

describe('shell processor: timeouts and cancellation kill the whole process tree', () => {
  const tree = (dir: string, extra = '') => `${extra}sleep 30 & echo $! > "${dir}/grandchild.pid"; echo $$ > "${dir}/shell.pid"; sleep 30`;

  it('aborting the run kills `sh -c "sleep 30 & sleep 30"` including the background grandchild', async () => {
    const { run } = shellEngine();
    const controller = new AbortController();
    const running = run({ tree: { uses: 'shell', with: { command: tree(tmp.dir) } } }, { signal: controller.signal });
    const grandchild = await readPidFile(join(tmp.dir, 'grandchild.pid'));
    const shellPid = await readPidFile(join(tmp.dir, 'shell.pid'));
    expect(processRunning(grandchild)).toBe(true);
    controller.abort();
    const result = await running;
    expect(result.status).toBe('cancelled');
    expect(result.steps.tree?.status).toBe('cancelled');
    expect(await waitUntilGone(grandchild)).toBe(true);
    expect(await waitUntilGone(shellPid)).toBe(true);
  });

  it('the step timeout of the engine kills the tree and fails the step with CASCADENCE_TIMEOUT', async () => {
    const { run } = shellEngine();
    const result = await run({ slow: { uses: 'shell', timeoutMs: 500, with: { command: tree(tmp.dir) } } });
    expect(result.status).toBe('failed');
    expect(result.steps.slow?.error).toMatchObject({ code: 'CASCADENCE_TIMEOUT' });
    expect(await waitUntilGone(await readPidFile(join(tmp.dir, 'grandchild.pid')))).toBe(true);
    expect(await waitUntilGone(await readPidFile(join(tmp.dir, 'shell.pid')))).toBe(true);
  });

  it('fail-fast after another step fails kills the tree', async () => {
    const { run } = shellEngine({ failFast: true });
    const running = run({
      slow: { uses: 'shell', with: { command: tree(tmp.dir) } },
      breaks: { uses: 'shell', with: { command: `while [ ! -s "${tmp.dir}/shell.pid" ]; do sleep 0.01; done; exit 1` } },
    });
    const result = await running;
    expect(result.steps.breaks?.status).toBe('failed');
    expect(result.steps.slow?.status).toBe('cancelled');
    expect(await waitUntilGone(await readPidFile(join(tmp.dir, 'grandchild.pid')))).toBe(true);
  });

  it('its own timeoutMs rejects only once the tree is gone, using SIGKILL for processes that ignore SIGTERM', async () => {
    const { run } = shellEngine();
    const started = Date.now();
    const result = await run({
      stubborn: { uses: 'shell', with: { command: tree(tmp.dir, "trap '' TERM; "), timeoutMs: 300, killGraceMs: 300 } },
    });
    const error = result.steps.stubborn?.error as CascadenceError;
    expect(error.code).toBe('CASCADENCE_TIMEOUT');
    expect(error.message).toBe(
      `flow "test-flow", step "stubborn": command ${JSON.stringify(tree(tmp.dir, "trap '' TERM; "))} timed out after 300 ms`,
    );
    // No polling: the step settled after the whole tree had stopped, SIGTERM being ignored.
    expect(processRunning(await readPidFile(join(tmp.dir, 'grandchild.pid')))).toBe(false);
    expect(processRunning(await readPidFile(join(tmp.dir, 'shell.pid')))).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
  });

  it('processes left running in the background are terminated when the command exits (cleanup)', async () => {
    const { run, logger } = shellEngine();
    const result = await run({ leaves: { uses: 'shell', with: { command: `sleep 30 & echo $! > "${tmp.dir}/bg.pid"; echo started` } } });
    expect(result.status).toBe('succeeded');
    expect(output(result, 'leaves').stdout).toBe('started');
    expect(await waitUntilGone(await readPidFile(join(tmp.dir, 'bg.pid')))).toBe(true);
    expect(logger.lines.some((l) => l.level === 'warn' && l.message.includes('left 1 process(es) running'))).toBe(true);
  });

  it('cleanup: false leaves them running, and the step still ends although they hold stdout open', async () => {
    const { run } = shellEngine();
    const result = await run({
      daemon: { uses: 'shell', with: { command: `sleep 30 & echo $! > "${tmp.dir}/bg.pid"; echo started`, cleanup: false } },
    });
    const bg = await readPidFile(join(tmp.dir, 'bg.pid'));
    try {
      expect(result.status).toBe('succeeded');
      expect(output(result, 'daemon').stdout).toBe('started');
      expect(processRunning(bg)).toBe(true);
    } finally {
      killQuietly(bg);
    }
  });

  it('runShell can be called directly with any AbortSignal', async () => {
    const controller = new AbortController();
    const ctx = {
      runId: 'r',
      task: 'shell',
      stepId: 'direct',
      flow: undefined,
      attempt: 1,
      signal: controller.signal,
      log: silentLogger,
      results: {},
      skip: skipOutsideEngine,
    } satisfies TaskContext;
    const running = runShell(ctx, { command: tree(tmp.dir) });
    const grandchild = await readPidFile(join(tmp.dir, 'grandchild.pid'));
    controller.abort(new Error('stop now'));
    await expect(running).rejects.toThrow('stop now');
    expect(processRunning(grandchild)).toBe(false);
    const done = await runShell({ ...ctx, signal: new AbortController().signal }, { args: ['echo', 'direct'] });
    expect(done.stdout).toBe('direct');
  });
});

describe('the plugin object', () => {
  it('is the default export, provides the shell processor and matches the package.json manifest', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'));
    expect(shellPluginDefault).toBe(shellPlugin);
    expect(shellPlugin).toMatchObject({ kind: 'plugin', name: pkg.name, apiVersion: 1 });
    expect(shellPlugin.processors?.map((p) => p.name)).toEqual(pkg.cascadence.processors);
    expect(pkg.cascadence).toEqual({ apiVersion: 1, provides: ['processor'], processors: ['shell'] });
  });
});
