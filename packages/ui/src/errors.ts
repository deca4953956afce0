import { CascadenceError, type CascadenceErrorOptions } from '@cascadence/core';

/** Error codes of the dashboard; each names one thing a user can act on. */
export const UiErrorCode = {
  /** A non-loopback --host was given without a token. */
  TOKEN_REQUIRED: 'CASCADENCE_UI_TOKEN_REQUIRED',
  /** A bad option (port, host, token). */
  INVALID_OPTION: 'CASCADENCE_UI_INVALID_OPTION',
  /** The port is taken or the address cannot be bound. */
  LISTEN_FAILED: 'CASCADENCE_UI_LISTEN_FAILED',
  /** An action refers to something that does not exist (task, schedule, run). */
  NOT_FOUND: 'CASCADENCE_UI_NOT_FOUND',
  /** An action cannot be done now (cancel a run this process does not own, ...). */
  CONFLICT: 'CASCADENCE_UI_CONFLICT',
  /** A request was refused by the dashboard's security checks. */
  FORBIDDEN: 'CASCADENCE_UI_FORBIDDEN',
  /** A malformed request (bad query parameter, body, path). */
  BAD_REQUEST: 'CASCADENCE_UI_BAD_REQUEST',
} as const;

export type UiErrorCodeValue = (typeof UiErrorCode)[keyof typeof UiErrorCode];

export function uiError(code: UiErrorCodeValue, message: string, options: CascadenceErrorOptions = {}): CascadenceError {
  return new CascadenceError(code, message, options);
}
