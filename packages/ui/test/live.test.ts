import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { RunRecord } from '@cascadence/history';
import { LiveHub } from '../src/live';
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

  test('many changes to one run in a burst go out as one message with the latest version', async () => {
    let listener: (run: RunRecord) => void = () => {};
    const hub = new LiveHub({ subscribe: (l) => ((listener = l), () => {}) });
    const written: string[] = [];
    const res = { writeHead: () => res, write: (text: string) => written.push(text), on: () => res, end: () => {} };
    hub.add(res as never);
    const base = { id: 'r1', task: 't', kind: 'flow', backend: 'local', trigger: 'cli', host: 'h', pid: 1, startedAt: 0, input: { state: 'none' } } as const;
    for (let i = 0; i < 1000; i++) listener({ ...base, status: 'running', durationMs: i });
    listener({ ...base, status: 'succeeded', durationMs: 1000 });
    await new Promise((r) => setTimeout(r, 250));
    const messages = written.filter((w) => w.startsWith('event: runs'));
    expect(messages).toHaveLength(1);
    const runs = JSON.parse((messages[0] as string).split('data: ')[1] as string) as RunRecord[];
    expect(runs).toEqual([{ ...base, status: 'succeeded', durationMs: 1000 }]);
    hub.close();
  });
});
