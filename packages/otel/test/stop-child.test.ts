// Issue 20: the e2e tests' Jaeger and Temporal worker processes were stopped with a race against a
// grace timer that stayed pending once the process had exited, so Jest did not exit after the run.
import { spawn } from 'node:child_process';
import { stopChild } from '@cascadence/test-kit';

const timers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

function child(code: string) {
  const process_ = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'ignore'] });
  // Stopped only once it runs (its handler is installed).
  return new Promise<typeof process_>((resolve) => process_.stdout.once('data', () => resolve(process_)));
}

test('a child that exits on SIGTERM: stopped at once, no grace timer left pending', async () => {
  const running = await child(`setInterval(() => {}, 1000); console.log('up')`);
  const before = timers();
  const started = Date.now();
  await stopChild(running, 30_000);
  expect(running.signalCode).toBe('SIGTERM');
  expect(Date.now() - started).toBeLessThan(10_000);
  expect(timers()).toBeLessThanOrEqual(before);
});

test('a child that ignores SIGTERM: killed after the grace time', async () => {
  const stubborn = await child(`process.on('SIGTERM', () => {}); setInterval(() => {}, 1000); console.log('up')`);
  await stopChild(stubborn, 200);
  expect(stubborn.signalCode).toBe('SIGKILL');
  await stopChild(stubborn, 200); // already gone: nothing to do
});
