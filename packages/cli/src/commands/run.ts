import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  newRunId,
  sanitizeForTerminal,
  type EngineEvent,
  type ExecutionBackend,
  type JsonSafeProblem,
  type RunResult,
  type StepStatus,
} from '@cascadence/core';
import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../base-command';
import { CliError, CliErrorCode } from '../errors';
import { formatDuration, formatRunResult, runResultJson, stepLine, toJson, unserialisableWarning } from '../output';
import { paletteFor, type Palette } from '../colour';
import { startRecording, type Recording } from '../project/history';
import { statusLine } from '../status-line';
import { CancellableRun } from '../cancellable-run';
import { isTemporalBackend, runOnTemporal } from '../temporal-run';
import { attachPluginInstrumentation } from '../plugin-instrumentation';
import { startCommandTracing, type CommandTracing } from '../tracing';

/** Larger inputs belong in files the task reads itself, not in a workflow payload. */
export const MAX_INPUT_BYTES = 10 * 1024 * 1024;

export default class Run extends BaseCommand {
  static override summary = 'Run a task or flow and print its result';
  static override description =
    'Runs on the chosen backend (default: the configured one, else local). Exit 0 on success, 1 when the task fails, 2 on usage errors, 130 after Ctrl-C (SIGINT), 143 after SIGTERM, 129 after SIGHUP. A second signal exits at once.';
  static override examples = [
    '<%= config.bin %> run example',
    `<%= config.bin %> run example --input '{"name": "Ada"}'`,
    '<%= config.bin %> run deploy --input-file input.json --json',
  ];
  static override args = { name: Args.string({ description: 'Task or flow name', required: true }) };
  static override flags = {
    input: Flags.string({ description: 'Input as JSON', exclusive: ['input-file'] }),
    'input-file': Flags.string({ description: 'Read the input JSON from this file', exclusive: ['input'] }),
    backend: Flags.string({ description: 'Backend to run on (local, temporal, or one from a plugin)' }),
    json: Flags.boolean({ description: 'Print the whole RunResult as JSON' }),
    'metrics-port': Flags.integer({ description: 'Serve Prometheus metrics on this port while the run lasts', min: 0, max: 65535 }),
    'metrics-host': Flags.string({
      description: "Address the metrics server listens on (default: the config's metrics.host, else 127.0.0.1)",
    }),
    'wait-for-worker': Flags.integer({
      description:
        'Temporal: seconds to wait for a worker to poll the task queue; then the run is terminated (default: keep waiting, saying that no worker polls)',
      min: 0,
    }),
    'stop-timeout': Flags.integer({
      description: 'After Ctrl-C or SIGTERM, milliseconds cancelled steps get to stop before the process exits anyway',
      default: 10_000,
      min: 0,
    }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Run);
    const project = await this.project(flags.cwd, args.name);
    const runnable = project.registry.getRunnable(args.name);
    const input = readInput(flags.input, flags['input-file'], flags.cwd ?? process.cwd());
    const backend = await project.backend(flags.backend);
    project.engine.prepare(runnable); // unknown processors, bad options: fail before anything runs

    const metricsPort = flags['metrics-port'] ?? undefined;
    const metricsHost = flags['metrics-host'] ?? project.config.metrics?.host;
    const metrics = metricsPort === undefined ? undefined : await startMetrics(metricsPort, metricsHost, backend);
    attachPluginInstrumentation(project.plugins, [backend], notice);
    const tracing = await startCommandTracing([backend]);

    const recording = await startRecording(project, backend);
    const runId = newRunId();
    const what = `${runnable.kind} "${runnable.name}"`;
    // On Temporal, step lines come from the workflow's state query (temporal-run.ts), not from events.
    const temporal = isTemporalBackend(backend) ? backend : undefined;
    const progress =
      !flags.json && runnable.kind === 'flow' && temporal === undefined && backend.events !== undefined
        ? new Progress(runnable.name, runId, paletteFor(process.stdout))
        : undefined;
    const stepsShown = progress !== undefined || (temporal !== undefined && !flags.json && runnable.kind === 'flow');
    const detach = progress === undefined ? undefined : backend.events?.onAny((event) => progress.on(event));

    // A second stop signal exits at once; the shell plugin kills its commands' process groups then.
    const cancellable = new CancellableRun(what, notice);
    try {
      let result: RunResult;
      try {
        const running =
          temporal === undefined
            ? backend.run(runnable, input, { signal: cancellable.signal, runId, trigger: { kind: 'cli' } })
            : runOnTemporal(temporal, runnable, input, {
                runId,
                trigger: { kind: 'cli' },
                signal: cancellable.signal,
                progress: stepsShown,
                waitForWorkerMs: flags['wait-for-worker'] === undefined ? undefined : flags['wait-for-worker'] * 1000,
                note: notice,
                print: (line) => process.stdout.write(`${line}\n`),
              });
        result = await cancellable.race(running);
      } finally {
        detach?.();
        progress?.done();
      }
      await cancellable.race(closeAll(metrics, recording, tracing, backend));

      const problems: JsonSafeProblem[] = [];
      if (flags.json) this.outRaw(toJson(runResultJson(result), problems));
      // Every untrusted part is escaped where it is formatted; the colour codes are ours.
      else this.outRaw(formatRunResult(result, stepsShown ? 'task' : runnable.kind, problems, paletteFor(process.stdout)));
      const warning = unserialisableWarning(what, problems);
      if (warning !== '') process.stderr.write(`${warning}\n`);

      await cancellable.waitForStoppingSteps(backend, flags['stop-timeout']);
      const failure = cancellable.failure(result);
      if (failure !== undefined) throw failure;
    } finally {
      cancellable.close();
    }
  }
}

