import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, LocalBackend, silentLogger, defineFlow, defineTask } from '@cascadence/core';
import { openHistory, type History } from '@cascadence/history';
import { startUiServer, type UiServer, type UiServerOptions } from '../src';
import type { GraphShape, ScheduleInfo, TaskInfo, UiActions } from '../src/actions';

/**
 * Actions that remember what they were asked: the server's own tests need to see whether a
 * request reached an action. (The CLI's real actions are proven by the browser tests.)
 */
export class RecordedActions implements UiActions {
  readonly calls: string[] = [];
  temporalLink?: UiActions['temporalLink'];
  async tasks(): Promise<TaskInfo[]> {
    return [{ name: 'ok', kind: 'task', enabled: true }];
  }
  async flowGraph(): Promise<GraphShape | undefined> {
    return { nodes: [{ id: 'a' }, { id: 'b' }], edges: [{ from: 'a', to: 'b' }] };
  }
  async schedules(): Promise<ScheduleInfo[]> {
    return [];
  }
  async setEnabled(task: string, enabled: boolean): Promise<void> {
    this.calls.push(`${enabled ? 'enable' : 'disable'} ${task}`);
  }
  async setPaused(task: string, paused: boolean): Promise<void> {
    this.calls.push(`${paused ? 'pause' : 'resume'} ${task}`);
  }
  async runNow(task: string): Promise<{ runId: string }> {
    this.calls.push(`run ${task}`);
    return { runId: 'new' };
  }
  async retry(runId: string): Promise<{ runId: string }> {
    this.calls.push(`retry ${runId}`);
    return { runId: 'retried' };
  }
  async cancel(runId: string): Promise<void> {
    this.calls.push(`cancel ${runId}`);
  }
  canCancel(): boolean {
    return false;
  }
}

export const okTask = defineTask({ name: 'ok', run: (_ctx, input: unknown) => input });
export const brokenFlow = defineFlow({
  name: 'broken',
  steps: {
    a: { run: () => 1 },
    b: {
      needs: ['a'],
      run: () => {
        throw new Error('b <b>failed</b>');
      },
    },
  },
});

/** A real SQLite history in a temp folder, an engine recording into it, and a dashboard server. */
export interface Fixture {
  history: History;
  engine: Engine;
  server: UiServer;
  actions: RecordedActions;
  base: string;
  close(): Promise<void>;
}

export async function startFixture(options: Partial<UiServerOptions> = {}): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'cascadence-ui-'));
  const history = await openHistory({ path: join(dir, 'history.db') });
  const engine = new Engine({ logger: silentLogger });
  const detach = history.record(new LocalBackend(engine));
  const actions = new RecordedActions();
  const server = await startUiServer({ history, actions, port: 0, ...options });
  return {
    history,
    engine,
    server,
    actions,
    base: `http://127.0.0.1:${server.port}`,
    close: async () => {
      await server.close();
      detach();
      await history.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  json: () => any;
}

/** A raw HTTP request: unlike fetch, it lets a test send any Host, Origin or Cookie header. */
export function request(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Headers of a well-formed action from the dashboard's own page. */
export function pageHeaders(server: UiServer, extra: Record<string, string> = {}): Record<string, string> {
  return { 'content-type': 'application/json', 'x-cascadence-csrf': server.csrfToken, origin: `http://127.0.0.1:${server.port}`, ...extra };
}
