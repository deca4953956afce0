import type { ChildProcess } from 'node:child_process';

/**
 * Ends a child process a test started: SIGTERM, then SIGKILL if it is still there after `graceMs`.
 * The grace timer is cleared as soon as the child exits: a pending one kept Jest from exiting
 * ("Jest did not exit one second after the test run", issue 20).
 */
export async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  let grace: ReturnType<typeof setTimeout> | undefined;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await Promise.race([gone, new Promise<void>((resolve) => (grace = setTimeout(resolve, graceMs)))]);
  clearTimeout(grace);
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await gone;
  }
}
