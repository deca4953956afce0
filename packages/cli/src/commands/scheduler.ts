import { sanitizeForTerminal, sanitizeLinesForTerminal, scopedLogger } from '@cascadence/core';
import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../base-command';
import { formatDuration } from '../output';
import { startRecording } from '../project/history';
import { stderrLogger } from '../project/project';
import { attachPluginInstrumentation } from '../plugin-instrumentation';
import { startCommandTracing } from '../tracing';
import { watchDisabled } from '../project/task-state';
import { againToForce, interruptedError, listenForStop, type StopSignal } from '../stop-signals';

export default class Scheduler extends BaseCommand {
  static override summary = 'Run the schedules in the foreground until SIGINT, SIGTERM or SIGHUP';
  static override description =
    'Fires every schedule in schedules.yml on the chosen backend; edits made meanwhile with `task schedule`, `task unschedule`, `task disable` are picked up without a restart. On SIGINT, SIGTERM or SIGHUP it stops firing and lets running tasks finish (up to --stop-timeout): exit 0 when they all did; 130 (SIGINT), 143 (SIGTERM) or 129 (SIGHUP) when some were aborted at the deadline or a second signal forced the exit.';
  static override examples = ['<%= config.bin %> scheduler', '<%= config.bin %> scheduler --metrics-port 9000'];
  static override flags = {
    backend: Flags.string({ description: 'Backend that runs the fired tasks (default: the configured one, else local)' }),
    'metrics-port': Flags.integer({ description: 'Serve Prometheus metrics on this port (0 picks a free one)', min: 0, max: 65535 }),
    'metrics-host': Flags.string({
      description: "Address the metrics server listens on (default: the config's metrics.host, else 127.0.0.1)",
    }),
    'stop-timeout': Flags.integer({ description: 'Milliseconds running tasks get to finish on shutdown', default: 30_000, min: 0 }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Scheduler);
    const project = await this.project(flags.cwd);
    // CronScheduler marks each run it starts with trigger { kind: 'schedule', schedule: <entry> }.
    const backend = await project.backend(flags.backend);
    const { CronScheduler } = await import('@cascadence/scheduler-cron');
    const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${sanitizeLinesForTerminal(line)}\n`);
    const safe = sanitizeForTerminal;
    const scheduler = new CronScheduler({
      storagePath: project.schedulesPath,
      logger: scopedLogger(stderrLogger, 'cascadence:scheduler'),
      registry: project.registry,
      backend,
      timezone: project.config.timezone,
      isEnabled: watchDisabled(project.taskStateFile),
      onRun: (result, fire) =>
        log(
          `${safe(fire.task)} ${result.status} in ${formatDuration(result.durationMs)} (due ${fire.scheduledAt.toISOString()}, run ${result.runId})`,
        ),
      onError: (error, context) =>
        process.stderr.write(`${new Date().toISOString()} error: ${context.task ? `${safe(context.task)}: ` : ''}${safe(error.message)}\n`),
    });

    // Listen before starting anything: a supervisor may send SIGTERM as soon as the first line
    // appears, and Node's default action would kill the process mid-start. The first signal stops
    // gracefully (a stop during startup skips the rest of it); a second one exits at once. The
    // process exits when this command returns, whatever the tasks left behind.
    let stopRequested: (signal: StopSignal) => void = () => {};
    const requested = new Promise<StopSignal>((resolve) => (stopRequested = resolve));
    const signals = listenForStop(
      (signal) => stopRequested(signal),
      (signal) => `scheduler forced to exit by a second ${signal}; running tasks were abandoned`,
      log,
    );
    const { forced } = signals;
    const closers: Array<() => Promise<void> | undefined> = [];
    const closeAll = async (): Promise<void> => {
      for (const close of closers.reverse()) await Promise.race([close(), forced]);
    };
    /** The startup step's result, or the stop signal when one came first. */
    const unlessStopped = <T>(step: Promise<T>): Promise<T | StopSignal> => Promise.race([step, requested]);
    const stopDuringStartup = async (signal: StopSignal): Promise<void> => {
      log(`${signal} received while starting: stopping`);
      await closeAll();
      log('stopped cleanly');
    };

    try {
      const port = flags['metrics-port'] ?? project.config.metrics?.port;
      if (port !== undefined) {
        const { createMetrics, startMetricsServer } = await import('@cascadence/metrics');
        const metrics = createMetrics();
        const detachScheduler = metrics.instrument(scheduler);
        const detachBackend =
          backend.events !== undefined && backend.events !== scheduler.events ? metrics.instrument(backend as never) : () => {};
        closers.push(async () => {
          detachScheduler();
          detachBackend();
        });
        const server = await unlessStopped(
          startMetricsServer({
            port,
            host: flags['metrics-host'] ?? project.config.metrics?.host ?? '127.0.0.1',
            registry: metrics.registry,
          }),
        );
        if (typeof server === 'string') return await stopDuringStartup(server);
        closers.push(() => server.close());
        log(`metrics at ${server.url}`);
      }

      const recording = await unlessStopped(startRecording(project, backend));
      if (typeof recording === 'string') return await stopDuringStartup(recording);
      closers.push(() => recording.close());
      const detachInstrumentation = attachPluginInstrumentation(project.plugins, [backend], (line) => process.stderr.write(`${line}\n`));
      closers.push(async () => detachInstrumentation());
      const tracing = await unlessStopped(startCommandTracing([backend]));
      if (typeof tracing === 'string') return await stopDuringStartup(tracing);
      closers.push(() => tracing?.close());

      scheduler.start();
      const jobs = scheduler.jobs();
      log(
        `scheduler started with ${jobs.length} schedule${jobs.length === 1 ? '' : 's'} from ${project.schedulesPath} on backend ${backend.name}`,
      );
      for (const job of jobs)
        log(
          `  ${safe(job.task)} "${safe(job.cron)}" (${safe(job.timezone)}) next ${job.nextRun?.toISOString() ?? 'never'}${job.paused ? ' paused' : ''}`,
        );

      const signal = await requested;
      log(
        `${signal} received: stopping (waiting up to ${formatDuration(flags['stop-timeout'])} for running tasks — ${againToForce(signal)})`,
      );
      const stopped = await Promise.race([scheduler.stop({ timeoutMs: flags['stop-timeout'] }), forced]);
      await closeAll();
      if (stopped.aborted) {
        const left = stopped.stillRunning > 0 ? `; ${stopped.stillRunning} still running, left behind` : '';
        const message = `stopped; running tasks were aborted at the ${formatDuration(flags['stop-timeout'])} deadline${left}`;
        log(message);
        throw interruptedError(signal, `scheduler ${message}`);
      }
      log('stopped cleanly');
    } finally {
      signals.close();
    }
  }
}
