import { spawn } from 'node:child_process';
import { basename } from 'node:path';
import { sanitizeForTerminal } from '@cascadence/core';
import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../base-command';
import { usageError } from '../errors';
import { openProjectHistory } from '../project/history';
import { listenForStop } from '../stop-signals';

export default class Ui extends BaseCommand {
  static override summary = 'Serve the web dashboard: runs, live flow graphs, schedules and tasks';
  static override description =
    'Serves on 127.0.0.1 by default. A --host other than loopback needs a token (--token or CASCADENCE_UI_TOKEN), checked on every request; open the printed link, which carries it. Runs until SIGINT, SIGTERM or SIGHUP; runs started from the page are cancelled then.';
  static override examples = [
    '<%= config.bin %> ui',
    '<%= config.bin %> ui --port 9000 --open',
    'CASCADENCE_UI_TOKEN=$(openssl rand -hex 24) <%= config.bin %> ui --host 0.0.0.0',
  ];
  static override flags = {
    port: Flags.integer({ description: 'Port to serve on (0: any free port)', default: 8080, min: 0, max: 65535 }),
    host: Flags.string({ description: 'Address to listen on', default: '127.0.0.1' }),
    token: Flags.string({
      description: 'Access token, required for a non-loopback --host (default: $CASCADENCE_UI_TOKEN)',
      env: 'CASCADENCE_UI_TOKEN',
    }),
    open: Flags.boolean({ description: 'Open the dashboard in the default browser' }),
    'temporal-ui': Flags.string({
      description: 'Address of the Temporal Web UI (e.g. http://localhost:8233): Temporal runs link to it',
      env: 'CASCADENCE_TEMPORAL_UI',
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Ui);
    const temporalUi = flags['temporal-ui'];
    if (temporalUi !== undefined && !/^https?:\/\/[^\s]+$/.test(temporalUi)) {
      throw usageError(`--temporal-ui must be an http:// or https:// address (got "${sanitizeForTerminal(temporalUi.slice(0, 100))}")`);
    }
    // Listen first: a stop signal during start-up ends the command cleanly instead of killing it.
    let stop: () => void = () => {};
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const signals = listenForStop(
      () => stop(),
      (signal) => `dashboard forced to exit by a second ${signal}`,
      (line) => process.stderr.write(`${line}\n`),
    );
    try {
      const project = await this.project(flags.cwd);
      const history = await openProjectHistory(project);
      // Loaded only here: the server and its front end cost nothing to the other commands.
      const [{ startUiServer }, { ProjectUiActions }] = await Promise.all([import('@cascadence/ui'), import('../ui-actions')]);
      const actions = new ProjectUiActions(project, history, (line) => process.stderr.write(`${line}\n`), temporalUi);
      let server: Awaited<ReturnType<typeof startUiServer>>;
      try {
        server = await startUiServer({
          history,
          actions,
          host: flags.host,
          port: flags.port,
          ...(flags.token === undefined ? {} : { token: flags.token }),
          title: `Cascadence · ${basename(project.dir)}`,
        });
      } catch (error) {
        await history.close();
        throw error;
      }
      this.out(`dashboard: ${server.url}`);
      if (flags.open) openInBrowser(server.url);
      await Promise.race([stopped, signals.forced]);
      process.stderr.write('stopping the dashboard\n');
      await Promise.race([
        (async () => {
          await server.close();
          await actions.close();
          await history.close();
        })(),
        signals.forced,
      ]);
    } finally {
      signals.close();
    }
  }
}

/** Best effort: the URL is printed either way. */
function openInBrowser(url: string): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    const child = spawn(command, [url], { detached: true, stdio: 'ignore' });
    child.on('error', () => process.stderr.write(`could not start ${command}; open ${sanitizeForTerminal(url)} yourself\n`));
    child.unref();
  } catch {
    process.stderr.write(`could not start ${command}; open ${sanitizeForTerminal(url)} yourself\n`);
  }
}
