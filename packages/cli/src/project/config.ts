import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { closestNames, pathTrustProblem } from '@cascadence/core';
import { CliError, CliErrorCode } from '../errors';
import { importFile } from './import-file';
import { parseJsonStrict } from './json';
import { parseYaml } from './yaml';

/** What `cascadence.config.*` may say. Paths are relative to the config file's folder. */
export interface CascadenceConfig {
  /** Modules whose exported tasks and flows join the project (a `*` in the file name part is allowed). */
  tasks?: string[];
  /** YAML or JSON flow files; `flows/*.yml`, `flows/*.yaml` and `flows/*.json` are always read too. */
  flows?: string[];
  /** Plugins: a list to load, or `{ use, deny, discover, production }`. */
  plugins?: string[] | PluginsConfig;
  /** Backend `task run` and the scheduler use by default: `local` (default) or `temporal`. */
  backend?: string;
  /** `searchAttributes: false`: start runs without CascadenceTask/CascadenceTrigger (servers where they cannot be registered). */
  temporal?: { address?: string; namespace?: string; taskQueue?: string; apiKey?: string; searchAttributes?: boolean };
  metrics?: { port?: number; host?: string };
  /** Schedules file; default `schedules.yml` beside the config. */
  schedules?: string;
  /** Default time zone of schedules; default UTC. */
  timezone?: string;
  /** Steps of one flow running at once on the local engine. */
  concurrency?: number;
  /** Run history (default on, SQLite in `.cascadence/history.db`); `false` turns recording off. */
  history?: false | HistoryConfig;
}

export interface HistoryConfig {
  /** SQLite file; default `.cascadence/history.db` beside the config. */
  path?: string;
  /** `postgres://...`: one history shared by several hosts (CASCADENCE_HISTORY_URL wins). */
  url?: string;
  /** Retention: a duration (`"30d"`, the default), a number of runs, or `false`. */
  keep?: string | number | false;
  /** Record run inputs and step outputs (default true); `false` for secrets. */
  values?: boolean;
  /** Per-value cap in bytes (default 65536). */
  maxValueBytes?: number;
}

export interface PluginsConfig {
  use?: string[];
  deny?: string[];
  discover?: boolean;
  production?: boolean;
  /** Milliseconds one plugin may take to load (import + setup) before it is reported as failed; 0: no limit. Default 10000. */
  loadTimeoutMs?: number;
}

export const CONFIG_FILE_NAMES = [
  'cascadence.config.ts',
  'cascadence.config.mjs',
  'cascadence.config.js',
  'cascadence.config.cjs',
  'cascadence.config.json',
  'cascadence.config.yaml',
  'cascadence.config.yml',
];

const KEYS: Record<string, string> = {
  tasks: 'list of paths',
  flows: 'list of paths',
  plugins: 'list of plugin names or { use, deny, discover, production, loadTimeoutMs }',
  backend: 'string',
  temporal: 'mapping',
  metrics: 'mapping',
  schedules: 'string',
  timezone: 'string',
  concurrency: 'positive integer',
  history: 'mapping { path, url, keep, values, maxValueBytes } or false',
};

export interface LoadedConfig {
  /** The config file, or undefined when the project has none. */
  file: string | undefined;
  /** Project root: the config file's folder, or the working directory. */
  dir: string;
  config: CascadenceConfig;
  /** How the file was chosen, for a debug line. */
  search: ConfigSearch;
}

export interface ConfigSearch {
  file: string | undefined;
  /** `--config`, or found by walking up from the working directory. */
  how: 'explicit' | 'found' | 'none';
  /** The last folder searched: the project boundary (nearest package.json or VCS root), or `/`. */
  boundary: string;
  /** Config files passed over because running them would be unsafe. */
  ignored: Array<{ file: string; reason: string }>;
}

/** What marks the top of a project: the walk up never goes past a folder holding one of these. */
const PROJECT_MARKERS = ['package.json', '.git', '.hg', '.svn'];

/**
 * Walks up from `cwd` looking for a config file, stopping at the project boundary: the first
 * folder with a package.json or a VCS root (.git, .hg, .svn) is the last one searched. A config
 * file owned by another user, writable by everyone, or in a world-writable folder (such as /tmp)
 * is never used this way (it is listed in `ignored`); name it with `--config` to use it.
 */
