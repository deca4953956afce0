import { CascadenceError, type CascadenceErrorOptions } from '@cascadence/core';

export { TemporalErrorCode } from './error-codes';

export function temporalError(code: string, message: string, options?: CascadenceErrorOptions): CascadenceError {
  return new CascadenceError(code, message, options);
}

/** Replaces every occurrence of the given secrets in `text` with `***`. */
export function redact(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret !== undefined && secret.length >= 4) out = out.split(secret).join('***');
  }
  return out;
}

/** An Error safe to show: message redacted, no original object attached (it may hold metadata). */
export function sanitizedCause(error: unknown, secrets: ReadonlyArray<string | undefined>): Error {
  const message = error instanceof Error ? error.message : String(error);
  const copy = new Error(redact(message, secrets));
  copy.name = error instanceof Error ? error.name : 'Error';
  return copy;
}
