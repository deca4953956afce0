import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative, resolve } from 'node:path';
import {
  CascadenceError,
  Engine,
  ErrorCode,
  flowFromSpec,
  isFlow,
  isTask,
  LocalBackend,
  loadPlugins,
  Registry,
  sanitizeForTerminal,
  sanitizeLinesForTerminal,
  type ExecutionBackend,
  type Logger,
  type PluginCapability,
  type PluginLoadResult,
  type Runnable,
  unknownName,
} from '@cascadence/core';
import { exampleTask } from '../example-task';
import { CliError, CliErrorCode } from '../errors';
import { statusLine } from '../status-line';
import { loadConfig, type CascadenceConfig, type PluginsConfig } from './config';
import { cachedFlowData, storeFlowData } from './flow-cache';
import { importFile } from './import-file';
import { parseJsonStrict } from './json';
import { readTaskState, taskStatePath } from './task-state';
import { parseYaml } from './yaml';
import { tracedClientInterceptors } from '../temporal-tracing';
import { tracingRequested } from '../tracing';

export interface Project {
  /** Project root: the config file's folder, or the working directory when there is none. */
  dir: string;
  configFile: string | undefined;
  config: CascadenceConfig;
  registry: Registry;
  plugins: PluginLoadResult;
  /** `.cascadence/` beside the config: disabled tasks, schedule state, caches. */
  stateDir: string;
  taskStateFile: string;
  schedulesPath: string;
  engine: Engine;
  /** Flow files that could not be read: listed by `task list`, their error raised only when the flow is used. */
  brokenFlows: BrokenFlow[];
  /** The backend called `name` (default: the configured one, else `local`). */
  backend(name?: string): Promise<ExecutionBackend>;
}

/** A flow file that does not parse or does not describe a valid flow. */
export interface BrokenFlow {
  /** The flow's `name:` when it could be read, else the file name without its extension. */
  name: string;
  /** Relative to the project. */
  file: string;
  error: CascadenceError;
}

export interface LoadProjectOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** One line per problem that does not stop the command (a broken plugin, say). */
  warn?: (line: string) => void;
  /** `--config`: use this file, without searching or ownership checks. */
  configFile?: string;
  /** The task or flow the command is about to use: if its flow file is broken, its error is raised then, not also warned about. */
  using?: string;
  /**
   * What the command uses of plugins, when not everything (loadPlugins' `needs`): a plugin whose
   * manifest provides none of it is not imported. `task list` (LIST_PLUGIN_NEEDS) needs tasks only.
   */
  pluginNeeds?: readonly PluginCapability[];
}

/**
 * The options for a command's `--cwd` and `--config` flags (both optional), shared by the oclif
 * commands and the fast path (fast-path.ts). `warn` gets one line per warning.
 */
export function commandProjectOptions(
  flags: { cwd?: string | undefined; config?: string | undefined },
  warn: (line: string) => void,
  using?: string,
): LoadProjectOptions {
  return {
    cwd: flags.cwd ?? process.cwd(),
    warn,
    ...(flags.config !== undefined ? { configFile: flags.config } : {}),
    ...(using !== undefined ? { using } : {}),
  };
}

