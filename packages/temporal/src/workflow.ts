/**
 * The generic DAG interpreter workflow. It receives a flow's graph as data (never code) and
 * runs every step as an activity that the worker resolves by (root task/flow, step path).
 *
 * What a flow means — which step runs next, trigger rules and skips, fail-fast, the final status,
 * the run-level error, the default output, retry decisions and the wording of errors — comes from
 * `@cascadence/core/dag`, the same state machine the local engine drives. This file keeps only
 * what is Temporal's: activities, timers, cancellation scopes, the signal and query, and mapping
 * retry policies onto activity options.
 *
 * Bundled into Temporal's deterministic sandbox: it and the files it imports (graph-run.ts,
 * activity-step.ts, nested-step.ts, map-items.ts, partition.ts, summary-codec.ts,
 * workflow-failures.ts, wire.ts, compact-spec.ts, error-codes.ts) may import only
 * `@temporalio/workflow` and `@cascadence/core/dag` (sandbox-safe by contract and by test).
 */
import {
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  continueAsNew,
  defineQuery,
  defineSignal,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { TemporalErrorCode } from './error-codes';
import { GraphRun, type RunContext } from './graph-run';
import { READABLE_SPEC_VERSIONS, decodeRunSpec, encodeColumn, type CompactRunSpec } from './compact-spec';
import type { Carry } from './partition';
import { compactSummary, encodeStepResults, type CompactSummary } from './summary-codec';
import {
  CANCEL_REASON_SIGNAL,
  PLAIN_SPEC_VERSION,
  RUN_FAILED_TYPE,
  SPEC_VERSION,
  STATE_QUERY,
  jsonSize,
  type RunSpec,
  type RunSummary,
} from './wire';
import { payloadTooLarge } from './workflow-failures';

export { WORKFLOW_TYPE } from './wire';

const stateQuery = defineQuery<RunSummary | CompactSummary>(STATE_QUERY);
/** Runs with more steps answer the state query with the compact summary (a plain one is ~100 bytes per step). */
const COMPACT_QUERY_STEPS = 1000;
const cancelReasonSignal = defineSignal<[string]>(CANCEL_REASON_SIGNAL);

/**
 * Runs a Cascadence task or flow described by `spec`. Resolves to a RunSummary when the flow
 * succeeds; fails (ApplicationFailure of type CascadenceRunFailed, details[0] = the summary)
 * when it fails; ends as cancelled when the workflow is cancelled (the summary stays
 * available through the `cascadence.state` query).
 */
export async function cascadenceFlow(input: RunSpec | CompactRunSpec): Promise<RunSummary | CompactSummary> {
  if (!READABLE_SPEC_VERSIONS.includes(input?.version)) {
    throw ApplicationFailure.nonRetryable(
      `cascadenceFlow expects a RunSpec of version ${SPEC_VERSION} (got ${String(input?.version)}), or ${PLAIN_SPEC_VERSION} from earlier releases; client and worker run different @cascadence/temporal versions`,
      TemporalErrorCode.SPEC_VERSION,
    );
  }
  const decoded = decodeSpec(input);
  // Scheduled runs carry no run id: each fire uses its Temporal run id.
  const spec: RunSpec = decoded.runId === '' ? { ...decoded, runId: workflowInfo().runId } : decoded;
  const carry = spec.carry;
  const startedAt = carry?.startedAt ?? Date.now();
  const rootScope = new CancellationScope({ cancellable: true, parent: CancellationScope.current() });
  const context: RunContext = { activitySeq: carry?.activitySeq ?? 0, cancelReason: carry?.cancelReason };
  setHandler(cancelReasonSignal, (reason: string) => {
    context.cancelReason = reason;
  });
  // A map batch (map-batches.ts) runs its map step at the path of the graph it belongs to.
  const run = new GraphRun(spec, spec.graph, spec.input, spec.pathPrefix ?? [], rootScope, true, context);
  if (carry !== undefined) run.resume(carry);
  let final: RunSummary | CompactSummary | undefined;
  setHandler(stateQuery, () => {
    if (final !== undefined) return final;
    const summary: RunSummary = {
      runId: spec.runId,
      task: spec.root,
      status: 'running',
      steps: run.stepResults(),
      startedAt,
      durationMs: Date.now() - startedAt,
    };
    return spec.graph.steps.length > COMPACT_QUERY_STEPS ? compactSummary(summary) : summary;
  });
  const outcome = await rootScope.run(() => run.run());
  if (outcome.continued === true) {
    const steps = run.stepResults();
    const next: Carry = {
      partition: (carry?.partition ?? 0) + 1,
      startedAt,
      activitySeq: context.activitySeq,
      order: encodeColumn(run.settleOrder),
      steps: encodeStepResults(
        spec.graph.steps.map((step) => step.id),
        spec.graph.steps.map((step) => steps[step.id]!),
        startedAt,
      ),
    };
    if (context.cancelReason !== undefined) next.cancelReason = context.cancelReason;
    // The same input (either spec version), its run id fixed (scheduled runs), reuse already applied.
    const { reuse: _reuse, carry: _carry, ...same } = input as RunSpec;
    const argument = { ...same, runId: spec.runId, carry: next } as RunSpec;
    const size = jsonSize(argument);
    if (size > spec.options.maxPayloadBytes) {
      const error = payloadTooLarge(
        `the state ${spec.graph.kind} "${spec.root}" carries into its next partition (the spec and every step's result)`,
        size,
        spec.options.maxPayloadBytes,
      );
      throw ApplicationFailure.create({ message: error.message, type: error.code, nonRetryable: true });
    }
    return continueAsNew<typeof cascadenceFlow>(argument);
  }
  const summary: RunSummary = {
    runId: spec.runId,
    task: spec.root,
    status: outcome.status,
    steps: outcome.steps,
    startedAt,
    durationMs: Date.now() - startedAt,
  };
  if (outcome.status === 'succeeded') summary.output = outcome.output;
  if (outcome.error !== undefined) summary.error = outcome.error;
  // Plain when it fits (as earlier releases); as tables when a large run's would not.
  let result: RunSummary | CompactSummary = summary;
  let size = jsonSize(summary);
  if (size > spec.options.maxPayloadBytes) {
    result = compactSummary(summary);
    size = jsonSize(result);
  }
  final = result;
  if (size > spec.options.maxPayloadBytes) {
    const error = payloadTooLarge(
      `the result of ${spec.graph.kind} "${spec.root}" (all step outputs together)`,
      size,
      spec.options.maxPayloadBytes,
    );
    throw ApplicationFailure.create({ message: error.message, type: error.code, nonRetryable: true });
  }
  if (summary.status === 'succeeded') return result;
  if (summary.status === 'cancelled')
    throw new CancelledFailure(summary.error?.message ?? `${spec.graph.kind} "${spec.root}" was cancelled`);
  throw ApplicationFailure.create({
    message: summary.error?.message ?? `${spec.graph.kind} "${spec.root}" failed`,
    type: RUN_FAILED_TYPE,
    nonRetryable: true,
    details: [result],
  });
}

/** The spec the run interprets; a compact spec that does not decode fails the workflow (not its task, which would retry forever). */
function decodeSpec(input: RunSpec | CompactRunSpec): RunSpec {
  try {
    return decodeRunSpec(input);
  } catch (error) {
    throw ApplicationFailure.nonRetryable(
      `cascadenceFlow could not read its RunSpec: ${error instanceof Error ? error.message : String(error)}`,
      TemporalErrorCode.SPEC_VERSION,
    );
  }
}
