import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeHistoryStore } from './store-suite';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('run history on SQLite', () => {
  describeHistoryStore(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cascadence-history-'));
    dirs.push(dir);
    return { path: join(dir, '.cascadence', 'history.db') };
  });
});