export function searchConfigFile(cwd: string): ConfigSearch {
  const ignored: ConfigSearch['ignored'] = [];
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    for (const name of CONFIG_FILE_NAMES) {
      const file = join(dir, name);
      if (!existsSync(file)) continue;
      let real = file;
      try {
        real = realpathSync(file);
      } catch {
        // a dangling link: reading it fails later with its own message
      }
      const problem = pathTrustProblem(real) ?? (real !== file ? pathTrustProblem(file) : undefined);
      if (problem === undefined) return { file, how: 'found', boundary: dir, ignored };
      ignored.push({ file, reason: problem });
    }
    if (ignored.length > 0 || PROJECT_MARKERS.some((marker) => existsSync(join(dir, marker))) || dirname(dir) === dir) {
      return { file: undefined, how: 'none', boundary: dir, ignored };
    }
  }
}

/** The config file a command in `cwd` uses (see `searchConfigFile`), or undefined. */
export function findConfigFile(cwd: string): string | undefined {
  return searchConfigFile(cwd).file;
}

/**
 * Finds, reads and checks the config; environment variables override what it says. `explicit`
 * (the `--config` flag) skips the search and the ownership checks: the user named the file.
 */
export async function loadConfig(cwd: string, env: NodeJS.ProcessEnv = process.env, explicit?: string): Promise<LoadedConfig> {
  let search: ConfigSearch;
  if (explicit !== undefined) {
    const file = resolve(cwd, explicit);
    let isFile: boolean;
    try {
      isFile = statSync(file).isFile();
    } catch {
      isFile = false;
    }
    if (!isFile) throw new CliError(CliErrorCode.CONFIG, `--config ${explicit}: no such file ${file}`);
    search = { file, how: 'explicit', boundary: dirname(file), ignored: [] };
  } else {
    search = searchConfigFile(cwd);
  }
  const { file } = search;
  const dir = file === undefined ? resolve(cwd) : dirname(file);
  const raw = file === undefined ? {} : await readConfigFile(file, dir);
  const config = checkConfig(raw, file ?? 'config');
  return { file, dir, config: applyEnv(config, env), search };
}

async function readConfigFile(file: string, dir: string): Promise<unknown> {
  const name = basename(file);
  try {
    if (name.endsWith('.json')) return parseJsonStrict(readFileSync(file, 'utf8'), file);
    if (name.endsWith('.yaml') || name.endsWith('.yml')) return (await parseYaml(readFileSync(file, 'utf8'), file)).toJS();
    const mod = await importFile(file, dir);
    return mod.default ?? mod;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(CliErrorCode.CONFIG, `${file} could not be loaded: ${(error as Error).message ?? String(error)}`, undefined, {
      cause: error,
    });
  }
}

