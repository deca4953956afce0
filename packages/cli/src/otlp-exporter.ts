/**
 * The OTLP span exporter the environment asks for: OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, else
 * OTEL_EXPORTER_OTLP_PROTOCOL — `http/json` (the default here, as before this variable was read),
 * `http/protobuf` or `grpc`. Only the chosen exporter package is imported; each reads its endpoint,
 * headers, timeout and compression from the standard variables itself.
 */
import type { SpanExporter } from '@opentelemetry/sdk-trace-node';
import { CliError, CliErrorCode, EXIT_USAGE } from './errors';

export const OTLP_PROTOCOLS = ['http/json', 'http/protobuf', 'grpc'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

/** The protocol asked for, or a CASCADENCE_CONFIG error naming the variable and the accepted values. */
export function otlpProtocol(env: NodeJS.ProcessEnv = process.env): OtlpProtocol {
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') continue;
    const value = raw.toLowerCase();
    if ((OTLP_PROTOCOLS as readonly string[]).includes(value)) return value as OtlpProtocol;
    throw new CliError(
      CliErrorCode.CONFIG,
      `${name}=${JSON.stringify(raw)} is not an OTLP protocol task can export with; use one of ${OTLP_PROTOCOLS.join(', ')}`,
      EXIT_USAGE,
      {
        details: { variable: name, value: raw },
        suggestions: [`${name}=http/protobuf`, `unset ${name} for http/json`],
      },
    );
  }
  return 'http/json';
}

/** A new exporter for `protocol`, its package imported now. */
export async function createOtlpTraceExporter(protocol: OtlpProtocol): Promise<SpanExporter> {
  switch (protocol) {
    case 'http/protobuf':
      return new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter();
    case 'grpc':
      return new (await import('@opentelemetry/exporter-trace-otlp-grpc')).OTLPTraceExporter();
    default:
      return new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter();
  }
}
