import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CascadenceError, ErrorCode, toError } from './errors';
import { sanitizeForTerminal } from './terminal';
import { startLoadWatchdog, type LoadWatchdog } from './plugin-watchdog';
import { silentLogger, type Logger } from './logger';
import {
  isPlugin,
  PLUGIN_CAPABILITIES,
  pluginShapeProblem,
  type Instrumentation,
  type Plugin,
  type PluginCapability,
  type PluginManifest,
  type SchedulerFactory,
} from './plugin';
import { normalizePluginName } from './plugin-name';
import { Registry } from './registry';
import { collectCandidates, locate, readProjectPackage, type Located } from './plugin-locate';

export interface LoadPluginsOptions {
  /** The project folder: its package.json is read and its node_modules searched. */
  projectDir: string;
  /** Plugins listed in the config: package names, shorthands, project-relative paths or plugin objects. */
  plugins?: Array<string | Plugin>;
  /** Package names or shorthands never to load, even when listed or installed. */
  deny?: string[];
  /** Take plugins from the project's dependencies by name. Default true. */
  discover?: boolean;
  /** Ignore devDependencies. Default: NODE_ENV === 'production'. */
  production?: boolean;
  /** Registry to fill; default a new one. */
  registry?: Registry;
  /** Debug messages (e.g. a matching package without a manifest). */
  log?: Logger;
  /** Called once per plugin that failed; default: one console.warn line each. */
  onProblem?: (problem: PluginProblem) => void;
  /**
   * How long one plugin may take to load (its import plus its `setup()`), in milliseconds; after
   * that it is reported as failed and the rest go on. Default 10000 (`DEFAULT_PLUGIN_LOAD_TIMEOUT_MS`);
   * 0 waits forever. A plugin that blocks the thread (a busy loop) cannot be stopped by this.
   */
  loadTimeoutMs?: number;
  /**
   * Warn on stderr, from a watchdog thread, when one plugin keeps the process blocked this long
   * (a busy loop, which nothing in-process can interrupt), naming it. Default 2000; 0 turns the
   * watchdog off.
   */
  blockedWarningMs?: number;
  /**
   * What the caller will use of the plugins, when not everything: a plugin whose manifest lists
   * what it provides (`provides`, non-empty) and none of these is still found and its manifest
   * checked (a missing package, an untrusted link or a bad manifest is reported as before), but it
   * is not imported — so nothing it would do when loaded (register, run `setup()`, fail, conflict)
   * happens — and it is listed in `skipped`. Plugins without such a manifest (paths to files, plugin
   * objects, an empty `provides`) load as before. Default: all, every plugin is imported.
   * `task list` passes `['task']`: a processor- or backend-only plugin cannot change its output.
   */
  needs?: readonly PluginCapability[];
}

/** Default of `loadTimeoutMs`. */
export const DEFAULT_PLUGIN_LOAD_TIMEOUT_MS = 10_000;

export interface LoadedPlugin {
  /** Package name (or the path / object name for config-listed local plugins). */
  name: string;
  version: string | undefined;
  /** Real path of the package folder or file; undefined for plugin objects. */
  path: string | undefined;
  origin: 'dependency' | 'config';
  plugin: Plugin;
}

export interface PluginProblem {
  plugin: string;
  path: string | undefined;
  error: CascadenceError;
}

export interface SkippedPlugin {
  plugin: string;
  path: string | undefined;
  reason: string;
}

export interface PluginLoadResult {
  registry: Registry;
  loaded: LoadedPlugin[];
  failed: PluginProblem[];
  skipped: SkippedPlugin[];
  schedulers: Array<SchedulerFactory & { plugin: string }>;
  instrumentation: Array<Instrumentation & { plugin: string }>;
}

// A native import() the CommonJS build keeps as is (bundlers rewrite `import()` into require()).
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<Record<string, unknown>>;

/**
 * Finds, checks and loads plugins: the project's dependencies named like plugins plus those the
 * config lists. A plugin that fails is reported once and the rest still load; what it would have
 * provided raises its error only when used. Plugins are trusted code running in this process.
 */
