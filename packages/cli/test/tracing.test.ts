// `task run` exports traces over OTLP/HTTP when the standard OTEL_* variables ask for it.
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tracingRequested } from '../src/tracing';
import { bin, Project } from './cli-harness';

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: number | string };
}
interface OtlpSpan {
  name: string;
  attributes: OtlpAttribute[];
}
interface OtlpBody {
  resourceSpans: Array<{ resource: { attributes: OtlpAttribute[] }; scopeSpans: Array<{ scope: { name: string }; spans: OtlpSpan[] }> }>;
}

const value = (attributes: OtlpAttribute[], key: string) => {
  const found = attributes.find((a) => a.key === key)?.value;
  return found?.stringValue ?? found?.intValue;
};

describe('task run with OpenTelemetry', () => {
  it('sends the run and step spans to OTEL_EXPORTER_OTLP_ENDPOINT (a real HTTP receiver)', async () => {
    const bodies: OtlpBody[] = [];
    const paths: string[] = [];
    const receiver = http.createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        paths.push(`${request.method} ${request.url} ${request.headers['content-type']}`);
        bodies.push(JSON.parse(body) as OtlpBody);
        response.setHeader('content-type', 'application/json');
        response.end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const project = new Project({ 'cascadence.config.mjs': `export default { tasks: ['./tasks.mjs'] };` });
    project.linkCore();
    project.write('tasks.mjs', `
      import { defineFlow } from '@cascadence/core';
      export const report = defineFlow({ name: 'report', steps: {
        fetch: { run: () => [1, 2] },
        total: { needs: ['fetch'], run: (ctx) => ctx.results.fetch.length },
      } });
    `);
    try {
      const child = spawn(process.execPath, [bin, 'run', 'report'], {
        cwd: project.dir,
        env: { ...process.env, NO_COLOR: '1', OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`, OTEL_SERVICE_NAME: 'cli-tracing-test' },
      });
      let stderr = '';
      child.stderr.on('data', (c) => (stderr += c));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      expect(paths.length).toBeGreaterThan(0);
      expect(paths[0]).toBe('POST /v1/traces application/json');
      const spans = bodies.flatMap((b) => b.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((span) => ({ span, resource: r.resource, scope: s.scope.name })))));
      expect(spans.map((s) => s.span.name).sort()).toEqual(['cascadence.run report', 'cascadence.step fetch', 'cascadence.step total']);
      const run = spans.find((s) => s.span.name === 'cascadence.run report')!;
      expect(value(run.resource.attributes, 'service.name')).toBe('cli-tracing-test');
      expect(run.scope).toBe('@cascadence/otel');
      expect(value(run.span.attributes, 'cascadence.trigger')).toBe('cli');
      expect(value(run.span.attributes, 'cascadence.status')).toBe('succeeded');
    } finally {
      project.remove();
      await new Promise((resolve) => receiver.close(resolve));
    }
  });

  it('is on only when an OTLP endpoint is set and the SDK is not disabled', () => {
    expect(tracingRequested({})).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: ' ' })).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' })).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_EXPORTER: 'none' })).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_EXPORTER: 'otlp' })).toBe(true);
  });
});