/** A line on stderr about the process itself, kept clear of the live status line. */
function notice(line: string): void {
  statusLine.above(() => process.stderr.write(`${line}\n`));
}

async function closeAll(
  metrics: { close(): Promise<void> } | undefined,
  recording: Recording,
  tracing: CommandTracing | undefined,
  backend: ExecutionBackend,
): Promise<void> {
  await metrics?.close();
  await recording.close();
  await tracing?.close();
  await backend.close?.();
}

function readInput(inline: string | undefined, file: string | undefined, cwd: string): unknown {
  let text = inline;
  let from = '--input';
  if (file !== undefined) {
    const path = resolve(cwd, file);
    from = `--input-file ${file}`;
    let size: number;
    try {
      const stat = statSync(path);
      if (!stat.isFile()) throw new CliError(CliErrorCode.INPUT, `${from}: ${path} is not a file`);
      size = stat.size;
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError(CliErrorCode.INPUT, `${from}: no such file ${path}`);
    }
    if (size > MAX_INPUT_BYTES) {
      throw new CliError(
        CliErrorCode.INPUT,
        `${from} is ${size} bytes; the limit is ${MAX_INPUT_BYTES} bytes (10 MiB): pass a path to the data instead`,
      );
    }
    text = readFileSync(path, 'utf8');
  }
  if (text === undefined) return undefined;
  if (Buffer.byteLength(text) > MAX_INPUT_BYTES) throw new CliError(CliErrorCode.INPUT, `${from} is larger than 10 MiB`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(CliErrorCode.INPUT, `${from} is not valid JSON: ${(error as Error).message}`);
  }
}

async function startMetrics(port: number, host: string | undefined, backend: { events?: unknown }): Promise<{ close(): Promise<void> }> {
  const { startMetricsServer, instrument } = await import('@cascadence/metrics');
  const server = await startMetricsServer({ port, host: host ?? '127.0.0.1' });
  const detach = backend.events === undefined ? () => {} : instrument(backend as Parameters<typeof instrument>[0]);
  process.stderr.write(`metrics: ${server.url}\n`);
  return {
    close: async () => {
      detach();
      await server.close();
    },
  };
}

/** Step progress of one flow: a live status line on a terminal, one plain line per step otherwise. */
class Progress {
  private readonly running = new Set<string>();
  private readonly attempts = new Map<string, number>();

  constructor(
    private readonly flow: string,
    private readonly runId: string,
    private readonly palette: Palette,
  ) {}

  on(event: EngineEvent): void {
    if (!('runId' in event) || event.runId !== this.runId || !('flow' in event) || event.flow !== this.flow) return;
    switch (event.type) {
      case 'step:start':
        this.running.add(event.step);
        this.attempts.set(event.step, event.attempt);
        break;
      case 'step:success':
        this.finish(event.step, 'succeeded', event.durationMs, undefined);
        break;
      case 'step:failure':
        this.finish(event.step, event.status, event.durationMs, event.error);
        break;
      case 'step:retry':
        this.running.delete(event.step);
        this.print(
          `  ↻ ${sanitizeForTerminal(event.step)} attempt ${event.attempt} failed, retrying in ${formatDuration(event.delayMs)}: ${sanitizeForTerminal(event.error.message)}`,
        );
        break;
      case 'step:skip':
        this.print(
          stepLine(
            event.step,
            {
              status: 'skipped',
              durationMs: undefined,
              error: undefined,
              attempts: 0,
              skipReason: event.reason,
              skipMessage: event.message,
            },
            this.palette,
          ),
        );
        break;
      default:
        return;
    }
    this.redraw();
  }

  done(): void {
    statusLine.clear();
  }

  private finish(step: string, status: StepStatus, durationMs: number, error: Error | undefined): void {
    this.running.delete(step);
    this.print(stepLine(step, { status, durationMs, error, attempts: this.attempts.get(step) ?? 1 }, this.palette));
  }

  private print(line: string): void {
    statusLine.clear();
    process.stdout.write(`${line}\n`);
  }

  private redraw(): void {
    if (this.running.size === 0) return;
    const names = [...this.running];
    const shown =
      names
        .slice(0, 5)
        .map((name) => sanitizeForTerminal(name))
        .join(', ') + (names.length > 5 ? ` +${names.length - 5}` : '');
    statusLine.draw(`  … running: ${shown}`);
  }
}
