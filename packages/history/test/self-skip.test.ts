// Issue 19: a step that skipped itself (ctx.skip) ran: history keeps its attempt and start time, with reason `self`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineFlow, Engine, LocalBackend, silentLogger } from '@cascadence/core';
import { openHistory } from '../src';

test('a self-skipped step is recorded skipped (reason self) with its attempt and timing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cascadence-history-skip-'));
  const history = await openHistory({ path: join(dir, 'history.db') });
  try {
    const engine = new Engine({ logger: silentLogger });
    history.record(new LocalBackend(engine));
    const flow = defineFlow({
      name: 'maybe',
      steps: { check: { run: async (ctx) => ctx.skip('nothing new') }, after: { needs: ['check'], run: () => 1 } },
    });
    const result = await engine.run(flow);
    await history.flush();
    const steps = Object.fromEntries((await history.steps(result.runId)).map((s) => [s.step, s]));
    expect(steps.check).toMatchObject({ status: 'skipped', skipReason: 'self', attempts: 1 });
    expect(typeof steps.check?.startedAt).toBe('number');
    expect(steps.after).toMatchObject({ status: 'skipped', skipReason: 'trigger-rule', attempts: 0 });
    // Its attempt is shown skipped, not failed (the dashboard's timeline colours attempts by it).
    const attempts = await history.attempts(result.runId);
    expect(attempts.map((a) => [a.step, a.status])).toEqual([['check', 'skipped']]);
  } finally {
    await history.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
