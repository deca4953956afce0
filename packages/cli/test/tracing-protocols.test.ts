// `task run` exports over the OTLP protocol OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL names — checked
// against a real Jaeger (OTLP/HTTP with protobuf bodies, and OTLP/gRPC) read back through its query API.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { otlpProtocol } from '../src/otlp-exporter';
import { findJaegerBinary, findTraces, spanNamed, startJaeger, tag, type Jaeger } from '@cascadence/test-kit';
import { Project } from './cli-harness';

const FLOW = `
  import { defineFlow } from '@cascadence/core';
  export const report = defineFlow({ name: 'report', steps: {
    fetch: { run: () => [1, 2] },
    total: { needs: ['fetch'], run: (ctx) => ctx.results.fetch.length },
  } });
`;

function reportProject(): Project {
  const project = new Project({ 'cascadence.config.mjs': `export default { tasks: ['./tasks.mjs'] };`, 'tasks.mjs': FLOW });
  project.linkCore();
  return project;
}

describe('OTLP protocol of task run', () => {
  it('reads the traces-specific variable first, then the general one; http/json by default', () => {
    expect(otlpProtocol({})).toBe('http/json');
    expect(otlpProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toBe('grpc');
    expect(otlpProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: ' http/protobuf ' })).toBe(
      'http/protobuf',
    );
    expect(otlpProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: '' })).toBe('http/json');
  });

  it('refuses an unknown protocol with a coded error naming the variable and the accepted values, without running the task', () => {
    const project = reportProject();
    try {
      const result = project.task(['run', 'report'], {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'thrift',
      });
      expect(result.code).toBe(2);
      expect(result.stdout).not.toContain('succeeded');
      expect(result.stderr).toContain(
        'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL="thrift" is not an OTLP protocol task can export with; use one of http/json, http/protobuf, grpc',
      );
      expect(() => otlpProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http' })).toThrow(expect.objectContaining({ code: 'CASCADENCE_CONFIG' }));
    } finally {
      project.remove();
    }
  });

  it('http/protobuf posts protobuf bodies to /v1/traces (a real HTTP receiver)', async () => {
    const seen: string[] = [];
    const receiver = http.createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        seen.push(`${request.method} ${request.url} ${request.headers['content-type']}`);
        response.setHeader('content-type', 'application/x-protobuf');
        response.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const project = reportProject();
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
      const running = project.start(['run', 'report'], { OTEL_EXPORTER_OTLP_ENDPOINT: url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' });
      expect({ code: await running.exited(), stderr: running.stderr() }).toEqual({ code: 0, stderr: '' });
      expect(seen).toEqual(['POST /v1/traces application/x-protobuf']);
    } finally {
      project.remove();
      await new Promise((resolve) => receiver.close(resolve));
    }
  });
});

const jaegerBinary = findJaegerBinary();
if (jaegerBinary === undefined && process.env.CI === 'true')
  throw new Error('[cli tracing protocols] no Jaeger binary (CI=true: required)');
if (jaegerBinary === undefined) console.warn('[cli tracing protocols] no Jaeger binary: SKIPPING the Jaeger tests');
const describeJaeger = jaegerBinary === undefined ? describe.skip : describe;

describeJaeger('task run exporting to a real Jaeger', () => {
  let jaeger: Jaeger;
  beforeAll(async () => {
    jaeger = await startJaeger(jaegerBinary as string);
  }, 90_000);
  afterAll(async () => {
    await jaeger?.stop();
  });

  it.each([
    ['http/protobuf', () => jaeger.otlpHttpEndpoint],
    ['grpc', () => jaeger.otlpGrpcEndpoint],
  ])(
    '%s: the run and its steps arrive as one trace',
    async (protocol, endpoint) => {
      const service = `cli-${protocol.replace('/', '-')}-${randomUUID().slice(0, 8)}`;
      const project = reportProject();
      try {
        const result = project.task(['run', 'report'], {
          OTEL_EXPORTER_OTLP_ENDPOINT: endpoint(),
          OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
          OTEL_SERVICE_NAME: service,
        });
        expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
        const [trace] = await findTraces(
          jaeger,
          { service, operation: 'cascadence.run report' },
          (traces) => traces.length === 1 && traces[0]!.spans.length === 3,
        );
        const run = spanNamed(trace!, 'cascadence.run report');
        expect(tag(run, 'cascadence.trigger')).toBe('cli');
        expect(tag(run, 'cascadence.status')).toBe('succeeded');
        for (const step of ['fetch', 'total']) expect(spanNamed(trace!, `cascadence.step ${step}`).references[0]?.spanID).toBe(run.spanID);
      } finally {
        project.remove();
      }
    },
    60_000,
  );
});
