// Every-second schedules (6-field "* * * * * *") of a no-op task: @cascadence/scheduler-cron beside
// croner and node-cron, each doing the same in this process. For each: fires delivered versus
// expected (missed, duplicated), lateness after the second boundary (p50/p99), CPU over the
// window (process.cpuUsage), heap per job. Figures compare within one run; never assertions.
// Each case runs in its own child process (same script, `--case`), so one library's leftover
// timers or garbage never bill another, and a saturated case (node-cron at 10,000 jobs) can be
// cut off at a deadline.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Cron } from 'croner';
import nodeCron from 'node-cron';

// BENCH_MODULES (ab-scheduler.mjs): a folder holding another build's node_modules/@cascadence/*,
// so two builds can be run alternately; by default the workspace packages.
const built = (name) =>
  process.env.BENCH_MODULES === undefined
    ? import(`@cascadence/${name}`)
    : import(pathToFileURL(join(process.env.BENCH_MODULES, '@cascadence', name, 'dist', 'index.js')).href);
const { defineTask, Engine, LocalBackend } = await built('core');
const { CronScheduler } = await built('scheduler-cron');

const EVERY_SECOND = '* * * * * *';
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const wallNow = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Counts fires per job and second of the window, and how late each one was. */
class Recorder {
  constructor(jobs, seconds) {
    this.jobs = jobs;
    this.seconds = seconds;
    this.counts = new Uint16Array(jobs * seconds);
    this.lateness = new Float64Array(jobs * seconds * 2);
    this.latenessCount = 0;
    this.firstSecond = Infinity;
  }

  record(job) {
    const t = wallNow();
    const second = Math.floor(t / 1000);
    const index = second - this.firstSecond;
    if (index < 0 || index >= this.seconds) return;
    this.counts[job * this.seconds + index]++;
    if (this.latenessCount < this.lateness.length) this.lateness[this.latenessCount++] = t - second * 1000;
  }

  summary() {
    let missed = 0;
    let duplicated = 0;
    let delivered = 0;
    for (const count of this.counts) {
      if (count === 0) missed++;
      else duplicated += count - 1;
      delivered += count;
    }
    const late = this.lateness.slice(0, this.latenessCount).sort();
    const pick = (q) => (late.length === 0 ? NaN : late[Math.min(late.length - 1, Math.floor(q * late.length))]);
    return { expected: this.counts.length, delivered, missed, duplicated, p50: pick(0.5), p99: pick(0.99) };
  }
}

function gc() {
  if (typeof globalThis.gc === 'function') {
    globalThis.gc();
    globalThis.gc();
  }
}

/** A backend that calls the task directly: the same work croner and node-cron do per fire. */
function inlineBackend() {
  const ok = Object.freeze({
    runId: 'inline',
    task: '',
    status: 'succeeded',
    output: undefined,
    error: undefined,
    steps: {},
    startedAt: 0,
    durationMs: 0,
  });
  const done = Promise.resolve(ok);
  return {
    name: 'inline',
    run(task) {
      task.run(undefined, undefined);
      return done;
    },
  };
}

