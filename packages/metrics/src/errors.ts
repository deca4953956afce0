/** Error codes of @cascadence/metrics (all errors are `CascadenceError`s from @cascadence/core). */
export const MetricsErrorCode = {
  /** `startMetricsServer`: the port is already taken by another process or server. */
  PORT_IN_USE: 'CASCADENCE_PORT_IN_USE',
  /** `startMetricsServer`: listening failed for another reason (permission, bad host, ...). */
  SERVER: 'CASCADENCE_METRICS_SERVER',
  /** A metric name this package needs is registered by something else, or with other buckets. */
  CONFLICT: 'CASCADENCE_METRICS_CONFLICT',
  /** `instrument`: the target has no `events` bus to subscribe to. */
  NO_EVENTS: 'CASCADENCE_METRICS_NO_EVENTS',
  /** `pushMetrics`: the Pushgateway could not be reached or answered with an error status. */
  PUSH: 'CASCADENCE_METRICS_PUSH',
  /** An option has the wrong type or value (shared with @cascadence/core). */
  INVALID_OPTIONS: 'CASCADENCE_INVALID_OPTIONS',
} as const;

export type MetricsErrorCodeValue = (typeof MetricsErrorCode)[keyof typeof MetricsErrorCode];
