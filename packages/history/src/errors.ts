import { CascadenceError, type CascadenceErrorOptions } from '@cascadence/core';

/** Error codes of run history; each names one thing a user can act on. */
export const HistoryErrorCode = {
  /** The file is not a Cascadence history (another program's database). */
  FOREIGN: 'CASCADENCE_HISTORY_FOREIGN',
  /** The file or server data is damaged. */
  CORRUPT: 'CASCADENCE_HISTORY_CORRUPT',
  /** The history was written by a newer Cascadence (a higher schema version). */
  NEWER_SCHEMA: 'CASCADENCE_HISTORY_NEWER_SCHEMA',
  /** The database stayed locked by another process beyond the busy timeout. */
  LOCKED: 'CASCADENCE_HISTORY_LOCKED',
  /** The store could not be opened or reached (permissions, a bad URL, the server down). */
  UNAVAILABLE: 'CASCADENCE_HISTORY_UNAVAILABLE',
  /** No run with that id (or id prefix). */
  UNKNOWN_RUN: 'CASCADENCE_HISTORY_UNKNOWN_RUN',
  /** An id prefix matches several runs. */
  AMBIGUOUS_RUN: 'CASCADENCE_HISTORY_AMBIGUOUS_RUN',
  /** A retry needs a value that was not recorded (unserialisable, truncated, or recording off). */
  NOT_RETRYABLE: 'CASCADENCE_HISTORY_NOT_RETRYABLE',
  /** A cancel request for a run that is not running (it ended, or its process is gone). */
  NOT_RUNNING: 'CASCADENCE_HISTORY_NOT_RUNNING',
  /** A bad option value (`keep`, `since`, ...). */
  INVALID_OPTION: 'CASCADENCE_HISTORY_INVALID_OPTION',
} as const;

export type HistoryErrorCodeValue = (typeof HistoryErrorCode)[keyof typeof HistoryErrorCode];

export function historyError(code: HistoryErrorCodeValue, message: string, options: CascadenceErrorOptions = {}): CascadenceError {
  return new CascadenceError(code, message, options);
}
