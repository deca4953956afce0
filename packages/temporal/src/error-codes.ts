/** Plain constants, no imports: the workflow sandbox imports this file too. */

/** Error codes of @cascadence/temporal (stable, documented in the README). */
export const TemporalErrorCode = {
  /** The server cannot be reached (down, wrong address, TLS mismatch, bad credentials). */
  CONNECT: 'CASCADENCE_TEMPORAL_CONNECT',
  /** The namespace does not exist on the server. */
  NAMESPACE: 'CASCADENCE_TEMPORAL_NAMESPACE',
  /** A payload (step input/results, output, run result) is over maxPayloadBytes. */
  PAYLOAD_TOO_LARGE: 'CASCADENCE_TEMPORAL_PAYLOAD_TOO_LARGE',
  /** A step output is over maxOutputBytes, the cap on what one output may add to the workflow history. */
  OUTPUT_TOO_LARGE: 'CASCADENCE_TEMPORAL_OUTPUT_TOO_LARGE',
  /** A step attempt stopped heartbeating more often than workerLossRetries allows. */
  WORKER_LOST: 'CASCADENCE_TEMPORAL_WORKER_LOST',
  /** The worker does not know the flow or step a workflow asked it to run. */
  STEP_NOT_FOUND: 'CASCADENCE_TEMPORAL_STEP_NOT_FOUND',
  /** Something cannot be sent to Temporal (bad settings). */
  UNSUPPORTED: 'CASCADENCE_TEMPORAL_UNSUPPORTED',
  /** A history given to replay() cannot be read. */
  HISTORY: 'CASCADENCE_TEMPORAL_HISTORY',
  /** A schedule cannot be created or found. */
  SCHEDULE: 'CASCADENCE_TEMPORAL_SCHEDULE',
  /** No `temporal` binary to start a dev server with. */
  NO_SERVER: 'CASCADENCE_TEMPORAL_NO_SERVER',
  /** A workflow was started with a RunSpec of another version (client and worker differ). */
  SPEC_VERSION: 'CASCADENCE_TEMPORAL_SPEC_VERSION',
  /** A flow's run spec (the workflow input) is over the payload limit: refused before starting. */
  SPEC_TOO_LARGE: 'CASCADENCE_TEMPORAL_SPEC_TOO_LARGE',
  /** A run would need more history events than maxHistoryEvents (the server's per-workflow limit): refused before starting. */
  HISTORY_LIMIT: 'CASCADENCE_TEMPORAL_HISTORY_LIMIT',
  /** The workflow ended in a way that carries no Cascadence result (terminated, timed out, ...). */
  WORKFLOW: 'CASCADENCE_TEMPORAL_WORKFLOW',
} as const;