const implementations = {
  async cascadence(jobs, recorder, { backend = 'inline' } = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'cascadence-bench-'));
    const storagePath = join(dir, 'schedules.yml');
    const lines = [];
    for (let i = 0; i < jobs; i++) lines.push(`job-${i}: "${EVERY_SECOND}"`);
    writeFileSync(storagePath, `${lines.join('\n')}\n`);
    const tasks = [];
    for (let i = 0; i < jobs; i++) tasks.push(defineTask({ name: `job-${i}`, run: () => recorder.record(i) }));
    const chosen = backend === 'inline' ? inlineBackend() : new LocalBackend(new Engine({ logger: silent }));
    // 'local-history': as `task scheduler` does with the default config, every run recorded
    // into a SQLite history (history.record(backend)).
    let history;
    let detach = () => {};
    if (backend === 'local-history') {
      const { openHistory } = await built('history');
      history = await openHistory({ path: join(dir, 'history.db'), logger: silent });
      detach = history.record(chosen);
    }
    const scheduler = new CronScheduler({ storagePath, tasks, logger: silent, backend: chosen });
    scheduler.start();
    return {
      state: [scheduler, tasks],
      stop: async () => {
        await scheduler.stop();
        detach();
        await history?.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  async croner(jobs, recorder) {
    const crons = [];
    for (let i = 0; i < jobs; i++) crons.push(new Cron(EVERY_SECOND, () => recorder.record(i)));
    return { state: crons, stop: async () => crons.forEach((c) => c.stop()) };
  },
  async 'node-cron'(jobs, recorder) {
    // node-cron logs a warning per missed execution; at 10,000 jobs that floods the terminal.
    nodeCron.setLogger({ info() {}, warn() {}, error() {}, debug() {} });
    const tasks = [];
    for (let i = 0; i < jobs; i++) tasks.push(nodeCron.schedule(EVERY_SECOND, () => recorder.record(i)));
    return {
      state: tasks,
      stop: async () => {
        for (const task of tasks) await task.destroy();
      },
    };
  },
};

async function measure(name, jobs, seconds, options) {
  // Warm up with a few jobs first, so lazily built module state (parsers, Intl, caches) is not
  // billed to the jobs: heap per job is the marginal cost of one more job.
  const warm = await implementations[name](10, new Recorder(10, 1), options);
  await warm.stop();
  const recorder = new Recorder(jobs, seconds);
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const instance = await implementations[name](jobs, recorder, options);
  gc();
  const heapPerJob = (process.memoryUsage().heapUsed - heapBefore) / jobs;
  // One full second to settle, then the window: whole seconds, counted per job.
  const start = Math.ceil(wallNow() / 1000) * 1000 + 1000;
  recorder.firstSecond = start / 1000;
  await sleep(start - wallNow() - 20);
  while (wallNow() < start - 1);
  const cpuBefore = process.cpuUsage();
  const wallBefore = wallNow();
  await sleep(start + seconds * 1000 - wallNow());
  const cpu = process.cpuUsage(cpuBefore);
  const cores = (cpu.user + cpu.system) / 1000 / (wallNow() - wallBefore);
  await sleep(400); // late fires of the last second still count
  await instance.stop();
  instance.state = undefined;
  return { ...recorder.summary(), cores, heapPerJob };
}

/** Runs one case in a child process (`modules`: see BENCH_MODULES); resolves to its figures or { error }. */
export function measureInChild(name, jobs, seconds, backend = 'inline', modules = undefined) {
  const script = fileURLToPath(import.meta.url);
  const deadlineMs = 60_000 + seconds * 1000;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', script, '--case', name, String(jobs), String(seconds), backend], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: modules === undefined ? process.env : { ...process.env, BENCH_MODULES: modules },
    });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve({ error: `no result within ${deadlineMs / 1000} s (event loop saturated)` });
      else if (code !== 0) resolve({ error: `exited with ${code}` });
      else resolve(JSON.parse(out));
    });
  });
}

if (process.argv[2] === '--case') {
  const [name, jobs, seconds, backend] = process.argv.slice(3);
  const result = await measure(name, Number(jobs), Number(seconds), { backend });
  process.stdout.write(JSON.stringify(result));
  process.exit(0);
}

