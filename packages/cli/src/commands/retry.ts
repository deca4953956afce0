import { newRunId, sanitizeForTerminal, type RunResult } from '@cascadence/core';
import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../base-command';
import { CancellableRun } from '../cancellable-run';
import { formatRunResult, toJson } from '../output';
import { openProjectHistory, startRecording } from '../project/history';

export default class Retry extends BaseCommand {
  static override summary = 'Run a recorded run again from where it failed';
  static override description =
    'Starts a new run linked to the original: steps that succeeded keep their recorded outputs, the failed, cancelled and skipped ones run again, and so does everything downstream of them. Runs on the original run’s backend unless --backend says otherwise.';
  static override examples = ['<%= config.bin %> retry 3f2a9c1e', '<%= config.bin %> retry 3f2a9c1e --rerun-all'];
  static override args = {
    id: Args.string({
      description: 'Run id: the full id, the short id `task runs` shows (its last 8 characters), or a unique start or end of it',
      required: true,
    }),
  };
  static override flags = {
    'rerun-all': Flags.boolean({ description: 'Run every step again (with the recorded input)' }),
    backend: Flags.string({ description: 'Backend to run on (default: the one the original run used)' }),
    json: Flags.boolean({ description: 'Print the whole RunResult as JSON' }),
    'stop-timeout': Flags.integer({
      description: 'After Ctrl-C or SIGTERM, milliseconds cancelled steps get to stop before the process exits anyway',
      default: 10_000,
      min: 0,
    }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Retry);
    const project = await this.project(flags.cwd);
    const { planRetry } = await import('@cascadence/history');
    const history = await openProjectHistory(project);
    let plan: ReturnType<typeof planRetry>;
    let original: Awaited<ReturnType<typeof history.run>>;
    try {
      original = await history.run(args.id);
      const runnable = project.registry.getRunnable(original.task);
      plan = planRetry(original, await history.steps(original.id), runnable, { rerunAll: flags['rerun-all'] });
    } finally {
      await history.close();
    }
    const runnable = project.registry.getRunnable(original.task);
    const backend = await project.backend(flags.backend ?? original.backend);
    project.engine.prepare(runnable);
    if (!flags.json) {
      const names = (ids: string[]) => ids.map((id) => sanitizeForTerminal(id)).join(', ');
      process.stderr.write(
        `retrying run ${original.id} (${sanitizeForTerminal(original.task)})${plan.reused.length > 0 ? `: reusing ${names(plan.reused)}; running ${names(plan.rerun)}` : ': running every step'}\n`,
      );
    }
    const recording = await startRecording(project, backend);
    // Stop signals as in `task run`: the first cancels the retry, a second exits at once.
    const cancellable = new CancellableRun(`${runnable.kind} "${runnable.name}"`, (line) => process.stderr.write(`${line}\n`));
    try {
      let result: RunResult;
      try {
        result = await cancellable.race(
          backend.run(runnable, plan.input, {
            runId: newRunId(),
            signal: cancellable.signal,
            trigger: { kind: 'retry', retryOf: original.id },
            ...(plan.reuse === undefined ? {} : { reuse: plan.reuse }),
          }),
        );
      } finally {
        await cancellable.race(
          (async () => {
            await recording.close();
            await backend.close?.();
          })(),
        );
      }
      if (flags.json) this.outRaw(toJson(result));
      else this.out(formatRunResult(result, runnable.kind));
      await cancellable.waitForStoppingSteps(backend, flags['stop-timeout']);
      const failure = cancellable.failure(result);
      if (failure !== undefined) throw failure;
    } finally {
      cancellable.close();
    }
  }
}
