import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { inspectSchedules } from '@cascadence/scheduler-cron';
import { parse } from 'yaml';
import { envInt, FULL, mapLimit, Project, report, runTask } from './harness';

/**
 * 20 `task schedule` processes for 20 different tasks, all started at once, several times over:
 * every entry must be in the file afterwards, the file must parse, and nothing (lock folder,
 * temp file) may be left behind.
 */
const WRITERS = 20;
const REPEATS = envInt(['RELIABILITY_CONCURRENCY_REPEATS', 'CASCADENCE_RELIABILITY_CONCURRENCY_REPEATS'], FULL ? 10 : 3);

describe(`${WRITERS} concurrent task schedule processes, ${REPEATS} times`, () => {
  const names = Array.from({ length: WRITERS }, (_, i) => `job${i}`);
  const rows: Array<Record<string, string | number>> = [];
  afterAll(() => report('concurrency', rows));

  it.each(Array.from({ length: REPEATS }, (_, i) => [i + 1]))(`repeat %i: all ${WRITERS} entries end up in the file`, async (repeat) => {
    const project = new Project({
      'package.json': JSON.stringify({ name: 'concurrency-project', private: true, type: 'module' }),
      'cascadence.config.mjs': `export default { tasks: ['./tasks.mjs'] };\n`,
      'tasks.mjs': names.map((n) => `export const ${n} = { kind: 'task', name: '${n}', run: () => 1 };`).join('\n'),
      // Odd repeats start from an existing file with a comment and an entry that must survive.
      ...(repeat % 2 === 1 ? { 'schedules.yml': '# existing\njob0: "59 23 * * *"\n' } : {}),
    });
    try {
      const started = performance.now();
      // Spawned all at once: mapLimit with the full width starts every child before awaiting any.
      const results = await mapLimit(names, WRITERS, (name, i) =>
        runTask(['schedule', name, `${i} ${repeat % 24} * * *`, ...(i % 3 === 0 ? ['--timezone', 'Europe/Paris'] : [])], {
          cwd: project.dir,
          timeoutMs: 90_000,
        }),
      );
      const wallMs = performance.now() - started;
      expect(results.map((r) => ({ code: r.code, stderr: r.stderr }))).toEqual(names.map(() => ({ code: 0, stderr: '' })));

      const text = readFileSync(project.path('schedules.yml'), 'utf8');
      const data = parse(text, { uniqueKeys: true }) as Record<string, unknown>;
      expect(Object.keys(data).sort()).toEqual([...names].sort());
      const { entries, problems } = inspectSchedules(project.path('schedules.yml'));
      expect(problems).toEqual([]);
      for (const [i, name] of names.entries()) {
        const entry = entries.find((e) => e.task === name);
        expect({ name, cron: entry?.cron, timezone: entry?.timezone }).toEqual({
          name,
          cron: `${i} ${repeat % 24} * * *`,
          timezone: i % 3 === 0 ? 'Europe/Paris' : undefined,
        });
      }
      if (repeat % 2 === 1) expect(text.startsWith('# existing\n')).toBe(true);
      expect(existsSync(project.path('schedules.yml.lock'))).toBe(false);
      expect(readdirSync(project.dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
      // The listing command agrees.
      const listed = await project.run(['schedules', '--json']);
      expect(listed.code).toBe(0);
      expect((JSON.parse(listed.stdout) as Array<{ task: string }>).map((s) => s.task).sort()).toEqual([...names].sort());
      rows.push({
        repeat,
        writers: WRITERS,
        succeeded: results.filter((r) => r.code === 0).length,
        entries: entries.length,
        wallMs: Math.round(wallMs),
        slowestMs: Math.round(Math.max(...results.map((r) => r.ms))),
      });
    } finally {
      project.remove();
    }
  });
});
