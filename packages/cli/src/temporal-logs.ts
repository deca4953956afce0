/**
 * The Temporal SDK's logs in `task worker` and `task replay`: one escaped line each on stderr,
 * `[temporal] warn: …`, WARN and above unless --verbose.
 */
import { sanitizeForTerminal, type Logger } from '@cascadence/core';

export const verboseFlagDescription = "Also print the Temporal SDK's INFO logs (default: warnings and errors only)";

function stderrLogger(): Logger {
  // Log text quotes task queues, identities and remote errors: escape it before the terminal sees it.
  const write =
    (level: string) =>
    (message: string): void => {
      process.stderr.write(`[temporal] ${level}: ${sanitizeForTerminal(message)}\n`);
    };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

/** Call before the command creates a worker or replays: Temporal's Runtime is set up once per process. */
export async function routeTemporalLogsToStderr(verbose: boolean): Promise<void> {
  const { routeTemporalLogs } = await import('@cascadence/temporal');
  routeTemporalLogs({ logger: stderrLogger(), level: verbose ? 'INFO' : 'WARN' });
}
