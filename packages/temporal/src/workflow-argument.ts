import { encodeIds, encodeRunSpec, type CompactRunSpec } from './compact-spec';
import { TemporalErrorCode, temporalError } from './errors';
import { largestStepEvents, minHistoryEvents } from './history-budget';
import { formatBytes, jsonSize, type RunSpec, type WireGraph } from './wire';

/**
 * What the workflow receives for `spec`: its compact form (size grows with what is distinct in the
 * flow, not with its step count), checked against the payload limit before anything starts —
 * Temporal would refuse it with a bare "Failed to start Workflow".
 */
export function workflowArgument(spec: RunSpec): CompactRunSpec {
  checkHistoryEvents(spec);
  const argument = encodeRunSpec(spec);
  const size = jsonSize(argument);
  const limit = spec.options.maxPayloadBytes;
  if (size > limit) {
    const steps = countSteps(spec.graph);
    const what = `${spec.graph.kind} "${spec.root}"`;
    throw temporalError(
      TemporalErrorCode.SPEC_TOO_LARGE,
      `the run spec of ${what} (${steps} steps, input included) is ${formatBytes(size)} as a workflow input, over the ${formatBytes(limit)} Temporal payload limit (maxPayloadBytes; the server refuses blobs over limit.blobSize.error, 2 MiB by default)`,
      {
        details: { size, limit, steps },
        suggestions: [
          'split the flow into smaller flows run one after another',
          'make one step per item a step that loops over (maps) the items, or that passes a reference to them',
          'raise the server limit (dynamic config limit.blobSize.error) and maxPayloadBytes together',
        ],
      },
    );
  }
  checkResultSize(spec, size);
  return argument;
}

/** Bytes every step adds to the run result at least, as tables (summary-codec.ts): its status letter, an output, separators. */
const RESULT_BYTES_PER_STEP = 3;

/**
 * The run result (and, in a partitioned run, the state carried with the spec into each next
 * workflow run) holds every root step's id and result: a run whose result cannot fit even with
 * empty outputs fails now, not at its end. Counted as a lower bound: the ids as the result stores
 * them, and RESULT_BYTES_PER_STEP per step.
 */
function checkResultSize(spec: RunSpec, specBytes: number): void {
  const ids = spec.graph.steps.map((step) => step.id);
  const result = jsonSize(encodeIds(ids)) + RESULT_BYTES_PER_STEP * ids.length;
  // Partitioned runs carry the result's tables beside the spec.
  const partitioned = (spec.options.partitionHistoryEvents ?? 0) > 0;
  const size = partitioned ? result + specBytes : result;
  const limit = spec.options.maxPayloadBytes;
  if (size <= limit) return;
  const what = `${spec.graph.kind} "${spec.root}"`;
  throw temporalError(
    TemporalErrorCode.PAYLOAD_TOO_LARGE,
    `the run result of ${what} (${ids.length} steps) needs at least ${formatBytes(size)}${partitioned ? ' with the run spec it is carried with between partitions' : ''} before any step output, over the ${formatBytes(limit)} Temporal payload limit (maxPayloadBytes)`,
    {
      details: { size, limit, steps: ids.length },
      suggestions: [
        'split the flow into smaller flows run one after another',
        'make one step per item a step that maps over the items (a map step is one entry of the result)',
        'shorter step ids, or ids that count up (s0, s1, …) which the result stores as one range',
      ],
    },
  );
}

/** A run that cannot fit in the server's history event limit fails now, not when the server terminates it. */
function checkHistoryEvents(spec: RunSpec): void {
  const limit = spec.options.maxHistoryEvents;
  if (limit === undefined) return;
  const partition = spec.options.partitionHistoryEvents ?? 0;
  if (partition > 0) {
    // Partitioned: the run continues as new whenever its history is long; only a step that needs
    // more than what is left after the partition point on its own (a large nested flow) cannot fit.
    const largest = largestStepEvents(spec.graph);
    if (largest.events <= limit - partition) return;
    const step = spec.graph.steps[largest.index]!;
    throw temporalError(
      TemporalErrorCode.HISTORY_LIMIT,
      `step "${step.id}" of ${spec.graph.kind} "${spec.root}" (a nested flow of ${countSteps(step.flow!)} steps, run inline in one workflow run) needs at least ${largest.events} workflow history events, over the ${limit - partition} a partition leaves it (maxHistoryEvents ${limit} minus partitionHistoryEvents ${partition})`,
      {
        details: { events: largest.events, limit: limit - partition, step: step.id },
        suggestions: [
          'run the nested flow as its own flow, one after another',
          'give short steps a timeoutMs of at most localStepMaxTimeoutMs: they run as local activities, about 1 history event each instead of 3 to 6',
          'lower partitionHistoryEvents, or raise the server limit (dynamic config limit.historyCount.error) and maxHistoryEvents together',
        ],
      },
    );
  }
  const events = minHistoryEvents(spec.graph);
  if (events <= limit) return;
  const steps = countSteps(spec.graph);
  throw temporalError(
    TemporalErrorCode.HISTORY_LIMIT,
    `${spec.graph.kind} "${spec.root}" (${steps} steps) needs at least ${events} workflow history events when every step runs, over Temporal's limit of ${limit} events per workflow (maxHistoryEvents)`,
    {
      details: { events, limit, steps },
      suggestions: [
        'split the flow into smaller flows run one after another',
        'give short steps a timeoutMs of at most localStepMaxTimeoutMs: they run as local activities, about 1 history event each instead of 3 to 6',
        'make one step per item a step that loops over (maps) the items',
        'raise the server limit (dynamic config limit.historyCount.error) and maxHistoryEvents together',
      ],
    },
  );
}

function countSteps(graph: WireGraph): number {
  let steps = 0;
  for (const step of graph.steps) steps += 1 + (step.flow === undefined ? 0 : countSteps(step.flow));
  return steps;
}
