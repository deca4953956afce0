// The otel README's example, run as written (a child process) against a real Jaeger, then found
// with the README's query for a failed run.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { findJaegerBinary, findTraces, spansNamed, startJaeger, tag } from '@cascadence/test-kit';

const binary = findJaegerBinary();
// Like jaeger.e2e.test.ts: no binary skips the test, except under CI=true, where it fails.
const run = binary === undefined && process.env.CI !== 'true' ? test.skip : test;

run('README example: the failed nightly run is found by operation and cascadence.status=failed', async () => {
  if (binary === undefined) throw new Error('[otel README example] no Jaeger binary, and CI=true: Jaeger is required');
  const jaeger = await startJaeger(binary);
  try {
    const child = spawn(process.execPath, [path.join(__dirname, '..', 'example', 'tracing.mjs')], {
      env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpTracesUrl.replace(/\/v1\/traces$/, '') },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const lines = stdout.trim().split('\n');
    // ctx.log lines carry the attempt's ids.
    expect(lines.filter((l) => /^\[nightly\/download trace_id=[0-9a-f]{32} span_id=[0-9a-f]{16}\] downloading$/.test(l))).toHaveLength(3);
    const [status, runId] = (lines.at(-1) as string).split(' ');
    expect(status).toBe('failed');
    const traces = await findTraces(
      jaeger,
      { service: 'reports', operation: 'cascadence.run nightly', tags: '{"cascadence.status":"failed"}' },
      (found) => found.length === 1 && found[0]!.spans.length >= 4,
    );
    const run = spansNamed(traces[0]!, 'cascadence.run nightly')[0]!;
    expect(tag(run, 'cascadence.run.id')).toBe(runId);
    expect(spansNamed(traces[0]!, 'cascadence.step download')).toHaveLength(3);
  } finally {
    await jaeger.stop();
  }
});
