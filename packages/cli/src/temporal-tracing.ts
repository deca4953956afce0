/**
 * Temporal's OpenTelemetry interceptors for the CLI's Temporal client and worker, loaded only when
 * tracing is on: the client puts the run's context into the workflow's headers, the workflow
 * interceptors (bundled with the DAG workflow) and the activity interceptor carry it on to the
 * worker, where each step's span joins the activity's.
 */
import { createRequire } from 'node:module';
import type { CreateWorkerOptions, TemporalBackendOptions } from '@cascadence/temporal';
import type { CommandTracing } from './tracing';

// A CommonJS package without an exports map: required, not imported.
const require = createRequire(import.meta.url);
const PACKAGE = '@temporalio/interceptors-opentelemetry';

export function tracedClientInterceptors(): NonNullable<TemporalBackendOptions['clientInterceptors']> {
  const { OpenTelemetryWorkflowClientInterceptor } = require(PACKAGE);
  return { workflow: [new OpenTelemetryWorkflowClientInterceptor()] };
}

export async function tracedWorkerOptions(
  tracing: CommandTracing,
): Promise<Pick<CreateWorkerOptions, 'workflowInterceptorModules' | 'workerOptions'>> {
  const { makeWorkflowExporter, OpenTelemetryActivityInboundInterceptor } = require(`${PACKAGE}/lib/worker`);
  const { temporalWorkflowSpanExporter } = await import('@cascadence/otel');
  return {
    workflowInterceptorModules: [require.resolve(`${PACKAGE}/lib/workflow-interceptors`)],
    workerOptions: {
      interceptors: { activity: [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx) })] },
      // Workflow spans come out of the sandbox in the 1.x SDK shape: adapted for the 2.x exporter.
      sinks: { exporter: makeWorkflowExporter(temporalWorkflowSpanExporter(tracing.exporter as never), tracing.resource) },
    },
  };
}