export async function loadPlugins(options: LoadPluginsOptions): Promise<PluginLoadResult> {
  const projectDir = resolve(options.projectDir);
  const registry = options.registry ?? new Registry();
  const log = options.log ?? silentLogger;
  const report = options.onProblem ?? warnOnce;
  const result: PluginLoadResult = { registry, loaded: [], failed: [], skipped: [], schedulers: [], instrumentation: [] };
  const fail = (plugin: string, path: string | undefined, error: CascadenceError, manifest?: PluginManifest): void => {
    const problem = { plugin, path, error };
    result.failed.push(problem);
    registry.markBrokenProvider(plugin, manifest?.provides ?? [], error);
    for (const name of manifest?.tasks ?? []) registry.markUnavailable('task', name, error);
    for (const name of manifest?.processors ?? []) registry.markUnavailable('processor', name, error);
    for (const name of manifest?.backends ?? []) registry.markUnavailable('backend', name, error);
    report(problem);
  };

  const denied = new Set((options.deny ?? []).map(normalizePluginName));
  const candidates = collectCandidates(projectDir, options, denied, result.skipped);
  if (candidates.length === 0) return result;

  const loadTimeoutMs = options.loadTimeoutMs ?? DEFAULT_PLUGIN_LOAD_TIMEOUT_MS;
  if (!(typeof loadTimeoutMs === 'number' && Number.isFinite(loadTimeoutMs) && loadTimeoutMs >= 0)) {
    throw new CascadenceError(
      ErrorCode.PLUGIN_LOAD,
      `option "loadTimeoutMs" must be a number of milliseconds >= 0 (0: no limit), got ${String(loadTimeoutMs)}`,
    );
  }
  if (options.needs !== undefined && !(Array.isArray(options.needs) && options.needs.every((kind) => PLUGIN_CAPABILITIES.includes(kind)))) {
    throw new CascadenceError(
      ErrorCode.PLUGIN_LOAD,
      `option "needs" must be a list of ${PLUGIN_CAPABILITIES.join(', ')}, got ${JSON.stringify(options.needs)}`,
    );
  }
  const blockedWarningMs = options.blockedWarningMs ?? 2_000;
  let packageJson: Record<string, unknown> | undefined;
  try {
    packageJson = readProjectPackage(projectDir);
  } catch {
    packageJson = undefined;
  }
  let watchdog: LoadWatchdog | undefined;

  // One plugin at a time, in name order: a plugin that hangs or blocks is then the one named, and
  // reports and registrations come out the same way every time.
  try {
    for (const candidate of candidates) {
      if (candidate.invalid !== undefined) {
        fail(
          candidate.name,
          undefined,
          new CascadenceError(ErrorCode.PLUGIN_LOAD, candidate.invalid, { details: { plugin: candidate.name } }),
        );
        continue;
      }
      let located: Located | undefined;
      let plugin: Plugin;
      try {
        if (candidate.object !== undefined) {
          located = { candidate, path: undefined, manifest: undefined, version: undefined };
          plugin = candidate.object;
        } else {
          located = locate(projectDir, candidate, packageJson);
          if (located.path !== undefined && located.manifest === undefined && statSync(located.path).isDirectory()) {
            // Named in the config: the user asked for it, so a missing manifest is an error, not a skip.
            if (candidate.origin === 'config') {
              throw new CascadenceError(
                ErrorCode.PLUGIN_LOAD,
                'its package.json has no "cascadence" manifest, so it is not a Cascadence plugin (nothing of it was imported)',
              );
            }
            log.debug(`cascadence: ${candidate.name} matches the plugin name pattern but has no "cascadence" manifest; skipped`);
            result.skipped.push({ plugin: candidate.name, path: located.path, reason: 'no "cascadence" manifest in package.json' });
            continue;
          }
          if (located.manifestProblem !== undefined) throw new CascadenceError(ErrorCode.PLUGIN_LOAD, located.manifestProblem);
          const unneeded = options.needs === undefined ? undefined : unneededBecause(located.manifest, options.needs);
          if (unneeded !== undefined) {
            result.skipped.push({ plugin: candidate.name, path: located.path, reason: unneeded });
            continue;
          }
          log.debug(`cascadence: loading plugin ${candidate.name} from ${located.path}`);
          if (blockedWarningMs > 0) watchdog ??= await startLoadWatchdog(blockedWarningMs);
          const at = located;
          plugin = await withDeadline(() => importPlugin(at), loadTimeoutMs, candidate.name, 'import', watchdog, located.path);
        }
      } catch (thrown) {
        fail(candidate.name, located?.path, asLoadError(candidate.name, located?.path, thrown), located?.manifest);
        continue;
      }

      const name = candidate.name;
      try {
        const conflict = register(registry, plugin, name);
        if (conflict !== undefined) {
          result.failed.push({ plugin: name, path: located.path, error: conflict });
          report({ plugin: name, path: located.path, error: conflict });
        }
        const setup = plugin.setup;
        if (setup !== undefined) {
          const host = { registry, projectDir, log };
          await withDeadline(async () => setup.call(plugin, host), loadTimeoutMs, name, 'setup()', watchdog, located.path);
        }
      } catch (thrown) {
        fail(name, located.path, asLoadError(name, located.path, thrown), located.manifest);
        continue;
      }
      for (const scheduler of plugin.schedulers ?? []) result.schedulers.push({ ...scheduler, plugin: name });
      for (const instrumentation of plugin.instrumentation ?? []) result.instrumentation.push({ ...instrumentation, plugin: name });
      result.loaded.push({ name, version: located.version, path: located.path, origin: candidate.origin, plugin });
    }
  } finally {
    watchdog?.stop();
  }
  return result;
}

