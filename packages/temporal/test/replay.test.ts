/**
 * replay(): histories recorded on the real server replay cleanly against the workflow code, and
 * a deliberately changed workflow fails with a report naming the event where it diverged.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { CascadenceError, defineFlow, silentLogger } from '@cascadence/core';
import { TemporalBackend, bundleCascadenceWorkflow, formatReplayReport, replay, type CascadenceWorker } from '../src';
import { bundlePath, describeTemporal, serverAddress, startWorker, temporalBinary, tempDir, uniqueQueue } from './helpers';

const flow = defineFlow({
  name: 'replayed',
  steps: {
    a: { run: () => 1 },
    b: { needs: ['a'], run: (ctx) => (ctx.results.a as number) + 1 },
    c: {
      needs: ['a'],
      retry: { attempts: 2, delayMs: 10 },
      run: (ctx) => {
        if (ctx.attempt === 1) throw new Error('first try fails');
        return 3;
      },
    },
    d: { needs: ['b', 'c'], when: 'all-done', run: () => 'done' },
  },
});

describeTemporal('replay', () => {
  const taskQueue = uniqueQueue('replay');
  const { dir, cleanup } = tempDir('cascadence-replay-');
  let worker: CascadenceWorker;
  let backend: TemporalBackend;
  let workflowId: string;
  let historyFile: string;

  beforeAll(async () => {
    worker = await startWorker({ taskQueue, tasks: [flow], logger: silentLogger });
    backend = new TemporalBackend({ address: serverAddress(), taskQueue });
    const handle = await backend.start(flow);
    const result = await handle.result();
    expect(result.status).toBe('succeeded');
    workflowId = handle.workflowId;
    // Exported exactly as a user would: with the Temporal CLI.
    const shown = spawnSync(
      temporalBinary as string,
      ['workflow', 'show', '--workflow-id', workflowId, '--address', serverAddress(), '--namespace', 'default', '--output', 'json'],
      {
        encoding: 'utf8',
      },
    );
    expect(shown.status).toBe(0);
    historyFile = path.join(dir, 'history.json');
    writeFileSync(historyFile, shown.stdout);
  });
  afterAll(async () => {
    await backend?.close();
    await worker?.shutdown();
    cleanup();
  });

  it('replays a history file exported by `temporal workflow show --output json`', async () => {
    const report = await replay(historyFile, { workflowBundle: { codePath: bundlePath as string } });
    expect(report).toMatchObject({ ok: true, source: historyFile, workflowType: 'cascadenceFlow', error: undefined });
    expect(report.events).toBeGreaterThan(10);
    expect(formatReplayReport(report)).toMatch(/^replay ok: .*history\.json \(cascadenceFlow\), \d+ events/);
  });

  it('replays a history fetched from the server by workflow id, and a history object', async () => {
    const byId = await replay(workflowId, { address: serverAddress(), workflowBundle: { codePath: bundlePath as string } });
    expect(byId).toMatchObject({ ok: true, workflowId, source: `workflow ${workflowId}` });
    const client = await backend.client();
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    expect((await replay(history)).ok).toBe(true);
  });

  it('reports nondeterminism, with the diverging event, after a deliberate change to the workflow', async () => {
    const changed = await bundleCascadenceWorkflow(path.join(__dirname, 'fixtures', 'changed-workflow.ts'));
    const report = await replay(historyFile, { workflowBundle: changed });
    expect(report.ok).toBe(false);
    expect(report.error?.kind).toBe('nondeterminism');
    expect(report.error?.message).toMatch(/nondetermin/i);
    expect(typeof report.error?.eventId).toBe('number');
    expect(report.error?.eventType).toBeDefined();
    const text = formatReplayReport(report);
    expect(text).toContain('replay FAILED');
    expect(text).toContain(`at event ${String(report.error?.eventId)}`);
  });

  it('names the file and position of a history that is not JSON, and refuses non-histories', async () => {
    const broken = path.join(dir, 'broken.json');
    writeFileSync(broken, '{\n  "events": [\n    oops\n  ]\n}\n');
    await expect(replay(broken)).rejects.toThrow(/broken\.json is not valid JSON at line 3, column 5/);
    const notHistory = path.join(dir, 'other.json');
    writeFileSync(notHistory, '{"hello": 1}');
    const error = await replay(notHistory).catch((e: unknown) => e);
    expect(CascadenceError.isInstance(error, 'CASCADENCE_TEMPORAL_HISTORY')).toBe(true);
    expect((error as Error).message).toContain('temporal workflow show --output json');
  });
});
