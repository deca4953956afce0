/**
 * A worker process is SIGKILLed in the middle of a flow and a new one takes over: the flow
 * finishes, and steps that had completed are not executed again (executions counted in files).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { RunResult } from '@cascadence/core';
import { TemporalBackend } from '../src';
import { bundlePath, count, describeTemporal, serverAddress, tempDir, uniqueQueue } from './helpers';
const { createKillFlow, createMapKillFlow, createPartitionKillFlow } = require('./fixtures/kill-flow.cjs') as {
  createKillFlow(dir: string, short?: boolean): import('@cascadence/core').Flow;
  createMapKillFlow(dir: string): import('@cascadence/core').Flow;
  createPartitionKillFlow(dir: string): import('@cascadence/core').Flow;
};

function startChildWorker(taskQueue: string, dir: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [path.join(__dirname, 'fixtures', 'kill-worker.mjs'), serverAddress(), taskQueue, dir, bundlePath as string],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('ready')) resolve(child);
    });
    child.once('exit', (code, signal) => reject(new Error(`child worker exited early (code ${String(code)}, signal ${String(signal)})`)));
  });
}

async function waitFor(predicate: () => boolean, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Polls `done` (server state) every 100 ms for up to 30 s; throws `what` if it never holds. */
async function pollServer(done: () => Promise<boolean>, what: string): Promise<void> {
  for (const until = Date.now() + 30_000; !(await done());) {
    if (Date.now() > until) throw new Error(`${what} in time`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const ACTIVITY_TASK_COMPLETED = 11;

/** How many activities the workflow's history records as completed. */
async function completedActivities(handle: {
  fetchHistory(): Promise<{ events?: Array<{ eventType?: unknown }> | null }>;
}): Promise<number> {
  return ((await handle.fetchHistory()).events ?? []).filter((e) => e.eventType === ACTIVITY_TASK_COMPLETED).length;
}

/** SIGKILLs the first worker, waits for it to exit, and starts a new one on the same queue. */
async function replaceWorker(first: ChildProcess, taskQueue: string, dir: string): Promise<ChildProcess> {
  const exited = new Promise((resolve) => first.once('exit', resolve));
  first.kill('SIGKILL');
  await exited;
  expect(first.signalCode).toBe('SIGKILL');
  return startChildWorker(taskQueue, dir);
}

/** The map kill flow's result: every item's output, item 3 (in flight at the kill) run twice, the others once. */
function expectMapFinished(result: RunResult, dir: string): void {
  expect(result.status).toBe('succeeded');
  expect(result.steps.each?.output).toEqual([0, 10, 20, 30, 40, 50]);
  for (const k of [0, 1, 2, 4, 5]) expect([k, count(dir, `m${k}`)]).toEqual([k, 1]);
  expect(count(dir, 'm3')).toBe(2);
  expect(result.steps.each?.items?.[3]).toMatchObject({ status: 'succeeded', attempts: 2 });
}

describeTemporal('a worker killed mid-flow', () => {
  const { dir: root, cleanup } = tempDir('cascadence-kill-');
  const children: ChildProcess[] = [];
  let backend: TemporalBackend | undefined;

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await backend?.close();
    cleanup();
  });

  it.each([
    ['regular activities', false],
    ['short steps as local activities (a1, a2, c)', true],
  ])('is replaced by a new worker; the flow finishes and completed steps do not run again: %s', async (_name, short) => {
    const taskQueue = uniqueQueue('kill');
    const dir = path.join(root, short ? 'short' : 'regular');
    mkdirSync(dir);
    const flow = createKillFlow(dir, short);
    const first = await startChildWorker(taskQueue, dir);
    children.push(first);
    await backend?.close();
    backend = new TemporalBackend({ address: serverAddress(), taskQueue, heartbeatTimeoutMs: 2000 });
    const handle = await backend.start(flow);

    await waitFor(() => count(dir, 'b') === 1);
    children.push(await replaceWorker(first, taskQueue, dir));
    const result = await handle.result();

    expect(result.status).toBe('succeeded');
    expect(result.output).toEqual({ c: 30 });
    // Completed before the kill: never executed again.
    expect(count(dir, 'a1')).toBe(1);
    expect(count(dir, 'a2')).toBe(1);
    // In flight at the kill: run again on the new worker (at-least-once), counted as a second attempt.
    expect(count(dir, 'b')).toBe(2);
    expect(result.steps.b).toMatchObject({ status: 'succeeded', attempts: 2, output: 3 });
    expect(count(dir, 'c')).toBe(1);
    expect(result.steps.a1?.attempts).toBe(1);
    // Activity tasks on the server: only b's two attempts when a1, a2 and c are local activities.
    const history = await (await backend.client()).workflow.getHandle(handle.workflowId).fetchHistory();
    const ACTIVITY_TASK_SCHEDULED = 10;
    expect(history.events?.filter((e) => e.eventType === ACTIVITY_TASK_SCHEDULED)).toHaveLength(short ? 2 : 5);
  });

  it('mid-fan-out: a map step finishes on the new worker; items that had completed do not run again', async () => {
    const taskQueue = uniqueQueue('kill-map');
    const dir = path.join(root, 'map');
    mkdirSync(dir);
    const flow = createMapKillFlow(dir);
    const first = await startChildWorker(taskQueue, dir);
    children.push(first);
    await backend?.close();
    backend = new TemporalBackend({ address: serverAddress(), taskQueue, heartbeatTimeoutMs: 2000 });
    const handle = await backend.start(flow);

    // Item 3 hangs; the other lane runs 4 and 5 meanwhile. An item's mark is written when it
    // starts, so wait until the server has recorded list and the five other items as completed
    // (a kill between an item's return and its report would rightly run it again).
    await waitFor(() => count(dir, 'm3') === 1 && count(dir, 'm5') === 1);
    const run = (await backend.client()).workflow.getHandle(handle.workflowId);
    await pollServer(async () => (await completedActivities(run)) >= 6, 'the five other items were not recorded as completed');
    children.push(await replaceWorker(first, taskQueue, dir));
    expectMapFinished(await handle.result(), dir);
  });

  it('while a partitioned run moves to its next partition: the new worker finishes the drain and continues as new; completed steps do not run again', async () => {
    const taskQueue = uniqueQueue('kill-partition');
    const dir = path.join(root, 'partition');
    mkdirSync(dir);
    const flow = createPartitionKillFlow(dir);
    const first = await startChildWorker(taskQueue, dir);
    children.push(first);
    await backend?.close();
    backend = new TemporalBackend({ address: serverAddress(), taskQueue, heartbeatTimeoutMs: 2000, partitionHistoryEvents: 30 });
    const handle = await backend.start(flow);

    // The fifteen quick steps are recorded as completed (well past 30 events: the run is draining,
    // waiting for `slow`, whose first execution hangs).
    const client = await backend.client();
    const firstRun = client.workflow.getHandle(handle.workflowId, handle.temporalRunId);
    await pollServer(
      async () => (await completedActivities(firstRun)) >= 15 && count(dir, 'slow') >= 1,
      'the quick steps were not recorded as completed',
    );
    expect((await firstRun.describe()).status.name).toBe('RUNNING');
    expect(count(dir, 'after0')).toBe(0);
    children.push(await replaceWorker(first, taskQueue, dir));
    const result = await handle.result();
    expect(result.status).toBe('succeeded');
    expect(result.steps.slow).toMatchObject({ status: 'succeeded', attempts: 2, output: 'slow' });
    for (let i = 0; i < 15; i++) expect([i, count(dir, `p${i}`)]).toEqual([i, 1]);
    for (let i = 0; i < 5; i++) {
      expect([i, count(dir, `after${i}`)]).toEqual([i, 1]);
      expect(result.steps[`after${i}`]?.output).toBe(i * 2);
    }
    expect(count(dir, 'slow')).toBe(2);
    // The after steps ran in a later workflow run: the first one continued as new.
    expect((await firstRun.describe()).status.name).toBe('CONTINUED_AS_NEW');
    expect(
      ((await firstRun.fetchHistory()).events ?? []).some((e) => e.activityTaskScheduledEventAttributes?.activityId?.includes('after')),
    ).toBe(false);
  });

  it('mid-fan-out in batches (child workflows): the batch finishes on the new worker; items that had completed do not run again', async () => {
    const taskQueue = uniqueQueue('kill-batches');
    const dir = path.join(root, 'batches');
    mkdirSync(dir);
    const flow = createMapKillFlow(dir);
    const first = await startChildWorker(taskQueue, dir);
    children.push(first);
    await backend?.close();
    // Six items in batches of two: items 2 and 3 run in the second child workflow; 3 hangs.
    backend = new TemporalBackend({ address: serverAddress(), taskQueue, heartbeatTimeoutMs: 2000, mapBatchItems: 2 });
    const handle = await backend.start(flow);
    await waitFor(() => count(dir, 'm3') === 1 && count(dir, 'm2') === 1);
    const client = await backend.client();
    // Item 2 is recorded as completed in the second batch's history before the kill.
    await pollServer(async () => {
      const events = (await client.workflow.getHandle(handle.workflowId).fetchHistory()).events ?? [];
      const started = events.filter((e) => e.childWorkflowExecutionStartedEventAttributes != null);
      const batch = started.at(-1)?.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId;
      return started.length === 2 && batch != null && (await completedActivities(client.workflow.getHandle(batch))) === 1;
    }, 'item 2 was not recorded as completed');
    children.push(await replaceWorker(first, taskQueue, dir));
    expectMapFinished(await handle.result(), dir);
  });
});
