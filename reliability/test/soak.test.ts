import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openHistory } from '@cascadence/history';
import { envInt, exited, FULL, Project, report, sleep, spawnTask } from './harness';

/**
 * Soak: `task scheduler` with 1,000 every-second schedules (`* * * * * *`) of no-op tasks, with
 * run history on (the default): every fire must also be in the history when the scheduler stops.
 * No fire may be missed — every task must have run for every second between the first and the
 * last fire (from the scheduler's own output), `schedule_missed_total` stays 0 for every task —
 * and memory after a full GC at the end stays close to what it was after a full GC at the end of
 * the warm-up (heap in use within 5 %, RSS within 10 %).
 *
 * CI default: 20 s with a 10 s warm-up; RELIABILITY_FULL=1: 120 s with a 10 s warm-up. Without a
 * forced GC the heap grows about 0.9 MB/s (RSS ~155 -> ~205 MB) until V8's first full GC near 55 s:
 * comparing raw RSS over a 20 s window measured that sawtooth (7.7-8 % of a 10 % limit), not a
 * leak. The scheduler runs with test/gc-on-signal.cjs preloaded: SIGUSR2 → full GC → one line
 * with what remains; raw RSS samples are still reported.
 */
const TASKS = envInt(['RELIABILITY_SOAK_TASKS', 'CASCADENCE_RELIABILITY_SOAK_TASKS'], 1000);
const DURATION_S = envInt(['RELIABILITY_SOAK_SECONDS', 'CASCADENCE_RELIABILITY_SOAK_SECONDS'], FULL ? 120 : 20);
const WARMUP_S = envInt(['RELIABILITY_SOAK_WARMUP_SECONDS', 'CASCADENCE_RELIABILITY_SOAK_WARMUP_SECONDS'], 10);
const RSS_TOLERANCE = 0.1;
/**
 * Post-GC heap is steady to within ~1 % here; a leak of ~230 bytes per run (1,000 runs/s) shows as
 * +8 % over the 10 s window, which this catches and the old raw-RSS check (+3.5 %) did not.
 */
const HEAP_TOLERANCE = 0.05;
const GC_PRELOAD = join(__dirname, 'gc-on-signal.cjs');

const rssKb = (pid: number): number => {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (match === null) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]);
};

/** `name{task="x",...} value` lines of one metric, as task → value. */
function perTask(text: string, metric: string): Map<string, number> {
  const out = new Map<string, number>();
  const pattern = new RegExp(`^${metric}\\{([^}]*)\\} (\\S+)$`, 'gm');
  for (const match of text.matchAll(pattern)) {
    const task = /(?:^|,)task="([^"]*)"/.exec(match[1] as string)?.[1];
    if (task !== undefined) out.set(task, (out.get(task) ?? 0) + Number(match[2]));
  }
  return out;
}

