import type { RunRecord } from '@cascadence/history';
import { percentile, statsByTask } from '../src';

const run = (task: string, status: RunRecord['status'], durationMs?: number): RunRecord =>
  ({ id: `${task}-${Math.random()}`, task, kind: 'task', backend: 'local', trigger: 'cli', host: 'h', pid: 1, status, startedAt: 0, durationMs, input: { state: 'none' } }) as RunRecord;

describe('task statistics', () => {
  test('nearest-rank percentiles', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 95)).toBe(95);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 50)).toBeNull();
  });

  test('success rate counts ended runs only; durations of running runs are left out', () => {
    const stats = statsByTask([run('a', 'succeeded', 10), run('a', 'failed', 30), run('a', 'succeeded', 20), run('a', 'running'), run('b', 'running')]);
    expect(stats.get('a')).toEqual({ runs: 4, succeeded: 2, failed: 1, successRate: 2 / 3, p50Ms: 20, p95Ms: 30 });
    expect(stats.get('b')).toEqual({ runs: 1, succeeded: 0, failed: 0, successRate: null, p50Ms: null, p95Ms: null });
  });
});