export async function run({ quick }) {
  const seconds = quick ? 2 : 5;
  const rows = [];
  let croner10k;
  for (const jobs of [1_000, 10_000]) {
    const label = jobs.toLocaleString('en-US');
    const results = {};
    for (const name of ['cascadence', 'croner', 'node-cron']) {
      process.stderr.write(`bench: scheduler ${name} ${label} jobs, ${seconds} s\n`);
      results[name] = await measureInChild(name, jobs, seconds);
    }
    if (jobs === 10_000) croner10k = results.croner;
    const ours = results.cascadence;
    if (ours.error !== undefined) {
      rows.push({ case: `${label} jobs: cascadence`, value: ours.error, unit: '', met: false });
      continue;
    }
    const latenessTarget = jobs <= 1_000 ? 10 : 50;
    rows.push(
      { case: `${label} jobs: fires delivered/expected`, value: `${ours.delivered}/${ours.expected}`, unit: 'fires' },
      { case: `${label} jobs: missed fires`, value: ours.missed, unit: 'fires', target: '0', met: ours.missed === 0 },
      { case: `${label} jobs: duplicated fires`, value: ours.duplicated, unit: 'fires', target: '0', met: ours.duplicated === 0 },
      { case: `${label} jobs: lateness p50`, value: ours.p50, unit: 'ms' },
      {
        case: `${label} jobs: lateness p99`,
        value: ours.p99,
        unit: 'ms',
        target: `<= ${latenessTarget} ms`,
        met: ours.p99 <= latenessTarget,
      },
      {
        case: `${label} jobs: CPU`,
        value: ours.cores,
        unit: 'cores',
        ...(jobs >= 10_000 ? { target: '< 0.1 core', met: ours.cores < 0.1 } : {}),
      },
      { case: `${label} jobs: heap per job`, value: ours.heapPerJob, unit: 'bytes', target: '<= 2048 B', met: ours.heapPerJob <= 2048 },
    );
    for (const peer of ['croner', 'node-cron']) {
      const other = results[peer];
      if (other.error !== undefined) {
        rows.push({ case: `${label} jobs: ${peer}`, value: other.error, unit: '' });
        continue;
      }
      rows.push(
        { case: `${label} jobs: ${peer} missed/duplicated`, value: `${other.missed}/${other.duplicated}`, unit: 'fires' },
        { case: `${label} jobs: ${peer} lateness p50/p99`, value: `${other.p50.toFixed(1)}/${other.p99.toFixed(1)}`, unit: 'ms' },
        {
          case: `${label} jobs: ${peer} CPU`,
          value: other.cores,
          unit: 'cores',
          ratio: ours.cores / other.cores,
          baseline: `cascadence/${peer}`,
        },
        {
          case: `${label} jobs: ${peer} heap per job`,
          value: other.heapPerJob,
          unit: 'bytes',
          ratio: ours.heapPerJob / other.heapPerJob,
          baseline: `cascadence/${peer}`,
        },
      );
    }
  }
  // The same at 10,000 jobs through core's LocalBackend (a full engine run per fire) instead of
  // the inline backend: what a default `new CronScheduler()` costs; then with every run recorded
  // into a SQLite history, as `task scheduler` does by default. Beside croner at 10,000 jobs of
  // this run (croner calls its callback directly: it has no run to record).
  for (const [backend, label] of [
    ['local', 'LocalBackend'],
    ['local-history', 'LocalBackend + history'],
  ]) {
    process.stderr.write(`bench: scheduler cascadence+${label} 10,000 jobs, ${seconds} s\n`);
    rows.push(...localRows(`10,000 jobs, ${label}`, await measureInChild('cascadence', 10_000, seconds, backend), croner10k));
  }
  return rows;
}

/** Rows of one 10,000-job case on a real backend, beside croner's figures of the same run. */
function localRows(name, local, croner) {
  if (local.error !== undefined) return [{ case: name, value: local.error, unit: '' }];
  const vsCroner = croner !== undefined && croner.error === undefined;
  return [
    {
      case: `${name}: missed/duplicated`,
      value: `${local.missed}/${local.duplicated}`,
      unit: 'fires',
      target: '0/0',
      met: local.missed === 0 && local.duplicated === 0,
    },
    { case: `${name}: lateness p50`, value: local.p50, unit: 'ms' },
    {
      case: `${name}: lateness p99`,
      value: local.p99,
      unit: 'ms',
      ...(vsCroner ? { ratio: local.p99 / croner.p99, baseline: `croner p99 ${croner.p99.toFixed(1)} ms` } : {}),
      target: '<= 50 ms',
      met: local.p99 <= 50,
    },
    {
      case: `${name}: CPU`,
      value: local.cores,
      unit: 'cores',
      ...(vsCroner ? { ratio: local.cores / croner.cores, baseline: `croner ${croner.cores.toFixed(3)} cores` } : {}),
      target: '<= 0.1 core',
      met: local.cores <= 0.1,
    },
    { case: `${name}: heap per job`, value: local.heapPerJob, unit: 'bytes', target: '<= 2048 B', met: local.heapPerJob <= 2048 },
  ];
}