describe(`task scheduler soak: ${TASKS} every-second schedules for ${DURATION_S} s (warm-up ${WARMUP_S} s)`, () => {
  it(
    'fires every schedule every second, misses none, and keeps its memory flat',
    async () => {
      const names = Array.from({ length: TASKS }, (_, i) => `t${i}`);
      const project = new Project({
        'package.json': JSON.stringify({ name: 'soak-project', private: true, type: 'module' }),
        'cascadence.config.mjs': `export default { tasks: ['./tasks.mjs'] };\n`,
        'tasks.mjs': names.map((n) => `export const ${n} = { kind: 'task', name: '${n}', run: () => undefined };`).join('\n'),
        'schedules.yml': names.map((n) => `${n}: "* * * * * *"`).join('\n') + '\n',
      });
      const child = spawnTask(['scheduler', '--metrics-port', '0'], {
        cwd: project.dir,
        env: { NODE_OPTIONS: `--expose-gc --require ${GC_PRELOAD}` },
      });
      try {
        // Fires per task (as due-time seconds), from the scheduler's own one-line-per-run output.
        const fires = new Map<string, number[]>(names.map((n) => [n, []]));
        const other: string[] = [];
        let stderr = '';
        let url: string | undefined;
        let started = false;
        let buffer = '';
        const linePattern = /^\S+ (\S+) (succeeded|failed|cancelled) in .* \(due (\S+), run \S+\)$/;
        child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
          buffer += chunk;
          let nl: number;
          while ((nl = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, nl);
            buffer = buffer.slice(nl + 1);
            const match = linePattern.exec(line);
            if (match !== null) {
              const list = fires.get(match[1] as string);
              if (list === undefined || match[2] !== 'succeeded') other.push(line);
              else list.push(Date.parse(match[3] as string) / 1000);
              continue;
            }
            if (/ scheduler started with /.test(line)) started = true;
            const metrics = / metrics at (http:\/\/\S+)/.exec(line);
            if (metrics !== null) url = metrics[1];
            else if (!/^\S+\s+t\d+ "\* \* \* \* \* \*" \(UTC\) next /.test(line)) other.push(line);
          }
        });
        child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
        /** Full GC in the scheduler, then what remains (from its [soak-gc] line). */
        const afterGc = async (): Promise<{ heapUsedKb: number; rssKb: number }> => {
          const seen = stderr.length;
          child.kill('SIGUSR2');
          for (let i = 0; i < 200; i++) {
            const match = /\[soak-gc\] heapUsedKb=(\d+) rssKb=(\d+)/.exec(stderr.slice(seen));
            if (match !== null) return { heapUsedKb: Number(match[1]), rssKb: Number(match[2]) };
            await sleep(25);
          }
          throw new Error(`no [soak-gc] line after SIGUSR2: ${stderr}`);
        };

        const deadline = Date.now() + 60_000;
        while (!(started && url !== undefined)) {
          if (Date.now() > deadline || child.exitCode !== null)
            throw new Error(`the scheduler did not start: ${stderr}${other.join('\n')}`);
          await sleep(50);
        }
        expect(other.some((line) => line.includes(`scheduler started with ${TASKS} schedules`))).toBe(true);
        const t0 = Date.now();

        await sleep(WARMUP_S * 1000);
        const gcWarm1 = await afterGc();
        await sleep(300);
        const gcWarm2 = await afterGc();
        const gcWarm = gcWarm1.heapUsedKb <= gcWarm2.heapUsedKb ? gcWarm1 : gcWarm2;
        const rssWarm = rssKb(child.pid as number);
        const rssSamples: number[] = [];
        while (Date.now() - t0 < DURATION_S * 1000) {
          await sleep(1000);
          rssSamples.push(rssKb(child.pid as number));
        }
        const rssEnd = rssKb(child.pid as number);
        // Runs in flight and a pending history batch are live at any instant: of two post-GC
        // readings a moment apart, the smaller one is the level.
        const gcEnd1 = await afterGc();
        await sleep(300);
        const gcEnd2 = await afterGc();
        const gcEnd = gcEnd1.heapUsedKb <= gcEnd2.heapUsedKb ? gcEnd1 : gcEnd2;
        const scrape = await (await fetch(url as string)).text();
        const elapsedS = (Date.now() - t0) / 1000;

        child.kill('SIGTERM');
        expect(await exited(child)).toBe(0);
        await sleep(50); // the last output lines
        expect(stderr.replace(/^\[soak-gc\] .*\n/gm, '')).toBe('');

        // Every task fired once for every second from the first fire to the last one: nothing missed, nothing doubled.
        const all = [...fires.values()].flat();
        const first = Math.min(...all);
        const last = Math.max(...all);
        const seconds = last - first + 1;
        const gaps: string[] = [];
        for (const [task, list] of fires) {
          const distinct = new Set(list);
          if (distinct.size !== list.length) gaps.push(`${task} fired twice for one second`);
          if (distinct.size !== seconds) gaps.push(`${task}: ${distinct.size} fires over ${seconds} s`);
        }
        expect(gaps.slice(0, 10)).toEqual([]);
        expect(seconds).toBeGreaterThanOrEqual(Math.floor(elapsedS) - 1);
        expect(
          other.filter(
            (line) => !/( scheduler started with \d+ schedules from .*|SIGTERM received: stopping( \(.*\))?|stopped cleanly)$/.test(line),
          ),
        ).toEqual([]);

        // The scheduler's own counters agree: fires for every task, no misses, no skips.
        const firesTotal = perTask(scrape, 'schedule_fires_total');
        const missedTotal = perTask(scrape, 'schedule_missed_total');
        const skippedTotal = perTask(scrape, 'schedule_skipped_total');
        expect(firesTotal.size).toBe(TASKS);
        const minFires = Math.min(...firesTotal.values());
        expect(minFires).toBeGreaterThanOrEqual(Math.floor(elapsedS) - 1);
        expect([...missedTotal.values()].reduce((a, b) => a + b, 0)).toBe(0);
        expect([...skippedTotal.values()].reduce((a, b) => a + b, 0)).toBe(0);
        const lag = perTask(scrape, 'schedule_lag_seconds');

        // Run history (on by default) holds every run the scheduler logged, each from its schedule.
        const history = await openHistory({ path: join(project.dir, '.cascadence', 'history.db') });
        let recorded = 0;
        let recordedOk = 0;
        try {
          let before: number | undefined;
          for (;;) {
            const page = await history.runs({ trigger: 'schedule', limit: 10_000, ...(before === undefined ? {} : { before }) });
            recorded += page.length;
            recordedOk += page.filter((run) => run.status === 'succeeded' && run.schedule === run.task).length;
            if (page.length < 10_000) break;
            before = (page[page.length - 1] as { startedAt: number }).startedAt;
          }
        } finally {
          await history.close();
        }

        const growth = (rssEnd - rssWarm) / rssWarm;
        const heapGrowth = (gcEnd.heapUsedKb - gcWarm.heapUsedKb) / gcWarm.heapUsedKb;
        const rssGcGrowth = (gcEnd.rssKb - gcWarm.rssKb) / gcWarm.rssKb;
        report('soak', [
          {
            tasks: TASKS,
            durationS: DURATION_S,
            warmupS: WARMUP_S,
            secondsCovered: seconds,
            firesLogged: all.length,
            runsRecorded: recorded,
            expectedFires: TASKS * seconds,
            minFiresTotalPerTask: minFires,
            missedTotal: [...missedTotal.values()].reduce((a, b) => a + b, 0),
            skippedTotal: [...skippedTotal.values()].reduce((a, b) => a + b, 0),
            maxLastLagMs: Math.round(Math.max(...lag.values()) * 1000),
            rssWarmKb: rssWarm,
            rssEndKb: rssEnd,
            rssMinKb: Math.min(...rssSamples),
            rssMaxKb: Math.max(...rssSamples),
            rssGrowthPct: Math.round(growth * 1000) / 10,
            heapAfterGcKb: `${gcWarm.heapUsedKb}->${gcEnd.heapUsedKb}`,
            heapAfterGcGrowthPct: Math.round(heapGrowth * 1000) / 10,
            rssAfterGcKb: `${gcWarm.rssKb}->${gcEnd.rssKb}`,
            rssAfterGcGrowthPct: Math.round(rssGcGrowth * 1000) / 10,
            rssEvery5sMb: rssSamples
              .filter((_, i) => i % 5 === 4)
              .map((kb) => Math.round(kb / 1024))
              .join('/'),
          },
        ]);
        expect(all.length).toBe(TASKS * seconds);
        expect(recorded).toBe(all.length);
        expect(recordedOk).toBe(recorded);
        // Compared after a full GC at both ends: garbage not yet collected is not growth.
        expect(heapGrowth).toBeLessThanOrEqual(HEAP_TOLERANCE);
        expect(rssGcGrowth).toBeLessThanOrEqual(RSS_TOLERANCE);
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        project.remove();
      }
    },
    (DURATION_S + 120) * 1000,
  );
});
