import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineFlow, defineTask, Engine, LocalBackend, silentLogger } from '@cascadence/core';
import { createMetrics } from '@cascadence/metrics';
import { openHistory } from '../src';

/** Sums of one counter from Prometheus text, by `flow/step` label pair. */
function counter(text: string, name: string, extra = ''): Map<string, number> {
  const sums = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) || !line.includes(extra)) continue;
    const flow = /flow="([^"]*)"/.exec(line)?.[1] ?? '';
    const step = /step="([^"]*)"/.exec(line)?.[1] ?? '';
    const key = `${flow}/${step}`;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (value === 0) continue; // series registered ahead of any event
    sums.set(key, (sums.get(key) ?? 0) + value);
  }
  return sums;
}

it('Prometheus counters and the recorded history tell the same story', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cascadence-agree-'));
  const history = await openHistory({ path: join(dir, 'history.db'), logger: silentLogger });
  try {
    const backend = new LocalBackend(new Engine({ logger: silentLogger }));
    const metrics = createMetrics();
    metrics.instrument(backend);
    history.record(backend);
    const ok = defineTask({ name: 'ok', run: () => 1 });
    const flaky = defineTask({
      name: 'flaky',
      retry: { attempts: 2, delayMs: 1 },
      run: (_ctx, n: number) => {
        if (n % 3 === 0) throw new Error('no');
        return n;
      },
    });
    const flow = defineFlow({
      name: 'pipe',
      steps: {
        first: { task: flaky, with: 3 },
        second: { needs: ['first'], run: () => 2 },
        always: { needs: ['first'], when: 'all-done', run: () => 3 },
      },
    });
    for (let i = 0; i < 17; i++) await backend.run(ok);
    for (let i = 0; i < 9; i++) await backend.run(flaky, i);
    for (let i = 0; i < 4; i++) await backend.run(flow);
    await history.flush();

    const text = await metrics.text();
    const recorded = new Map<string, Map<string, number>>();
    const count = (status: string, key: string) => {
      const byStatus = recorded.get(status) ?? new Map<string, number>();
      byStatus.set(key, (byStatus.get(key) ?? 0) + 1);
      recorded.set(status, byStatus);
    };
    for (const run of await history.runs({ limit: 1000 })) {
      // A flow is a task too: metrics count its run's outcome under its own name.
      if (run.kind === 'flow') count(run.status, `/${run.task}`);
      for (const step of await history.steps(run.id)) {
        count(step.status, `${run.kind === 'flow' ? run.task : ''}/${step.step}`);
      }
    }
    expect(counter(text, 'task_success_total')).toEqual(recorded.get('succeeded'));
    expect(counter(text, 'task_failure_total', 'status="failed"')).toEqual(recorded.get('failed'));
    expect(counter(text, 'task_skipped_total')).toEqual(recorded.get('skipped'));
    expect(recorded.get('succeeded')?.get('/ok')).toBe(17);
  } finally {
    await history.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
