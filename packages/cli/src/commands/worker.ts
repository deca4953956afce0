import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../base-command';
import { routeTemporalLogsToStderr, verboseFlagDescription } from '../temporal-logs';
import { DEFAULT_TASK_QUEUE } from '../project/project';
import { againToForce, listenForStop } from '../stop-signals';
import { tracedWorkerOptions } from '../temporal-tracing';
import { attachPluginInstrumentation } from '../plugin-instrumentation';
import { startCommandTracing } from '../tracing';

export default class Worker extends BaseCommand {
  static override summary = "Run a Temporal worker for this project's tasks and flows until SIGINT, SIGTERM or SIGHUP";
  static override description =
    "Polls the task queue that `task run --backend temporal` uses and runs each step of the project's tasks, flows and processors. Address, namespace and queue come from the config (temporal: { address, namespace, taskQueue }) or TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE.";
  static override examples = [
    '<%= config.bin %> worker',
    'TEMPORAL_ADDRESS=temporal.internal:7233 <%= config.bin %> worker --task-queue reports',
  ];
  static override flags = {
    'task-queue': Flags.string({ description: `Task queue to poll (default: the config's, else "${DEFAULT_TASK_QUEUE}")` }),
    verbose: Flags.boolean({ description: verboseFlagDescription }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Worker);
    const project = await this.project(flags.cwd);
    await routeTemporalLogsToStderr(flags.verbose);
    const { createWorker } = await import('@cascadence/temporal');
    const temporal = project.config.temporal ?? {};
    const taskQueue = flags['task-queue'] ?? temporal.taskQueue ?? DEFAULT_TASK_QUEUE;
    const tracing = await startCommandTracing([], { backend: 'temporal' });
    const worker = await createWorker({
      ...(tracing !== undefined ? await tracedWorkerOptions(tracing) : {}),
      registry: project.registry,
      taskQueue,
      ...(temporal.address !== undefined ? { address: temporal.address } : {}),
      ...(temporal.namespace !== undefined ? { namespace: temporal.namespace } : {}),
      ...(temporal.apiKey !== undefined ? { apiKey: temporal.apiKey } : {}),
    });
    // The worker's runs are Temporal's: recorded as cascadence.backend=temporal.
    attachPluginInstrumentation(project.plugins, [{ events: worker.events, name: 'temporal' }], (line) =>
      process.stderr.write(`${line}\n`),
    );
    tracing?.trace(worker);
    // SIGHUP (terminal closed) stops the worker like SIGINT/SIGTERM; a second signal exits at once.
    // Listening before the ready line: a supervisor that signals as soon as it reads that line
    // must not meet the default action (killed, exit code null) — seen under load in CI.
    const signals = listenForStop(
      (signal) => {
        this.out(`${signal} received: stopping (running steps get their grace time — ${againToForce(signal)})`);
        void worker.shutdown();
      },
      (signal) => `worker forced to exit by a second ${signal}; running steps were abandoned`,
      (line) => this.out(line),
    );
    this.out(`worker polling task queue "${taskQueue}" with ${project.registry.list().length} tasks and flows (Ctrl-C to stop)`);
    try {
      await Promise.race([worker.run(), signals.forced]);
    } finally {
      signals.close();
      await tracing?.close();
    }
    this.out('worker stopped');
  }
}
