// A 100,000-entry schedules.yml (one `name: "cron"` line per entry, a comment every 1,000): reading
// and editing it through the line scanner beside the full YAML document (the same file with one
// long-form entry at the top, which the scanner leaves to the parser), in this process and as
// `task` processes; `task scheduler`'s load and reload of it. Figures compare within one run.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { defineTask } from '@cascadence/core';
import { CronScheduler, inspectSchedules, removeSchedule, upsertSchedule } from '@cascadence/scheduler-cron';
import { median } from './lib.mjs';

const require = createRequire(import.meta.url);
const taskBin = join(dirname(require.resolve('@cascadence/cli/package.json')), 'bin', 'run.js');
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const CRONS = ['0 12 * * *', '*/5 * * * *', '30 2 * * 1-5', '@hourly', '0 0 1 * *'];

// `zoned`: every entry in the one-line long form the CLI writes when a time zone is set (the
// scanner reads it too). `longFormFirst`: one entry with an option the scanner leaves to the
// parser, so the whole file takes the full-document path (the comparison).
function scheduleText(entries, longFormFirst, zoned = false) {
  const lines = ['# schedules'];
  if (longFormFirst) lines.push('job-long: { cron: "0 6 * * *", timezone: "UTC", overlap: allow }');
  for (let i = 0; i < entries; i++) {
    if (i % 1000 === 0) lines.push(`# block ${i / 1000}`);
    const cron = `"${CRONS[i % CRONS.length]}"`;
    lines.push(zoned ? `job-${i}: { cron: ${cron}, timezone: "Europe/Paris" }` : `job-${i}: ${cron}`);
  }
  return `${lines.join('\n')}\n`;
}

async function timed(fn) {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

function processMs(args, cwd) {
  const t0 = performance.now();
  const child = spawnSync(process.execPath, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  if (child.status !== 0) throw new Error(`${args.join(' ')} exited ${child.status}: ${child.stderr}`);
  return performance.now() - t0;
}

export async function run({ quick }) {
  const entries = 100_000;
  const reps = quick ? 3 : 7;
  const rows = [];
  const dir = mkdtempSync(join(tmpdir(), 'cascadence-bench-schedules-'));
  try {
    const files = { scanned: join(dir, 'scanned.yml'), zoned: join(dir, 'zoned.yml'), parsed: join(dir, 'parsed.yml') };
    writeFileSync(files.scanned, scheduleText(entries, false));
    writeFileSync(files.zoned, scheduleText(entries, false, true));
    writeFileSync(files.parsed, scheduleText(entries, true));
    const kinds = ['scanned', 'zoned', 'parsed'];
    // In this process: list (read + validate), edit one entry, add one, remove it again.
    const lib = Object.fromEntries(kinds.map((kind) => [kind, { list: [], edit: [], add: [], remove: [] }]));
    for (let r = 0; r < reps; r++) {
      for (const kind of kinds) {
        const path = files[kind];
        const s = lib[kind];
        s.list.push(await timed(() => inspectSchedules(path)));
        s.edit.push(await timed(() => upsertSchedule(path, 'job-500', r % 2 === 0 ? '0 1 * * *' : '0 12 * * *')));
        s.add.push(await timed(() => upsertSchedule(path, 'added', '0 2 * * *')));
        s.remove.push(await timed(() => removeSchedule(path, 'added')));
      }
    }
    const targets = { list: 1000, edit: 500, add: 500, remove: 500 };
    for (const [kind, label] of [
      ['scanned', ''],
      ['zoned', ', long form with timezone'],
    ])
      for (const op of ['list', 'edit', 'add', 'remove']) {
        const ours = median(lib[kind][op]);
        const full = median(lib.parsed[op]);
        rows.push({
          case: `100k entries${label}, in process: ${op}`,
          value: ours,
          unit: 'ms (median)',
          ratio: ours / full,
          baseline: `full YAML document ${full.toFixed(0)} ms`,
          target: `<= ${targets[op]} ms`,
          met: ours <= targets[op],
        });
      }
    // As processes, in a folder holding the file as schedules.yml (`example` is the built-in task).
    const folders = {};
    for (const kind of kinds) {
      folders[kind] = mkdtempSync(join(dir, `${kind}-`));
      copyFileSync(files[kind], join(folders[kind], 'schedules.yml'));
    }
    const cli = {
      'task schedules': ['schedules'],
      'task schedule example': ['schedule', 'example', '0 3 * * *'],
      'task unschedule example': ['unschedule', 'example'],
    };
    const samples = { 'node -e 0': [], 'task --version': [] };
    for (const name of Object.keys(cli)) for (const kind of kinds) samples[`${name} ${kind}`] = [];
    for (let r = 0; r < reps; r++) {
      samples['node -e 0'].push(processMs(['-e', '0'], dir));
      samples['task --version'].push(processMs([taskBin, '--version'], dir));
      for (const [name, args] of Object.entries(cli))
        for (const kind of kinds) samples[`${name} ${kind}`].push(processMs([taskBin, ...args], folders[kind]));
    }
    const node = median(samples['node -e 0']);
    const version = median(samples['task --version']);
    rows.push({
      case: '`task --version` (start-up alone)',
      value: version,
      unit: 'ms (median)',
      ratio: version / node,
      baseline: 'node -e 0',
    });
    for (const [kind, label] of [
      ['scanned', ''],
      ['zoned', ', long form with timezone'],
    ])
      for (const name of Object.keys(cli)) {
        const ours = median(samples[`${name} ${kind}`]);
        const full = median(samples[`${name} parsed`]);
        const limit = name === 'task schedules' ? 1000 : 500;
        rows.push({
          case: `100k entries${label}: \`${name}\` (process; minus --version: ${(ours - version).toFixed(0)} ms)`,
          value: ours,
          unit: 'ms (median)',
          ratio: ours / full,
          baseline: `full YAML document ${full.toFixed(0)} ms`,
          target: `<= ${limit} ms`,
          met: ours <= limit,
        });
      }
    // `task scheduler`'s part: a CronScheduler over the file with every task known, and a reload.
    const tasks = Array.from({ length: entries }, (_, i) => defineTask({ name: `job-${i}`, run: () => undefined }));
    tasks.push(defineTask({ name: 'job-long', run: () => undefined }));
    for (const kind of ['scanned', 'parsed']) {
      let scheduler;
      const load = await timed(() => {
        scheduler = new CronScheduler({ storagePath: files[kind], tasks, logger: silent, watch: false, persistState: false });
        scheduler.start();
      });
      const reload = await timed(() => scheduler.reload());
      await scheduler.stop();
      rows.push({
        case: `100k entries: scheduler construct + start (${kind === 'scanned' ? 'line scanner' : 'full YAML document'})`,
        value: load,
        unit: 'ms',
      });
      rows.push({
        case: `100k entries: scheduler reload, file unchanged (${kind === 'scanned' ? 'line scanner' : 'full YAML document'})`,
        value: reload,
        unit: 'ms',
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
