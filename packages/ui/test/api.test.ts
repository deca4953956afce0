import { brokenFlow, okTask, request, startFixture, type Fixture } from './fixture';

// The JSON API over runs recorded for real by an engine into a SQLite history.
describe('dashboard JSON API', () => {
  let f: Fixture;
  const ids: string[] = [];
  let failedId: string;

  beforeAll(async () => {
    f = await startFixture();
    for (let i = 0; i < 7; i++) ids.push((await f.engine.run(okTask, { i }, { trigger: { kind: 'cli' } })).runId);
    failedId = (await f.engine.run(brokenFlow, undefined, { trigger: { kind: 'schedule', schedule: 'broken' } })).runId;
    await f.history.flush();
  });
  afterAll(() => f.close());

  test('runs come newest first, with a cursor to the next page', async () => {
    const first = (await request(`${f.base}/api/runs?limit=3`)).json();
    expect(first.runs.map((r: { id: string }) => r.id)).toEqual([failedId, ids[6], ids[5]]);
    const page = (next: { before: number; beforeId: string }) => `before=${next.before}&beforeId=${encodeURIComponent(next.beforeId)}`;
    const second = (await request(`${f.base}/api/runs?limit=3&${page(first.next)}`)).json();
    expect(second.runs.map((r: { id: string }) => r.id)).toEqual([ids[4], ids[3], ids[2]]);
    const last = (await request(`${f.base}/api/runs?limit=50&${page(second.next)}`)).json();
    expect(last.runs).toHaveLength(2);
    expect(last.next).toBeNull();
  });

  test('filters by task, status and trigger', async () => {
    const failed = (await request(`${f.base}/api/runs?status=failed`)).json().runs;
    expect(failed.map((r: { id: string }) => r.id)).toEqual([failedId]);
    expect((await request(`${f.base}/api/runs?task=ok`)).json().runs).toHaveLength(7);
    expect((await request(`${f.base}/api/runs?trigger=schedule`)).json().runs.map((r: { task: string }) => r.task)).toEqual(['broken']);
  });

  test('a bad filter is a 400 naming the parameter', async () => {
    const reply = await request(`${f.base}/api/runs?status=exploded`);
    expect(reply.status).toBe(400);
    expect(reply.json().error.message).toBe(
      'query parameter status="exploded" is not valid; expected succeeded, failed, cancelled, running, interrupted',
    );
    expect((await request(`${f.base}/api/runs?limit=100000`)).json().error.message).toMatch(/limit="100000"/);
  });

  test('a run comes with its steps, attempts and flow graph', async () => {
    const body = (await request(`${f.base}/api/runs/${failedId.slice(-8)}`)).json();
    expect(body.run).toMatchObject({ id: failedId, status: 'failed', failedStep: 'b' });
    expect(body.steps.map((s: { step: string; status: string }) => `${s.step}:${s.status}`)).toEqual(['a:succeeded', 'b:failed']);
    expect(body.steps[1].error.message).toBe('b <b>failed</b>');
    expect(body.attempts).toHaveLength(2);
    expect(body.graph.edges).toEqual([{ from: 'a', to: 'b' }]);
    expect(body.canCancel).toBe(false);
  });

  test('a run links to the Temporal UI only when the actions give a link', async () => {
    expect((await request(`${f.base}/api/runs/${failedId}`)).json().temporalUrl).toBeNull();
    f.actions.temporalLink = (run) => (run.workflowId === undefined ? 'http://temporal.test/no-workflow' : undefined);
    try {
      expect((await request(`${f.base}/api/runs/${failedId}`)).json().temporalUrl).toBe('http://temporal.test/no-workflow');
    } finally {
      delete f.actions.temporalLink;
    }
  });

  test('JSON answers escape "<" so they stay inert', async () => {
    const raw = (await request(`${f.base}/api/runs/${failedId}`)).body;
    expect(raw).not.toContain('<b>');
    expect(raw).toContain('\\u003cb>failed');
  });

  test('an unknown run is a 404 saying which id', async () => {
    const reply = await request(`${f.base}/api/runs/nope-nope`);
    expect(reply.status).toBe(404);
    expect(reply.json().error.message).toMatch(/no recorded run has id "nope-nope"/);
  });

  test('tasks come with success rate and p50/p95 over the last day', async () => {
    const body = (await request(`${f.base}/api/tasks`)).json();
    expect(body.tasks[0]).toMatchObject({ name: 'ok', stats: { runs: 7, succeeded: 7, successRate: 1 } });
    expect(typeof body.tasks[0].stats.p95Ms).toBe('number');
  });

  test('retry goes through the actions with the full id of a prefix', async () => {
    const reply = await request(`${f.base}/api/runs/${failedId.slice(-8)}/retry`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-cascadence-csrf': f.server.csrfToken },
      body: '{}',
    });
    expect(reply.status).toBe(202);
    expect(f.actions.calls).toEqual([`retry ${failedId}`]);
  });
});