function checkConfig(raw: unknown, file: string): CascadenceConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new CliError(CliErrorCode.CONFIG, `${file}: the config must be an object (export default { ... })`);
  }
  const config = raw as Record<string, unknown>;
  const bad = (key: string, got: unknown): never => {
    throw new CliError(CliErrorCode.CONFIG, `${file}: "${key}" must be a ${KEYS[key]} (got ${JSON.stringify(got)})`);
  };
  for (const key of Object.keys(config)) {
    if (!(key in KEYS)) {
      const [best] = closestNames(key, Object.keys(KEYS), 1);
      throw new CliError(
        CliErrorCode.CONFIG,
        `${file}: unknown setting "${key}"${best ? ` (did you mean "${best}"?)` : ''}; known: ${Object.keys(KEYS).join(', ')}`,
      );
    }
  }
  const stringList = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');
  if (config.tasks !== undefined && !stringList(config.tasks)) bad('tasks', config.tasks);
  if (config.flows !== undefined && !stringList(config.flows)) bad('flows', config.flows);
  const plugins = config.plugins;
  if (plugins !== undefined && !stringList(plugins)) {
    const p = plugins as PluginsConfig;
    const ok =
      typeof plugins === 'object' &&
      plugins !== null &&
      !Array.isArray(plugins) &&
      Object.keys(plugins).every((k) => ['use', 'deny', 'discover', 'production', 'loadTimeoutMs'].includes(k)) &&
      (p.loadTimeoutMs === undefined ||
        (typeof p.loadTimeoutMs === 'number' && Number.isFinite(p.loadTimeoutMs) && p.loadTimeoutMs >= 0)) &&
      (p.use === undefined || stringList(p.use)) &&
      (p.deny === undefined || stringList(p.deny)) &&
      (p.discover === undefined || typeof p.discover === 'boolean') &&
      (p.production === undefined || typeof p.production === 'boolean');
    if (!ok) bad('plugins', plugins);
  }
  for (const key of ['backend', 'schedules', 'timezone']) {
    if (config[key] !== undefined && typeof config[key] !== 'string') bad(key, config[key]);
  }
  for (const key of ['temporal', 'metrics']) {
    if (config[key] !== undefined && (typeof config[key] !== 'object' || config[key] === null || Array.isArray(config[key])))
      bad(key, config[key]);
  }
  const searchAttributes = (config.temporal as { searchAttributes?: unknown } | undefined)?.searchAttributes;
  if (searchAttributes !== undefined && typeof searchAttributes !== 'boolean') {
    throw new CliError(
      CliErrorCode.CONFIG,
      `${file}: "temporal.searchAttributes" must be true or false (got ${JSON.stringify(searchAttributes)})`,
    );
  }
  if (config.concurrency !== undefined && !(Number.isInteger(config.concurrency) && (config.concurrency as number) > 0))
    bad('concurrency', config.concurrency);
  if (config.history !== undefined && config.history !== false) {
    const h = config.history as Record<string, unknown>;
    const ok =
      typeof h === 'object' &&
      h !== null &&
      !Array.isArray(h) &&
      Object.keys(h).every((k) => ['path', 'url', 'keep', 'values', 'maxValueBytes'].includes(k)) &&
      (h.path === undefined || typeof h.path === 'string') &&
      (h.url === undefined || typeof h.url === 'string') &&
      (h.keep === undefined || h.keep === false || typeof h.keep === 'string' || (Number.isInteger(h.keep) && (h.keep as number) > 0)) &&
      (h.values === undefined || typeof h.values === 'boolean') &&
      (h.maxValueBytes === undefined || (Number.isInteger(h.maxValueBytes) && (h.maxValueBytes as number) > 0));
    if (!ok) bad('history', config.history);
  }
  return config as CascadenceConfig;
}

/** CASCADENCE_BACKEND, TEMPORAL_*, CASCADENCE_METRICS_PORT, CASCADENCE_HISTORY_URL win over the file. */
function applyEnv(config: CascadenceConfig, env: NodeJS.ProcessEnv): CascadenceConfig {
  const out: CascadenceConfig = { ...config, temporal: { ...config.temporal }, metrics: { ...config.metrics } };
  if (env.CASCADENCE_BACKEND) out.backend = env.CASCADENCE_BACKEND;
  if (env.TEMPORAL_ADDRESS) out.temporal!.address = env.TEMPORAL_ADDRESS;
  if (env.TEMPORAL_NAMESPACE) out.temporal!.namespace = env.TEMPORAL_NAMESPACE;
  if (env.TEMPORAL_TASK_QUEUE) out.temporal!.taskQueue = env.TEMPORAL_TASK_QUEUE;
  if (env.TEMPORAL_API_KEY) out.temporal!.apiKey = env.TEMPORAL_API_KEY;
  if (env.CASCADENCE_METRICS_PORT) {
    const port = Number(env.CASCADENCE_METRICS_PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new CliError(
        CliErrorCode.CONFIG,
        `CASCADENCE_METRICS_PORT must be a port number (got ${JSON.stringify(env.CASCADENCE_METRICS_PORT)})`,
      );
    }
    out.metrics!.port = port;
  }
  if (env.CASCADENCE_HISTORY_URL) out.history = { ...(config.history === false ? {} : config.history), url: env.CASCADENCE_HISTORY_URL };
  return out;
}
