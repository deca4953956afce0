// `plugins: ['@cascadence/otel']` in the config traces `task run` without code: through the SDK a
// `--import` setup file registers, or through the CLI's own OTLP export (then each span once).
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EventBus } from '@cascadence/core';
import { attachPluginInstrumentation } from '../src/plugin-instrumentation';
import { Project } from './cli-harness';

// The SDK and API the otel package is tested with, given to the project's setup file by path.
const otelDir = join(__dirname, '..', '..', 'otel');
const sdkUrl = pathToFileURL(require.resolve('@opentelemetry/sdk-trace-base', { paths: [otelDir] })).href;
const apiUrl = pathToFileURL(require.resolve('@opentelemetry/api', { paths: [otelDir] })).href;

function pluginProject(): Project {
  const project = new Project({
    'package.json': JSON.stringify({ name: 'otel-plugin-project', private: true, type: 'module' }),
    'cascadence.config.mjs': `export default { tasks: ['./tasks.mjs'], plugins: ['@cascadence/otel'] };`,
    'tasks.mjs': `
      import { defineFlow } from '@cascadence/core';
      export const report = defineFlow({ name: 'report', steps: {
        fetch: { run: () => [1, 2] },
        total: { needs: ['fetch'], run: (ctx) => ctx.results.fetch.length },
      } });
    `,
  });
  project.linkCore();
  project.link('@cascadence/otel');
  return project;
}

describe('the @cascadence/otel plugin listed in the config', () => {
  it('traces task run through the tracer provider an --import setup file registers', () => {
    const project = pluginProject();
    try {
      const spansFile = join(project.dir, 'spans.json');
      project.write(
        'telemetry.mjs',
        `
        import { writeFileSync } from 'node:fs';
        import { trace } from ${JSON.stringify(apiUrl)};
        import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from ${JSON.stringify(sdkUrl)};
        const exporter = new InMemorySpanExporter();
        trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
        process.on('exit', () => writeFileSync(${JSON.stringify(spansFile)}, JSON.stringify(exporter.getFinishedSpans().map((s) => ({
          name: s.name, spanId: s.spanContext().spanId, parent: s.parentSpanContext?.spanId, attributes: s.attributes,
        })))));
      `,
      );
      const result = project.task(['run', 'report'], {
        NODE_OPTIONS: `--import=${pathToFileURL(join(project.dir, 'telemetry.mjs')).href}`,
      });
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      const spans = JSON.parse(readFileSync(spansFile, 'utf8')) as Array<{
        name: string;
        spanId: string;
        parent?: string;
        attributes: Record<string, unknown>;
      }>;
      expect(spans.map((s) => s.name).sort()).toEqual(['cascadence.run report', 'cascadence.step fetch', 'cascadence.step total']);
      const run = spans.find((s) => s.name === 'cascadence.run report')!;
      expect(run.attributes).toMatchObject({
        'cascadence.trigger': 'cli',
        'cascadence.backend': 'local',
        'cascadence.status': 'succeeded',
      });
      for (const step of spans.filter((s) => s !== run)) expect(step.parent).toBe(run.spanId);
    } finally {
      project.remove();
    }
  });

  it('with OTEL_EXPORTER_OTLP_ENDPOINT too, the CLI exports each span once (the plugin traces through its provider)', async () => {
    const names: string[] = [];
    const receiver = http.createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        const parsed = JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ name: string }> }> }> };
        for (const r of parsed.resourceSpans) for (const s of r.scopeSpans) for (const span of s.spans) names.push(span.name);
        response.setHeader('content-type', 'application/json');
        response.end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const project = pluginProject();
    try {
      const running = project.start(['run', 'report'], {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`,
      });
      expect({ code: await running.exited(), stderr: running.stderr() }).toEqual({ code: 0, stderr: '' });
      expect(names.sort()).toEqual(['cascadence.run report', 'cascadence.step fetch', 'cascadence.step total']);
    } finally {
      project.remove();
      await new Promise((resolve) => receiver.close(resolve));
    }
  });
});

describe('attachPluginInstrumentation', () => {
  it('attaches each instrumentation once per bus, with the target name; one that throws is an escaped warning', () => {
    const bus = new EventBus();
    const seen: string[] = [];
    const warnings: string[] = [];
    let detached = 0;
    const detach = attachPluginInstrumentation(
      {
        instrumentation: [
          {
            plugin: 'good',
            name: 'spans',
            attach: (target) => (seen.push(`${(target as { name?: string }).name}`), () => void detached++),
          },
          {
            plugin: 'evil\u001b[2J',
            name: 'broken',
            attach: () => {
              throw new Error('no \u001b]0;title\u0007');
            },
          },
        ],
      },
      [{ events: bus, name: 'temporal' }, { events: bus, name: 'again' }, { name: 'no bus' }],
      (line) => warnings.push(line),
    );
    expect(seen).toEqual(['temporal']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^warning: instrumentation "broken" of plugin evil.*could not attach: no /);
    expect(warnings[0]).not.toMatch(/\u001b|\u0007/);
    detach();
    detach();
    expect(detached).toBe(1);
  });
});
