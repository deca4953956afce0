import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';

/** The workspace packages this suite exercises, found through its own devDependencies. */
export const packageDir = (name: string): string => dirname(require.resolve(`${name}/package.json`));
export const cliBin = join(packageDir('@cascadence/cli'), 'bin', 'run.js');

for (const [name, built] of [
  ['@cascadence/cli', 'dist/commands.js'],
  ['@cascadence/core', 'dist/index.cjs'],
  ['@cascadence/scheduler-cron', 'dist/index.cjs'],
  ['@cascadence/metrics', 'dist/index.cjs'],
  ['@cascadence/plugin-shell', 'dist/index.js'],
] as const) {
  if (!existsSync(join(packageDir(name), built))) {
    throw new Error(`${name} is not built (${built} is missing): run \`npx -y pnpm@12.4.2 run build\` first`);
  }
}

/** RELIABILITY_FULL=1 (or CASCADENCE_RELIABILITY_FULL=1, which turbo passes through) selects the full-length runs. */
export const FULL = process.env.RELIABILITY_FULL === '1' || process.env.CASCADENCE_RELIABILITY_FULL === '1';

/** An integer from the environment, or the default. */
export function envInt(names: string[], fallback: number): number {
  for (const name of names) {
    const raw = process.env[name];
    if (raw !== undefined && raw !== '') {
      const value = Number(raw);
      if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer (got ${JSON.stringify(raw)})`);
      return value;
    }
  }
  return fallback;
}

/** Small seeded PRNG (mulberry32): every random choice of a run is reproducible from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const seedFromEnv = (): number => envInt(['RELIABILITY_SEED', 'CASCADENCE_RELIABILITY_SEED'], Date.now() % 2 ** 31);

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Hard limit: the child is SIGKILLed after this long (the result then has signal SIGKILL). */
  timeoutMs?: number;
}

/** The environment children get: this process's, minus anything that would change the CLI's behaviour. */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const key of Object.keys(env)) {
    if ((key.startsWith('CASCADENCE_') && !key.startsWith('CASCADENCE_RELIABILITY')) || key.startsWith('TEMPORAL_')) delete env[key];
  }
  delete env.NODE_OPTIONS;
  return { ...env, ...extra };
}

/** Starts the built `task` binary as a child process, as a user's shell would. */
export function spawnTask(args: string[], options: RunOptions): ChildProcess {
  return spawn(process.execPath, [cliBin, ...args], { cwd: options.cwd, env: childEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs `task ARGS...` to completion and collects its output. */
export function runTask(args: string[], options: RunOptions): Promise<Result> {
  const started = performance.now();
  const child = spawnTask(args, options);
  return collect(child, started, options.timeoutMs ?? 60_000);
}

export function collect(child: ChildProcess, started = performance.now(), timeoutMs = 60_000): Promise<Result> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve, reject) => {
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/** Resolves when the child has exited (at once when it already has). */
export function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

/** Runs `fn` over `items` with at most `limit` in flight; results keep the input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export type FileContent = string | Buffer;

/** A real project folder under the OS temp dir. */
export class Project {
  readonly dir: string;

  constructor(files: Record<string, FileContent> = {}, prefix = 'cascadence-rel-') {
    this.dir = mkdtempSync(join(tmpdir(), prefix));
    for (const [path, content] of Object.entries(files)) this.write(path, content);
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  write(path: string, content: FileContent): string {
    const file = join(this.dir, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
    return file;
  }

  read(path: string): string {
    return readFileSync(join(this.dir, path), 'utf8');
  }

  /** Makes a workspace package resolvable from the project, as `npm install` would (a symlink). */
  link(name: string): void {
    const target = join(this.dir, 'node_modules', ...name.split('/'));
    mkdirSync(dirname(target), { recursive: true });
    symlinkSync(packageDir(name), target, 'dir');
  }

  run(args: string[], env?: NodeJS.ProcessEnv, timeoutMs?: number): Promise<Result> {
    return runTask(args, { cwd: this.dir, env, timeoutMs });
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Paths left out of tree hashes: the compile cache the CLI may fill (nothing else). */
const IGNORED = ['.cascadence/cache'];

/**
 * Every entry under `root` (files by content and mode, symlinks by target — not followed —,
 * folders by mode), keyed by relative path with `/` separators. Only `.cascadence/cache/` is
 * left out (and `.cascadence/` itself while it holds nothing but the cache).
 */
export function hashTree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      const rel = relative(root, full).split(sep).join('/');
      if (IGNORED.some((ignored) => rel === ignored || rel.startsWith(`${ignored}/`))) continue;
      const stat = lstatSync(full);
      const mode = (stat.mode & 0o7777).toString(8);
      if (stat.isSymbolicLink()) {
        out.set(rel, `link ${readlinkSync(full)}`);
      } else if (stat.isDirectory()) {
        if (!(rel === '.cascadence' && readdirSync(full).every((child) => child === 'cache'))) out.set(`${rel}/`, `dir ${mode}`);
        walk(full);
      } else {
        out.set(rel, `file ${mode} ${stat.size} ${createHash('sha256').update(readFileSync(full)).digest('hex')}`);
      }
    }
  };
  walk(root);
  return out;
}

/** Human-readable differences between two tree hashes (empty when identical). */
export function diffTrees(before: Map<string, string>, after: Map<string, string>): string[] {
  const changes: string[] = [];
  for (const [path, hash] of before) {
    if (!after.has(path)) changes.push(`removed ${path}`);
    else if (after.get(path) !== hash) changes.push(`changed ${path}`);
  }
  for (const path of after.keys()) if (!before.has(path)) changes.push(`added ${path}`);
  return changes;
}

/**
 * Tree changes without the ones a successful `task run` makes on purpose: its record in the run
 * history (`.cascadence/history.db`, its WAL files, and the `.cascadence/` folder holding them).
 */
export function withoutRunHistory(changes: string[]): string[] {
  return changes.filter((change) => !/^added \.cascadence\/(history\.db(-wal|-shm)?)?$/.test(change));
}

/** Lines of a summary table printed once per suite (the figures RELIABILITY.md quotes). */
export function report(title: string, rows: Array<Record<string, string | number>>): void {
  const lines = [`\n[reliability] ${title}`];
  for (const row of rows)
    lines.push(
      `  ${Object.entries(row)
        .map(([k, v]) => `${k}=${v}`)
        .join('  ')}`,
    );
  process.stdout.write(`${lines.join('\n')}\n`);
  const dir = process.env.RELIABILITY_REPORT_DIR ?? process.env.CASCADENCE_RELIABILITY_REPORT_DIR;
  if (dir !== undefined && dir !== '') {
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${title.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.json`);
    writeFileSync(file, `${JSON.stringify({ title, at: new Date().toISOString(), full: FULL, rows }, null, 2)}\n`);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
