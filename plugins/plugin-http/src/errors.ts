/**
 * Error codes of @cascadence/plugin-http, beside core's (CASCADENCE_TIMEOUT for `timeoutMs`,
 * CASCADENCE_NON_RETRYABLE for invalid options, CASCADENCE_CANCELLED from the engine).
 */
export const HttpErrorCode = {
  /** The response status is not one of `expectStatus` (default: any 2xx). */
  STATUS: 'CASCADENCE_HTTP_STATUS',
  /** No response: connection refused, DNS failure, TLS error, reset, redirect refused. */
  REQUEST: 'CASCADENCE_HTTP_REQUEST',
  /** A redirect that is not followed for safety: a 307/308 that would re-send the body to another origin, too many hops, a non-http(s) target. */
  REDIRECT: 'CASCADENCE_HTTP_REDIRECT',
  /** A response came but its body is unusable: larger than maxResponseBytes, or not the JSON it claims to be. */
  RESPONSE: 'CASCADENCE_HTTP_RESPONSE',
} as const;
