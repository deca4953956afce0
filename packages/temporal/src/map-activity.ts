/**
 * The activity that runs a map step's `map: (ctx) => items` function. The function is code, so it
 * runs on the worker, which holds the flow definition (resolved by root name and step path, as
 * steps are); the workflow gets the list (recorded in its history, so replay does not call the
 * function again) and maps over it like over a step id. Tried once, as the local engine calls it
 * once; the function sees the step's `ctx` with its needed results.
 */
import { scopedLogger, type Logger, type TaskContext } from '@cascadence/core';
import { checkItems } from '@cascadence/core/dag';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { flowAt, notFound, planOn, type StepSource } from './activity';
import { TemporalErrorCode } from './errors';
import { toWireError } from './result';
import { formatBytes, jsonSize, type MapItemsCall, type MapItemsReport, type StepFailureDetails } from './wire';

function failure(message: string, name: string, code: string | undefined, nonRetryable = true): ApplicationFailure {
  return ApplicationFailure.create({
    message,
    type: name,
    nonRetryable,
    details: [{ attempt: Context.current().info.attempt, name, ...(code === undefined ? {} : { code }) } satisfies StepFailureDetails],
  });
}

export function mapItemsActivity(source: StepSource, logger: Logger): (call: MapItemsCall) => Promise<MapItemsReport> {
  return async (call) => {
    const stepId = call.path[call.path.length - 1] as string;
    const flow = flowAt(source, call.root, call.path.slice(0, -1));
    const select = planOn(source, flow, stepId).map?.select;
    if (select === undefined) throw notFound(`the worker's step "${stepId}" of flow "${flow.name}" has no map function`);
    const context = Context.current();
    const ctx: TaskContext = {
      runId: call.runId,
      task: call.label,
      stepId,
      flow: call.flow,
      attempt: 1,
      signal: context.cancellationSignal,
      log: scopedLogger(logger, `${flow.name}/${stepId}`),
      results: Object.assign(Object.create(null) as Record<string, unknown>, call.results),
      skip(): never {
        throw new Error('ctx.skip() is for a step or an item, not for its map function');
      },
    };
    let value: unknown;
    try {
      value = await select(ctx);
    } catch (thrown) {
      const wire = toWireError(thrown instanceof Error ? thrown : new Error(String(thrown)));
      throw failure(wire.message, wire.name, wire.code);
    }
    const found = checkItems(value);
    if (found.items === undefined) return { problem: found.problem };
    const size = jsonSize(found.items);
    if (size > call.maxPayloadBytes) {
      throw failure(
        `the list the map function of step "${stepId}" of flow "${flow.name}" returned is ${formatBytes(size)}, over the ${formatBytes(call.maxPayloadBytes)} Temporal payload limit (maxPayloadBytes)`,
        'CascadenceError',
        TemporalErrorCode.PAYLOAD_TOO_LARGE,
      );
    }
    return { items: found.items };
  };
}
