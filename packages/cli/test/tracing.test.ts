// `task run` exports traces over OTLP (protocols: tracing-protocols.test.ts) when the standard OTEL_* variables ask for it.
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { findTemporalBinary, startDevServer } from '@cascadence/temporal/testing';
import { tracingRequested } from '../src/tracing';
import { bin, Project } from './cli-harness';

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: number | string };
}
interface OtlpSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
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
    project.write(
      'tasks.mjs',
      `
      import { defineFlow } from '@cascadence/core';
      export const report = defineFlow({ name: 'report', steps: {
        fetch: { run: () => [1, 2] },
        total: { needs: ['fetch'], run: (ctx) => ctx.results.fetch.length },
      } });
    `,
    );
    try {
      const child = spawn(process.execPath, [bin, 'run', 'report'], {
        cwd: project.dir,
        env: {
          ...process.env,
          NO_COLOR: '1',
          OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`,
          OTEL_SERVICE_NAME: 'cli-tracing-test',
        },
      });
      let stderr = '';
      child.stderr.on('data', (c) => (stderr += c));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      expect(paths.length).toBeGreaterThan(0);
      expect(paths[0]).toBe('POST /v1/traces application/json');
      const spans = bodies.flatMap((b) =>
        b.resourceSpans.flatMap((r) =>
          r.scopeSpans.flatMap((s) => s.spans.map((span) => ({ span, resource: r.resource, scope: s.scope.name }))),
        ),
      );
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

/** A real OTLP/HTTP receiver: keeps every JSON body POSTed to /v1/traces. */
async function otlpReceiver(): Promise<{ url: string; spans(): Array<{ span: OtlpSpan; service: unknown }>; close(): Promise<void> }> {
  const bodies: OtlpBody[] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      if (request.url === '/v1/traces') bodies.push(JSON.parse(body) as OtlpBody);
      response.setHeader('content-type', 'application/json');
      response.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans: () =>
      bodies.flatMap((b) =>
        b.resourceSpans.flatMap((r) =>
          r.scopeSpans.flatMap((s) => s.spans.map((span) => ({ span, service: value(r.resource.attributes, 'service.name') }))),
        ),
      ),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const temporalBinary = process.env.TEMPORAL_BIN ?? findTemporalBinary();
if (temporalBinary === undefined && process.env.CI === 'true')
  throw new Error('[cli tracing tests] no temporal binary (CI=true: required)');
const describeTemporal = temporalBinary === undefined ? describe.skip : describe;

describeTemporal('task run --backend temporal and task worker with OpenTelemetry', () => {
  // Also with the @cascadence/otel plugin listed: it traces both processes' buses, the CLI's own
  // OTLP export carries its spans (each once), and the worker's steps still say backend=temporal.
  it.each([
    ['', ''],
    [' (the @cascadence/otel plugin listed too)', `plugins: ['@cascadence/otel'], `],
  ])(
    'one trace: the run span in the client process, the step spans in the worker process under Temporal activity spans%s',
    async (_title, plugins) => {
      const server = await startDevServer({ binary: temporalBinary as string });
      const receiver = await otlpReceiver();
      const taskQueue = `cli-otel-${process.pid}`;
      const project = new Project({
        'package.json': JSON.stringify({ name: 'cli-otel-temporal', private: true, type: 'module' }),
        'cascadence.config.mjs': `export default { ${plugins}tasks: ['./tasks.mjs'], temporal: { address: ${JSON.stringify(server.address)}, taskQueue: ${JSON.stringify(taskQueue)} } };`,
        'tasks.mjs': `
        import { defineFlow } from '@cascadence/core';
        export const pair = defineFlow({ name: 'pair', steps: { a: { run: () => 1 }, b: { needs: ['a'], run: (ctx) => ctx.results.a + 1 } } });
      `,
      });
      project.linkCore();
      if (plugins !== '') project.link('@cascadence/otel');
      const env = { ...process.env, NO_COLOR: '1', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
      const worker = spawn(process.execPath, [bin, 'worker'], { cwd: project.dir, env: { ...env, OTEL_SERVICE_NAME: 'cli-worker' } });
      let workerOut = '';
      worker.stdout.on('data', (c) => (workerOut += c));
      worker.stderr.on('data', (c) => (workerOut += c));
      try {
        await new Promise<void>((resolve, reject) => {
          const poll = setInterval(() => {
            if (/worker polling task queue/.test(workerOut)) {
              clearInterval(poll);
              resolve();
            } else if (worker.exitCode !== null) {
              clearInterval(poll);
              reject(new Error(`worker exited: ${workerOut}`));
            }
          }, 50);
        });
        const run = spawn(process.execPath, [bin, 'run', 'pair', '--backend', 'temporal'], {
          cwd: project.dir,
          env: { ...env, OTEL_SERVICE_NAME: 'cli-client' },
        });
        let runErr = '';
        run.stderr.on('data', (c) => (runErr += c));
        const code = await new Promise<number | null>((resolve) => run.once('exit', resolve));
        // Only the workflow-id line `task run --backend temporal` always prints: no tracing warning.
        expect({ code, runErr: runErr.replace(/^temporal: workflow "[^\n]*\n/, '') }).toEqual({ code: 0, runErr: '' });
        // The worker exports its last spans when it stops.
        const stopped = new Promise((resolve) => worker.once('exit', resolve));
        worker.kill('SIGTERM');
        await stopped;
        // The plugin loaded and attached (a failure would be a warning line).
        expect(workerOut).not.toMatch(/warning/i);

        const spans = receiver.spans();
        // Each span once, whoever attached the tracer.
        expect(
          spans
            .filter((s) => s.span.name.startsWith('cascadence.'))
            .map((s) => s.span.name)
            .sort(),
        ).toEqual(['cascadence.run pair', 'cascadence.step a', 'cascadence.step b']);
        const runSpan = spans.find((s) => s.span.name === 'cascadence.run pair');
        expect(runSpan?.service).toBe('cli-client');
        const traceId = runSpan!.span.traceId;
        const byId = new Map(spans.map((s) => [s.span.spanId, s]));
        for (const step of ['a', 'b']) {
          const stepSpan = spans.find((s) => s.span.name === `cascadence.step ${step}`);
          expect(stepSpan?.service).toBe('cli-worker');
          expect(stepSpan?.span.traceId).toBe(traceId);
          expect(value(stepSpan!.span.attributes, 'cascadence.backend')).toBe('temporal');
          const activity = byId.get(stepSpan!.span.parentSpanId as string);
          expect(activity?.span.name).toMatch(/^RunActivity:/);
        }
        const runWorkflow = spans.find((s) => s.span.name === 'RunWorkflow:cascadenceFlow');
        expect(runWorkflow?.span.traceId).toBe(traceId);
        expect(byId.get(runWorkflow!.span.parentSpanId as string)?.span.name).toBe('StartWorkflow:cascadenceFlow');
        expect(byId.get(byId.get(runWorkflow!.span.parentSpanId as string)!.span.parentSpanId as string)?.span.name).toBe(
          'cascadence.run pair',
        );
      } finally {
        if (worker.exitCode === null) worker.kill('SIGKILL');
        project.remove();
        await receiver.close();
        await server.stop();
      }
    },
    180_000,
  );
});