/** Why a plugin with this manifest cannot provide anything of `needs` (so need not be imported), or undefined. */
function unneededBecause(manifest: PluginManifest | undefined, needs: readonly PluginCapability[]): string | undefined {
  const provides = manifest?.provides ?? [];
  if (provides.length === 0 || provides.some((capability) => needs.includes(capability))) return undefined;
  return `its manifest provides ${provides.join(', ')}, and only ${needs.join(', ')} was needed; not imported`;
}

async function importPlugin(located: Located): Promise<Plugin> {
  const path = located.path as string;
  const file = statSync(path).isFile() ? path : packageEntry(path);
  const mod = await importModule(pathToFileURL(file).href);
  // ESM default export, CJS module.exports, or CJS transpiled from ESM (exports.default).
  let plugin: unknown = mod.default ?? mod;
  if (!isPlugin(plugin) && plugin !== null && typeof plugin === 'object' && 'default' in plugin) {
    plugin = (plugin as { default: unknown }).default;
  }
  const problem = pluginShapeProblem(plugin);
  if (problem !== undefined) {
    throw new CascadenceError(ErrorCode.PLUGIN_LOAD, `its default export is not a plugin: ${problem}`);
  }
  return plugin as Plugin;
}

/** The file `import(packageName)` would load, from `exports` (conditions node/import/default) or `main`. */
function packageEntry(dir: string): string {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { exports?: unknown; main?: string };
  let target: string | undefined;
  if (pkg.exports !== undefined) {
    const exp = pkg.exports;
    const root =
      typeof exp === 'object' && exp !== null && !Array.isArray(exp) && Object.keys(exp).some((k) => k.startsWith('.'))
        ? (exp as Record<string, unknown>)['.']
        : exp;
    target = pickExport(root, ['node', 'import', 'default']) ?? pickExport(root, ['require']);
    if (target === undefined) throw new CascadenceError(ErrorCode.PLUGIN_LOAD, `its package.json "exports" has no "." entry for import`);
  }
  const base = join(dir, target ?? pkg.main ?? 'index.js');
  for (const file of [base, `${base}.js`, `${base}.mjs`, `${base}.cjs`, join(base, 'index.js')]) {
    if (existsSync(file) && statSync(file).isFile()) return file;
  }
  throw new CascadenceError(ErrorCode.PLUGIN_LOAD, `its entry file ${base} does not exist (is the package built?)`);
}

