import { sanitizeForTerminal, sanitizeLinesForTerminal, scopedLogger } from '@cascadence/core';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command';
import { formatDuration } from '../output';
import { stderrLogger } from '../project/project';
import { runsTriggeredBy, startCommandTracing } from '../tracing';
import { watchDisabled } from '../project/task-state';

export default class Scheduler extends BaseCommand {
  static override summary = 'Run the schedules in the foreground until SIGINT or SIGTERM';
  static override description =
    'Fires every schedule in schedules.yml on the chosen backend; edits made meanwhile with `task schedule`, `task unschedule`, `task disable` are picked up without a restart. On SIGINT/SIGTERM it stops firing, lets running tasks finish (up to --stop-timeout), and exits 0.';
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
    const backend = runsTriggeredBy('schedule', await project.backend(flags.backend));
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

    const tracing = await startCommandTracing([backend]);
    scheduler.start();
    const jobs = scheduler.jobs();
    log(`scheduler started with ${jobs.length} schedule${jobs.length === 1 ? '' : 's'} from ${project.schedulesPath} on backend ${backend.name}`);
    for (const job of jobs) log(`  ${safe(job.task)} "${safe(job.cron)}" (${safe(job.timezone)}) next ${job.nextRun?.toISOString() ?? 'never'}${job.paused ? ' paused' : ''}`);

    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      const onSignal = (name: NodeJS.Signals) => {
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
        resolve(name);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });
    log(`${signal} received: stopping`);
    const stopped = await scheduler.stop({ timeoutMs: flags['stop-timeout'] });
    await closeMetrics();
    await tracing?.close();
    log(stopped.aborted ? `stopped; ${stopped.stillRunning} run(s) were aborted at the deadline` : 'stopped cleanly');
  }
}
