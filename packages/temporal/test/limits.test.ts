/** Payload limits and worker/client mismatches end in clear errors, not in stuck workflows. */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CascadenceError, defineFlow, silentLogger } from '@cascadence/core';
import { TemporalBackend, type CascadenceWorker } from '../src';
import { describeTemporal, serverAddress, startWorker, tempDir, uniqueQueue } from './helpers';

const big = defineFlow({
  name: 'big-output',
  steps: {
    small: { run: () => 'fine' },
    huge: { run: () => 'x'.repeat(300_000) },
    after: { needs: ['huge'], run: () => 'never' },
  },
});
const { dir: dataDir, cleanup } = tempDir('cascadence-limits-');
const report = 'r'.repeat(20_000);
const largeOutput = defineFlow({
  name: 'large-output',
  steps: {
    build: { run: () => report },
    use: { needs: ['build'], run: (ctx) => (ctx.results.build as string).length },
  },
});
/** The documented way: the step stores the data and returns a reference; the next step loads it. */
const byReference = defineFlow({
  name: 'by-reference',
  steps: {
    build: {
      run: (ctx) => {
        const file = path.join(dataDir, `${ctx.runId}.txt`);
        writeFileSync(file, report);
        return { file };
      },
    },
    use: { needs: ['build'], run: (ctx) => readFileSync((ctx.results.build as { file: string }).file, 'utf8').length },
  },
});
const known = defineFlow({ name: 'known', steps: { a: { run: () => 1 } } });
const unknownToWorker = defineFlow({ name: 'unknown-to-worker', steps: { a: { run: () => 1 } } });
const renamedStep = defineFlow({ name: 'known', steps: { renamed: { run: () => 1 } } });

describeTemporal('limits and mismatches', () => {
  const taskQueue = uniqueQueue('limits');
  let worker: CascadenceWorker;
  let backend: TemporalBackend;

  beforeAll(async () => {
    worker = await startWorker({ taskQueue, tasks: [big, known, largeOutput, byReference], logger: silentLogger });
    backend = new TemporalBackend({ address: serverAddress(), taskQueue, maxPayloadBytes: 100_000 });
  });
  afterAll(async () => {
    await backend?.close();
    await worker?.shutdown();
    cleanup();
  });

  it('a step output over maxPayloadBytes fails that step with CASCADENCE_TEMPORAL_PAYLOAD_TOO_LARGE', async () => {
    const result = await backend.run(big);
    expect(result.status).toBe('failed');
    expect(result.steps.small?.status).toBe('succeeded');
    expect(result.steps.huge).toMatchObject({ status: 'failed', attempts: 1 });
    expect(CascadenceError.isInstance(result.steps.huge?.error, 'CASCADENCE_TEMPORAL_PAYLOAD_TOO_LARGE')).toBe(true);
    expect(result.steps.huge?.error?.message).toMatch(
      /^the output of step "huge" of flow "big-output" is 293\.0 KiB, over the 97\.7 KiB Temporal payload limit/,
    );
    expect(result.steps.after?.status).toBe('skipped');
  });

  it('a step output over maxOutputBytes (the history cap) fails that step with CASCADENCE_TEMPORAL_OUTPUT_TOO_LARGE; a reference passes', async () => {
    const capped = new TemporalBackend({ address: serverAddress(), taskQueue, maxOutputBytes: 10_000 });
    try {
      const result = await capped.run(largeOutput);
      expect(result.status).toBe('failed');
      const error = result.steps.build?.error;
      expect(result.steps.build?.attempts).toBe(1);
      expect(CascadenceError.isInstance(error, 'CASCADENCE_TEMPORAL_OUTPUT_TOO_LARGE')).toBe(true);
      expect(error?.message).toBe(
        'the output of step "build" of flow "large-output" is 19.5 KiB, over the 9.8 KiB cap on a step output recorded in the workflow history (maxOutputBytes)',
      );
      expect(result.steps.use?.status).toBe('skipped');
      const passed = await capped.run(byReference);
      expect(passed.status).toBe('succeeded');
      expect(passed.steps.use?.output).toBe(20_000);
    } finally {
      await capped.close();
    }
    // The default cap (512 KiB) lets the same output through.
    expect((await backend.run(largeOutput)).steps.use?.output).toBe(20_000);
  });

  it('an input over maxPayloadBytes is refused before starting', async () => {
    const error = await backend.start(known, { blob: 'y'.repeat(200_000) }).catch((e: unknown) => e);
    expect(CascadenceError.isInstance(error, 'CASCADENCE_TEMPORAL_PAYLOAD_TOO_LARGE')).toBe(true);
    expect((error as Error).message).toContain('the input of flow "known"');
  });

  it('a flow or step the worker does not know fails at once with CASCADENCE_TEMPORAL_STEP_NOT_FOUND', async () => {
    const unknown = await backend.run(unknownToWorker);
    expect(unknown.status).toBe('failed');
    expect(CascadenceError.isInstance(unknown.steps.a?.error, 'CASCADENCE_TEMPORAL_STEP_NOT_FOUND')).toBe(true);
    expect(unknown.steps.a?.error?.message).toContain('this worker does not know task or flow "unknown-to-worker"');
    const renamed = await backend.run(renamedStep);
    expect(renamed.steps.renamed?.error?.message).toContain(`the worker's flow "known" has no step "renamed"`);
  });
});
