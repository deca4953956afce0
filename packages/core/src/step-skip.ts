/**
 * `ctx.skip(reason)`: a step (or the processor it uses) ends itself as `skipped`. It throws, so the
 * step's code stops where it is, in a synchronous or an async step alike; the engine recognises
 * the throw by its error code (a CascadenceError brand works across copies of core) and records
 * the step as skipped with `skipReason: 'self'` and the reason text — never as a failure, never
 * retried. Code that catches every error around `ctx.skip` must rethrow it.
 */
import { CascadenceError, ErrorCode } from './errors';

/** Thrown by `ctx.skip`; `reason` is the step's own words (empty when it gave none). */
export class StepSkipSignal extends CascadenceError {
  constructor(
    where: string,
    readonly reason: string,
  ) {
    super(ErrorCode.STEP_SKIPPED, `${where} skipped itself${reason === '' ? '' : `: ${reason}`}`, { details: { reason } });
    this.name = 'StepSkipSignal';
  }
}

/** The reason text when `thrown` came from `ctx.skip`, else undefined. */
export function skipSignalReason(thrown: unknown): string | undefined {
  if (!CascadenceError.isInstance(thrown, ErrorCode.STEP_SKIPPED)) return undefined;
  const reason = thrown.details.reason;
  return typeof reason === 'string' ? reason : '';
}
