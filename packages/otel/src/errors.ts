/** Error codes of @cascadence/otel (all errors are `CascadenceError`s from @cascadence/core). */
export const OtelErrorCode = {
  /** `instrumentTracing`: the target has no `events` bus to attach to. */
  NO_EVENTS: 'CASCADENCE_OTEL_NO_EVENTS',
  /** An option has the wrong type or value (shared with @cascadence/core). */
  INVALID_OPTIONS: 'CASCADENCE_INVALID_OPTIONS',
} as const;

export type OtelErrorCodeValue = (typeof OtelErrorCode)[keyof typeof OtelErrorCode];