function pickExport(value: unknown, conditions: string[]): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = pickExport(item, conditions);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, nested] of Object.entries(value)) {
    if (conditions.includes(key) || key === 'default') {
      const found = pickExport(nested, conditions);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/**
 * Registers what the plugin provides. A name another plugin already provides is taken from both
 * (using it raises the conflict error, which names both packages); the rest still registers.
 */
function register(registry: Registry, plugin: Plugin, source: string): CascadenceError | undefined {
  const conflicts: Array<{ kind: 'task' | 'processor' | 'backend'; name: string; other: string }> = [];
  const claim = (kind: 'task' | 'processor' | 'backend', name: string, add: () => void): void => {
    const other = registry.sourceOf(kind, name);
    if (other !== undefined && other !== source) conflicts.push({ kind, name, other });
    else add();
  };
  for (const task of [...(plugin.tasks ?? []), ...(plugin.flows ?? [])]) claim('task', task.name, () => registry.add(task, source));
  for (const processor of plugin.processors ?? []) claim('processor', processor.name, () => registry.addProcessor(processor, source));
  for (const backend of plugin.backends ?? []) claim('backend', backend.name, () => registry.addBackend(backend, source));
  if (conflicts.length === 0) return undefined;
  const error = new CascadenceError(
    ErrorCode.PLUGIN_CONFLICT,
    conflicts.map((c) => `${c.kind} "${c.name}" is provided by both ${c.other} and ${source}`).join('; '),
    { suggestions: ['deny one of the two plugins in the config (plugins.deny)'], details: { conflicts } },
  );
  for (const c of conflicts) registry.markConflict(c.kind, c.name, error);
  return error;
}

/** The message of anything thrown; never throws itself (a revoked Proxy, a hostile toString or getter). */
function thrownMessage(thrown: unknown): string {
  try {
    const message = toError(thrown).message;
    if (typeof message === 'string') return message;
  } catch {
    // a hostile message getter: fall through
  }
  return 'a value that throws when inspected was thrown';
}

function asLoadError(plugin: string, path: string | undefined, thrown: unknown): CascadenceError {
  if (CascadenceError.isInstance(thrown, ErrorCode.PLUGIN_CONFLICT)) return thrown;
  const cause = thrownMessage(thrown);
  const ours = CascadenceError.isInstance(thrown);
  const already = CascadenceError.isInstance(thrown, ErrorCode.PLUGIN_LOAD) && cause.startsWith(`plugin ${plugin} `);
  const where = path === undefined ? '' : ` (${path})`;
  let suggestions: string[] = [];
  try {
    if (ours && Array.isArray(thrown.suggestions)) suggestions = thrown.suggestions;
  } catch {
    suggestions = [];
  }
  return new CascadenceError(ErrorCode.PLUGIN_LOAD, already ? cause : `plugin ${plugin}${where} failed to load: ${cause}`, {
    cause: thrown,
    suggestions,
    details: { plugin, path },
  });
}

/** Runs one load step (import or setup) under the deadline, with the watchdog told who is loading. */
async function withDeadline<T>(
  step: () => Promise<T>,
  timeoutMs: number,
  plugin: string,
  what: string,
  watchdog: LoadWatchdog | undefined,
  path: string | undefined,
): Promise<T> {
  watchdog?.loading(`plugin ${plugin}${path === undefined ? '' : ` (${path})`}, its ${what}`);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const work = step();
    if (timeoutMs === 0) return await work;
    // Settling after the deadline must not become an unhandled rejection.
    work.catch(() => {});
    // The timer also keeps the event loop alive: a top-level await that never settles no longer
    // lets Node exit (code 13) in the middle of loading with nothing printed.
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          new CascadenceError(
            ErrorCode.PLUGIN_LOAD,
            `its ${what} did not finish within ${timeoutMs} ms (plugins.loadTimeoutMs); it was left behind`,
            {
              suggestions: ['fix or deny the plugin (plugins.deny), or raise plugins.loadTimeoutMs'],
              details: { plugin, timeoutMs },
            },
          ),
        );
      }, timeoutMs);
    });
    return await Promise.race([work, deadline]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    watchdog?.idle();
  }
}

function warnOnce(problem: PluginProblem): void {
  console.warn(`cascadence: warning: ${sanitizeForTerminal(problem.error.message)}`);
}