/** Everything a command needs to know about the project in `cwd`. */
export async function loadProject(options: LoadProjectOptions): Promise<Project> {
  const env = options.env ?? process.env;
  const warn = options.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { file, dir, config, search } = await loadConfig(options.cwd, env, options.configFile);
  for (const { file: passed, reason } of search.ignored) {
    warn(
      `warning: ignoring ${passed}: ${reason}; a config found by walking up is never run then (use --config ${passed} to run it anyway)`,
    );
  }
  if (env.CASCADENCE_DEBUG) {
    warn(
      search.how === 'explicit'
        ? `cascadence: config ${file} (from --config)`
        : file === undefined
          ? `cascadence: no config file between ${resolve(options.cwd)} and the project boundary ${search.boundary}; project folder ${dir}`
          : `cascadence: config ${file} (found walking up from ${resolve(options.cwd)})`,
    );
  }
  const stateDir = join(dir, '.cascadence');
  const taskStateFile = taskStatePath(stateDir);
  const registry = new Registry({ disabled: readTaskState(taskStateFile).disabled });

  const pluginConfig: PluginsConfig = Array.isArray(config.plugins) ? { use: config.plugins } : (config.plugins ?? {});
  const plugins = await loadPlugins({
    projectDir: dir,
    plugins: pluginConfig.use,
    deny: pluginConfig.deny,
    discover: pluginConfig.discover,
    production: pluginConfig.production,
    ...(pluginConfig.loadTimeoutMs !== undefined ? { loadTimeoutMs: pluginConfig.loadTimeoutMs } : {}),
    ...(options.pluginNeeds !== undefined ? { needs: options.pluginNeeds } : {}),
    registry,
    onProblem: (problem) => warn(`warning: ${sanitizeForTerminal(problem.error.message)}`),
  });

  for (const pattern of config.tasks ?? []) {
    for (const path of expand(pattern, dir, 'tasks')) {
      const mod = await importFile(path, dir).catch((error: unknown) => {
        throw new CliError(
          CliErrorCode.CONFIG,
          `${relative(dir, path)} (listed in "tasks") failed to load: ${(error as Error).message}`,
          undefined,
          { cause: error },
        );
      });
      const found = runnablesIn(mod);
      if (found.length === 0) warn(`warning: ${sanitizeForTerminal(relative(dir, path))} (listed in "tasks") exports no task or flow`);
      for (const runnable of found) addOrExplain(registry, runnable, relative(dir, path));
    }
  }

  // One broken flow file must not stop commands that do not need it: it is reported once, and
  // using its flow raises its error (file, line and column).
  const brokenFlows: BrokenFlow[] = [];
  for (const path of flowFiles(config, dir)) {
    let flow: Runnable;
    try {
      flow = await readFlowFile(path, dir);
    } catch (error) {
      if (!CascadenceError.isInstance(error)) throw error;
      const broken: BrokenFlow = { name: flowNameOf(path, error), file: relative(dir, path) || path, error };
      brokenFlows.push(broken);
      if (broken.name !== options.using)
        warn(
          `warning: ${sanitizeForTerminal(error.message)} — flow "${sanitizeForTerminal(broken.name)}" is unavailable until the file is fixed`,
        );
      continue;
    }
    addOrExplain(registry, flow, relative(dir, path));
  }
  for (const broken of brokenFlows) if (!registry.has(broken.name)) registry.markUnavailable('task', broken.name, broken.error);

  // The built-in example yields its name to anything the project defines.
  if (!registry.has(exampleTask.name)) registry.add(exampleTask, 'builtin');

  const engine = new Engine({ resolver: registry, concurrency: config.concurrency, logger: stderrLogger });
  registry.addBackend(new LocalBackend(engine), 'builtin');

  return {
    dir,
    configFile: file,
    config,
    registry,
    plugins,
    stateDir,
    taskStateFile,
    schedulesPath: resolve(dir, config.schedules ?? 'schedules.yml'),
    engine,
    brokenFlows,
    backend: async (name) => {
      const wanted = name ?? config.backend ?? 'local';
      if (wanted === 'temporal' && registry.sourceOf('backend', 'temporal') === undefined) {
        registry.addBackend(await temporalBackend(config, registry), '@cascadence/temporal');
      }
      try {
        return registry.getBackend(wanted);
      } catch (error) {
        // A plain unknown name (not a plugin that failed to load): `temporal` is loaded only when
        // asked for, but is always available, so the list names it too.
        if (!CascadenceError.isInstance(error, ErrorCode.UNKNOWN_BACKEND) || error.cause !== undefined) throw error;
        const known = [...new Set([...registry.backends().map((b) => b.name), 'temporal'])].sort();
        const { message, suggestions } = unknownName('backend', wanted, known, `available: ${known.join(', ')}`);
        throw new CliError(ErrorCode.UNKNOWN_BACKEND, message, undefined, { suggestions });
      }
    },
  };
}

/** Default task queue of the `temporal` backend and `task worker`. */
export const DEFAULT_TASK_QUEUE = 'cascadence';

async function temporalBackend(config: CascadenceConfig, registry: Registry): Promise<ExecutionBackend> {
  const { TemporalBackend } = await import('@cascadence/temporal');
  const temporal = config.temporal ?? {};
  return new TemporalBackend({
    // With tracing on, the workflow start carries the run's trace context to the workers.
    ...(tracingRequested() ? { clientInterceptors: tracedClientInterceptors() } : {}),
    ...(temporal.address !== undefined ? { address: temporal.address } : {}),
    ...(temporal.namespace !== undefined ? { namespace: temporal.namespace } : {}),
    ...(temporal.apiKey !== undefined ? { apiKey: temporal.apiKey } : {}),
    ...(temporal.searchAttributes !== undefined ? { searchAttributes: temporal.searchAttributes } : {}),
    taskQueue: temporal.taskQueue ?? DEFAULT_TASK_QUEUE,
    registry,
  });
}

// node:util is required on the first log line, not imported: importing it as an ES module builds its
// whole namespace, which loads worker_threads and more (about 1 ms of Node 22's 25 ms start, in
// every command that loads the project), for the one function log lines use.
const require = createRequire(import.meta.url);
let format: typeof import('node:util').format | undefined;

