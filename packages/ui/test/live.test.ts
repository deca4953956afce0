import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { RunRecord } from '@cascadence/history';
import { COALESCE_MS, LiveHub } from '../src/live';
import { okTask, startFixture } from './fixture';

describe('live updates', () => {
  test('a run recorded after the browser connected arrives on the event stream', async () => {
    const f = await startFixture();
    try {
      // Connected first (the server has answered with the stream's headers), then the run happens.
      const stream = await new Promise<IncomingMessage>((resolve, reject) => {
        const req = httpRequest(`${f.base}/api/events`, resolve);
        req.on('error', reject);
        req.end();
      });
      expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
      const received = new Promise<RunRecord[]>((resolve) => {
        let buffer = '';
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => {
          buffer += chunk;
          const match = /event: runs\ndata: (.*)\n\n/.exec(buffer);
          if (match !== null) {
            stream.destroy();
            resolve(JSON.parse(match[1] as string));
          }
        });
      });
      const { runId } = await f.engine.run(okTask, 1);
      const runs = await received;
      expect(runs.map((r) => r.id)).toContain(runId);
    } finally {
      await f.close();
    }
  });

  test('a burst of changes to one run goes out as one message with the latest version; a change right after waits for the coalescing window', async () => {
    let listener: (run: RunRecord) => void = () => {};
    const hub = new LiveHub({ subscribe: (l) => ((listener = l), () => {}) });
    const written: Array<{ at: number; text: string }> = [];
    const res = { writeHead: () => res, write: (text: string) => written.push({ at: Date.now(), text }), on: () => res, end: () => {} };
    hub.add(res as never);
    const messages = () => written.filter((w) => w.text.startsWith('event: runs'));
    const runsOf = (m: { text: string }) => JSON.parse(m.text.split('data: ')[1] as string) as RunRecord[];
    const base = {
      id: 'r1',
      task: 't',
      kind: 'flow',
      backend: 'local',
      trigger: 'cli',
      host: 'h',
      pid: 1,
      startedAt: 0,
      input: { state: 'none' },
    } as const;

    // A quiet hub: the burst (one tick, as a history poll delivers it) goes out at once (before a
    // 30 ms timer, timers firing in due order), as one message.
    for (let i = 0; i < 1000; i++) listener({ ...base, status: 'running', durationMs: i });
    listener({ ...base, status: 'succeeded', durationMs: 1000 });
    await new Promise((r) => setTimeout(r, 30));
    expect(messages()).toHaveLength(1);
    expect(runsOf(messages()[0]!)).toEqual([{ ...base, status: 'succeeded', durationMs: 1000 }]);

    // Right after a message: the next changes are held to the end of the window, then sent together.
    listener({ ...base, id: 'r2', status: 'running', durationMs: 1 });
    listener({ ...base, id: 'r2', status: 'succeeded', durationMs: 2 });
    await new Promise((r) => setTimeout(r, 10));
    expect(messages()).toHaveLength(1);
    await new Promise((r) => setTimeout(r, COALESCE_MS + 50));
    expect(messages()).toHaveLength(2);
    expect(messages()[1]!.at - messages()[0]!.at).toBeGreaterThanOrEqual(COALESCE_MS - 5);
    expect(runsOf(messages()[1]!)).toEqual([{ ...base, id: 'r2', status: 'succeeded', durationMs: 2 }]);
    hub.close();
  });
});
