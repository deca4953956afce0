import { resolve } from 'node:path';
import { sanitizeForTerminal, type ExecutionBackend } from '@cascadence/core';
import type { History, HistoryOptions } from '@cascadence/history';
import { CliError, CliErrorCode } from '../errors';
import type { Project } from './project';
import { stderrLogger } from './project';

/** Where the project's history lives and how it records, or undefined when `history: false`. */
export function historyOptions(project: Project): HistoryOptions | undefined {
  const config = project.config.history;
  if (config === false) return undefined;
  const options: HistoryOptions = {
    path: resolve(project.dir, config?.path ?? resolve(project.stateDir, 'history.db')),
    // History problems are warnings of this command, in its `warning: ...` form.
    logger: { ...stderrLogger, warn: (message: string) => process.stderr.write(`warning: ${sanitizeForTerminal(message)}\n`) },
  };
  if (config?.url !== undefined) options.url = config.url;
  if (config?.keep !== undefined) options.keep = config.keep;
  if (config?.values !== undefined) options.values = config.values;
  if (config?.maxValueBytes !== undefined) options.maxValueBytes = config.maxValueBytes;
  return options;
}

/** Recording of one command's runs; `close` writes what is pending. */
export interface Recording {
  close(): Promise<void>;
}

const NOT_RECORDING: Recording = { close: async () => undefined };

/**
 * Records what `backend` runs into the project's history. History never stops work: when the
 * store cannot be opened (corrupt, foreign, newer schema, server down) the run goes ahead and
 * one warning says why nothing is recorded.
 */
export async function startRecording(project: Project, backend: ExecutionBackend): Promise<Recording> {
  const options = historyOptions(project);
  if (options === undefined) return NOT_RECORDING;
  let history: History;
  try {
    const { openHistory } = await import('@cascadence/history');
    history = await openHistory(options);
  } catch (error) {
    process.stderr.write(`warning: run history is off for this run: ${sanitizeForTerminal((error as Error).message)}\n`);
    return NOT_RECORDING;
  }
  const detach = history.record(backend);
  return {
    close: async () => {
      detach();
      await history.close();
    },
  };
}

/** The project's history for reading commands (`task runs`, `show`, `retry`); errors are CLI errors. */
export async function openProjectHistory(project: Project): Promise<History> {
  const options = historyOptions(project);
  if (options === undefined) {
    throw new CliError(CliErrorCode.CONFIG, 'run history is turned off in the config (history: false)', undefined, {
      suggestions: ['remove "history: false" from the config to record runs'],
    });
  }
  const { openHistory } = await import('@cascadence/history');
  return openHistory(options);
}
