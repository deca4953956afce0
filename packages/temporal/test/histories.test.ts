/**
 * Replay safety across releases: histories recorded on a real dev server by earlier releases
 * (test/fixtures/histories/*.json, exported with `temporal workflow show --output json`) must
 * replay against today's workflow code. Re-record (only when the old ones still replay, to add
 * new ones) with CASCADENCE_RECORD_HISTORIES=1.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { silentLogger } from '@cascadence/core';
import { TemporalBackend, formatReplayReport, replay } from '../src';
import { historyFlows, partitionedHistories } from './fixtures/histories/flows';
import { address, serverAddress, startWorker, temporalBinary, uniqueQueue } from './helpers';

const dir = path.join(__dirname, 'fixtures', 'histories');
const recording = process.env.CASCADENCE_RECORD_HISTORIES === '1';

/**
 * Runs each fixture flow that has no history yet on the dev server and exports its history as a
 * user would, with the Temporal CLI. Existing files are kept: they are what earlier releases recorded.
 */
async function record(): Promise<void> {
  const taskQueue = uniqueQueue('histories');
  const worker = await startWorker({ taskQueue, tasks: Object.values(historyFlows), logger: silentLogger });
  // By partitionHistoryEvents (undefined: the default).
  const backends = new Map<number | undefined, TemporalBackend>();
  try {
    for (const [name, flow] of Object.entries(historyFlows)) {
      if (existsSync(path.join(dir, `${name}.json`))) continue;
      const events = partitionedHistories[name];
      let backend = backends.get(events);
      if (backend === undefined) {
        backend = new TemporalBackend({
          address: serverAddress(),
          taskQueue,
          ...(events === undefined ? {} : { partitionHistoryEvents: events }),
        });
        backends.set(events, backend);
      }
      const handle = await backend.start(flow);
      if (name === 'cancel' || name === 'nestedCancel') {
        await new Promise((resolve) => setTimeout(resolve, 1500));
        await handle.cancel(new Error('operator said stop'));
      }
      await handle.result();
      const shown = spawnSync(
        temporalBinary as string,
        [
          'workflow',
          'show',
          '--workflow-id',
          handle.workflowId,
          // A partitioned run: its first run (the one that continued as new), not the last.
          ...(events === undefined ? [] : ['--run-id', handle.temporalRunId as string]),
          '--address',
          serverAddress(),
          '--namespace',
          'default',
          '--output',
          'json',
        ],
        { encoding: 'utf8' },
      );
      if (shown.status !== 0) throw new Error(`temporal workflow show failed: ${shown.stderr}`);
      writeFileSync(path.join(dir, `${name}.json`), shown.stdout);
    }
  } finally {
    for (const backend of backends.values()) await backend.close();
    await worker.shutdown();
  }
}

describe('histories recorded by earlier releases replay against the current workflow', () => {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();

  beforeAll(async () => {
    if (!recording) return;
    if (address === undefined) throw new Error('CASCADENCE_RECORD_HISTORIES=1 needs the Temporal dev server');
    await record();
  }, 120_000);

  it('has the committed fixtures', () => {
    expect(files).toEqual([
      'cancel.json',
      'compactSpec.json',
      'diamond.json',
      'nested.json',
      'nestedCancel.json',
      'nestedPartition.json',
      'retry.json',
      'shortSteps.json',
      'skipCascade.json',
      'withOutput.json',
    ]);
  });

  it.each(files)('%s replays without nondeterminism', async (file) => {
    const report = await replay(path.join(dir, file));
    if (!report.ok) throw new Error(formatReplayReport(report));
    expect(report.events).toBeGreaterThan(5);
  });
});
