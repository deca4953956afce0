import { sanitizeForTerminal } from '@cascadence/core';
import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../base-command';
import { CliError, CliErrorCode } from '../errors';
import { openProjectHistory } from '../project/history';
import { cancelOnTemporal } from '../temporal-cancel';

export default class Cancel extends BaseCommand {
  static override summary = 'Cancel a running run, whichever process runs it';
  static override description =
    'Writes a cancel request into the run history; the `task run`, `task scheduler`, `task retry` or `task ui` process running it (local backend) cancels it within a moment, as Ctrl-C would: running steps see ctx.signal abort and nothing new starts. Waits up to --wait ms for the run to end: exit 0 once it is cancelled, 1 if it is still running then or cannot be cancelled.';
  static override examples = ['<%= config.bin %> cancel 3f2a9c1e', '<%= config.bin %> cancel 3f2a9c1e --wait 0'];
  static override args = {
    id: Args.string({
      description: 'Run id: the full id, the short id `task runs` shows (its last 8 characters), or a unique start or end of it',
      required: true,
    }),
  };
  static override flags = {
    wait: Flags.integer({ description: 'Milliseconds to wait for the run to end (0: only ask)', default: 10_000, min: 0 }),
    reason: Flags.string({ description: 'Why: shown as the run’s error', default: 'cancelled with task cancel' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Cancel);
    const project = await this.project(flags.cwd);
    const history = await openProjectHistory(project);
    try {
      const found = await history.run(args.id);
      const what = `run ${found.id} (${sanitizeForTerminal(found.task)})`;
      if (found.status === 'running' && found.backend === 'temporal' && found.workflowId !== undefined) {
        // Temporal runs are cancelled through Temporal: the worker aborts their running steps.
        const result = await cancelOnTemporal(project, found.workflowId, flags.reason, flags.wait);
        if (flags.wait === 0) return this.out(`cancel requested on Temporal for ${what}`);
        if (result?.status === 'cancelled') return this.out(`${what} cancelled`);
        throw new CliError(
          CliErrorCode.INPUT,
          result === undefined
            ? `cancel requested on Temporal, but ${what} was still running after ${flags.wait} ms`
            : `${what} ended ${result.status} before the request reached it`,
        );
      }
      if (found.status === 'running' && found.backend !== 'local') {
        // Only in-process engines carry out history requests.
        throw new CliError(
          CliErrorCode.INPUT,
          `${what} runs on backend "${sanitizeForTerminal(found.backend)}", which task cancel cannot reach`,
        );
      }
      const run = await history.requestCancel(found.id, flags.reason);
      if (flags.wait === 0) {
        this.out(`cancel requested for ${what}`);
        return;
      }
      const deadline = Date.now() + flags.wait;
      for (;;) {
        const now = await history.run(run.id);
        if (now.status !== 'running') {
          if (now.status === 'cancelled') return this.out(`${what} cancelled`);
          throw new CliError(CliErrorCode.INPUT, `${what} ended ${now.status} before the request reached it`);
        }
        if (Date.now() >= deadline) {
          throw new CliError(CliErrorCode.INPUT, `cancel requested, but ${what} was still running after ${flags.wait} ms`, undefined, {
            suggestions: ['its steps may ignore ctx.signal, or its process is busy: check again with task show ' + run.id.slice(-8)],
          });
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    } finally {
      await history.close();
    }
  }
}
