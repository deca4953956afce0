import { sanitizeForTerminal, sanitizeLinesForTerminal, scopedLogger } from '@cascadence/core';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command';
import { formatDuration } from '../output';
import { startRecording } from '../project/history';
import { stderrLogger } from '../project/project';
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
    'metrics-host': Flags.string({ description: "Address the metrics server listens on (default: the config's metrics.host, else 127.0.0.1)" }),
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
        log(`${safe(fire.task)} ${result.status} in ${formatDuration(result.durationMs)} (due ${fire.scheduledAt.toISOString()}, run ${result.runId})`),
      onError: (error, context) => process.stderr.write(`${new Date().toISOString()} error: ${context.task ? `${safe(context.task)}: ` : ''}${safe(error.message)}\n`),
    });

    const port = flags['metrics-port'] ?? project.config.metrics?.port;
    let closeMetrics = async (): Promise<void> => {};
    if (port !== undefined) {
      const { createMetrics, startMetricsServer } = await import('@cascadence/metrics');
      const metrics = createMetrics();
      const detachScheduler = metrics.instrument(scheduler);
      const detachBackend = backend.events !== undefined && backend.events !== scheduler.events ? metrics.instrument(backend as never) : () => {};
      const server = await startMetricsServer({ port, host: flags['metrics-host'] ?? project.config.metrics?.host ?? '127.0.0.1', registry: metrics.registry });
      log(`metrics at ${server.url}`);
      closeMetrics = async () => {
        detachScheduler();
        detachBackend();
        await server.close();
      };
    }

    const recording = await startRecording(project, backend);
    const tracing = await startCommandTracing([backend]);
    scheduler.start();
    const jobs = scheduler.jobs();
    log(`scheduler started with ${jobs.length} schedule${jobs.length === 1 ? '' : 's'} from ${project.schedulesPath} on backend ${backend.name}`);
    for (const job of jobs) log(`  ${safe(job.task)} "${safe(job.cron)}" (${safe(job.timezone)}) next ${job.nextRun?.toISOString() ?? 'never'}${job.paused ? ' paused' : ''}`);

    // First stop signal: stop firing and let running tasks finish (up to --stop-timeout); a second
    // one exits at once. The process exits when this command returns, whatever the tasks left behind.
    let stopRequested: (signal: StopSignal) => void = () => {};
    const requested = new Promise<StopSignal>((resolve) => (stopRequested = resolve));
    const signals = listenForStop(
      (signal) => stopRequested(signal),
      (signal) => `scheduler forced to exit by a second ${signal}; running tasks were abandoned`,
      log,
    );
    const { forced } = signals;
    try {
      const signal = await requested;
      log(`${signal} received: stopping (waiting up to ${formatDuration(flags['stop-timeout'])} for running tasks — ${againToForce(signal)})`);
      const stopped = await Promise.race([scheduler.stop({ timeoutMs: flags['stop-timeout'] }), forced]);
      await Promise.race([closeMetrics(), forced]);
      await Promise.race([recording.close(), forced]);
      await Promise.race([tracing?.close(), forced]);
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