/** Log lines of tasks, the engine and the scheduler, on stderr with control characters escaped (newlines kept). */
const toStderr = (message: unknown, args: unknown[]): void => {
  format ??= (require('node:util') as typeof import('node:util')).format;
  const line = `${sanitizeLinesForTerminal(format(message, ...args))}\n`;
  statusLine.above(() => process.stderr.write(line));
};

export const stderrLogger: Logger = {
  debug: (message, ...args) => {
    if (process.env.CASCADENCE_DEBUG) toStderr(message, args);
  },
  info: (message, ...args) => toStderr(message, args),
  warn: (message, ...args) => toStderr(message, args),
  error: (message, ...args) => toStderr(message, args),
};

function runnablesIn(mod: Record<string, unknown>): Runnable[] {
  const out = new Set<Runnable>();
  const visit = (value: unknown): void => {
    if (isTask(value) || isFlow(value)) out.add(value as Runnable);
    else if (Array.isArray(value)) value.forEach(visit);
  };
  for (const value of Object.values(mod)) visit(value);
  return [...out];
}

function addOrExplain(registry: Registry, runnable: Runnable, source: string): void {
  try {
    registry.add(runnable, source);
  } catch (error) {
    if (CascadenceError.isInstance(error)) throw new CliError(error.code, error.message);
    throw error;
  }
}

/** A path, or a `*` pattern in the file-name part (`tasks/*.mjs`), relative to the project. */
function expand(pattern: string, dir: string, key: string): string[] {
  const full = resolve(dir, pattern);
  if (!basename(full).includes('*')) {
    if (!existsSync(full)) throw new CliError(CliErrorCode.CONFIG, `"${key}" lists ${pattern}, which does not exist in ${dir}`);
    return [full];
  }
  if (dirname(full).includes('*')) {
    throw new CliError(CliErrorCode.CONFIG, `"${key}": only the file name may contain * (got ${pattern})`);
  }
  const matcher = new RegExp(`^${basename(full).split('*').map(escapeRegExp).join('[^/]*')}$`);
  const folder = dirname(full);
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((name) => matcher.test(name))
    .sort()
    .map((name) => join(folder, name));
}

function flowFiles(config: CascadenceConfig, dir: string): string[] {
  const files = new Set<string>();
  for (const pattern of config.flows ?? []) for (const path of expand(pattern, dir, 'flows')) files.add(path);
  const folder = join(dir, 'flows');
  if (existsSync(folder)) {
    for (const name of readdirSync(folder).sort()) {
      if (/\.(ya?ml|json)$/.test(name)) files.add(join(folder, name));
    }
  }
  return [...files];
}

/** The name a broken flow file was meant to give its flow: its `name:` if readable, else the file's base name. */
function flowNameOf(path: string, error: CascadenceError): string {
  const declared = error.details.flowName;
  return typeof declared === 'string' && declared !== '' ? declared : basename(path).replace(/\.(ya?ml|json)$/, '');
}

/** A YAML or JSON flow file; every error names the file, and for YAML the line and column. */
export async function readFlowFile(path: string, dir: string): Promise<Runnable> {
  const shown = relative(dir, path) || path;
  const text = readFileSync(path, 'utf8');
  if (path.endsWith('.json')) {
    const data = parseJsonStrict(text, shown);
    return wrapSpecErrors(
      data,
      () => flowFromSpec(data, shown),
      () => '',
    );
  }
  // Unchanged text that made a valid flow before: its cached data, without loading the YAML parser.
  // Any error goes through the full parse below, which gives it a line and column.
  const cached = cachedFlowData(dir, path, text);
  if (cached !== undefined) {
    try {
      return flowFromSpec(cached, shown);
    } catch (error) {
      if (!CascadenceError.isInstance(error)) throw error;
    }
  }
  const parsed = await parseYaml(text, shown);
  const data = parsed.toJS();
  const flow = wrapSpecErrors(
    data,
    () => flowFromSpec(data, shown),
    (error) => parsed.positionOf((error.details.path as Array<string | number> | undefined) ?? []),
  );
  storeFlowData(dir, path, text, data);
  return flow;
}

function wrapSpecErrors(data: unknown, build: () => Runnable, position: (error: CascadenceError) => string): Runnable {
  try {
    return build();
  } catch (error) {
    if (!CascadenceError.isInstance(error)) throw error;
    const name = typeof data === 'object' && data !== null ? (data as { name?: unknown }).name : undefined;
    throw new CliError(error.code, `${error.message}${position(error)}`, undefined, {
      details: { ...error.details, ...(typeof name === 'string' ? { flowName: name } : {}) },
    });
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}
