import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { SCHEMA_VERSION } from '@cascadence/history';
import { exited, packageDir, Project, report, sleep, spawnTask } from './harness';

/**
 * Run history on a bad day, through the CLI: a newer-schema file, a database locked beyond the
 * busy timeout, and a `task scheduler` SIGKILLed while it records. Each: a clear error or warning,
 * runs unaffected, nothing lost that was already recorded. (Corrupt and foreign files: the CLI
 * and package tests.)
 */
const requireFromHistory = createRequire(`${packageDir('@cascadence/history')}/package.json`);
const Sqlite = requireFromHistory('better-sqlite3') as typeof Database;

const TASKS = `
  export const ok = { kind: 'task', name: 'ok', run: () => 'fine' };
  export const tick = { kind: 'task', name: 'tick', run: () => new Promise((r) => setTimeout(() => r('ticked'), 300)) };
`;

function historyProject(): Project {
  return new Project({
    'package.json': JSON.stringify({ name: 'history-rel', private: true, type: 'module' }),
    'cascadence.config.mjs': `export default { tasks: ['./tasks.mjs'] };\n`,
    'tasks.mjs': TASKS,
  });
}

const runsJson = async (project: Project): Promise<Array<{ id: string; task: string; status: string; trigger: string }>> => {
  const result = await project.run(['runs', '--json', '--limit', '10000']);
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout);
};

describe('run history faults, through the task binary', () => {
  jest.setTimeout(120_000);

  it('a history from a newer schema: runs go ahead with one warning; readers name both versions; the file is untouched', async () => {
    const project = historyProject();
    try {
      expect((await project.run(['run', 'ok'])).code).toBe(0);
      const db = new Sqlite(project.path('.cascadence', 'history.db'));
      db.prepare(`UPDATE cascadence_meta SET value = '7' WHERE key = 'schema_version'`).run();
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
      const before = readFileSync(project.path('.cascadence', 'history.db'));
      const run = await project.run(['run', 'ok']);
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(
        new RegExp(
          `^warning: run history is off for this run: the run history at .*history\\.db has schema version 7, newer than the ${SCHEMA_VERSION} this Cascadence understands; it was left untouched\n$`,
        ),
      );
      const runs = await project.run(['runs']);
      expect(runs.code).toBe(1);
      expect(runs.stderr).toContain(`has schema version 7, newer than the ${SCHEMA_VERSION}`);
      expect(readFileSync(project.path('.cascadence', 'history.db')).equals(before)).toBe(true);
    } finally {
      project.remove();
    }
  });

  it('a database locked by another process beyond the busy timeout: the run succeeds, the loss is reported, earlier runs stay', async () => {
    const project = historyProject();
    try {
      expect((await project.run(['run', 'ok'])).code).toBe(0);
      const db = new Sqlite(project.path('.cascadence', 'history.db'));
      db.exec('BEGIN EXCLUSIVE');
      const started = Date.now();
      const run = await project.run(['run', 'ok']);
      const ms = Date.now() - started;
      db.exec('ROLLBACK');
      db.close();
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('"fine"');
      expect(run.stderr).toMatch(
        /^warning: history: 1 run change\(s\) could not be written to .*history\.db and are lost \(.*locked.*\); the runs themselves are unaffected$/m,
      );
      const runs = await runsJson(project);
      expect(runs.map((r) => r.status)).toEqual(['succeeded']);
      report('history: locked database', [
        { runExitCode: run.code ?? -1, runMs: Math.round(ms), warning: run.stderr.trim().split('\n')[0] ?? '' },
      ]);
    } finally {
      project.remove();
    }
  });

  it('task scheduler SIGKILLed while recording: the file stays consistent, finished runs are kept, its running runs show interrupted', async () => {
    const project = historyProject();
    try {
      expect((await project.run(['schedule', 'tick', '* * * * * *'])).code).toBe(0);
      const child = spawnTask(['scheduler'], { cwd: project.dir });
      let out = '';
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      const deadline = Date.now() + 30_000;
      while ((out.match(/tick succeeded/g) ?? []).length < 3) {
        if (Date.now() > deadline) throw new Error(`no fires: ${out}`);
        await sleep(50);
      }
      // Kill it mid-run: a fire is due every second and each run takes 300 ms.
      await sleep(1100 - (Date.now() % 1000));
      child.kill('SIGKILL');
      await exited(child);
      const logged = (out.match(/tick succeeded/g) ?? []).length;

      const db = new Sqlite(project.path('.cascadence', 'history.db'));
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      db.close();
      const runs = await runsJson(project);
      const succeeded = runs.filter((r) => r.status === 'succeeded').length;
      const interrupted = runs.filter((r) => r.status === 'interrupted').length;
      expect(runs.filter((r) => r.status === 'running')).toEqual([]);
      // Writes are batched (≤ 50 ms): a run logged just before the kill may not have been written yet.
      expect(succeeded).toBeGreaterThanOrEqual(logged - 1);
      expect(runs.every((r) => r.trigger === 'schedule')).toBe(true);
      report('history: scheduler SIGKILLed', [{ logged, recordedSucceeded: succeeded, interrupted, integrity: 'ok' }]);
    } finally {
      project.remove();
    }
  });
});
