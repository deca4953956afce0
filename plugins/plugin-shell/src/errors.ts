/**
 * Error codes of @cascadence/plugin-shell, beside core's (CASCADENCE_TIMEOUT for `timeoutMs`,
 * CASCADENCE_NON_RETRYABLE for invalid options, CASCADENCE_CANCELLED from the engine).
 */
export const ShellErrorCode = {
  /** The command exited non-zero or was killed by a signal it did not get from us. */
  EXIT: 'CASCADENCE_SHELL_EXIT',
  /** The process could not be started: program not found, not executable, bad cwd. */
  SPAWN: 'CASCADENCE_SHELL_SPAWN',
} as const;
