import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { CascadenceError, ErrorCode } from './errors';
import { compareNames } from './name-order';
import { pathTrustProblem } from './path-trust';
import { isPlugin, pluginShapeProblem, SUPPORTED_PLUGIN_API_VERSIONS, type Plugin, type PluginManifest } from './plugin';
import { isPluginPackageName, isValidPackageName, looksLikePluginPackageName, normalizePluginName } from './plugin-name';
import type { LoadPluginsOptions, SkippedPlugin } from './plugin-loader';

// Finding plugins without importing them: which names the project's package.json and the config
// give, where each package is (and whether that place is trusted), and what its manifest says.

export interface Candidate {
  name: string;
  origin: 'dependency' | 'config';
  object?: Plugin;
  /** Why the entry is refused before anything is looked up (e.g. not a valid package name). */
  invalid?: string;
}

export interface Located {
  candidate: Candidate;
  path: string | undefined;
  manifest: PluginManifest | undefined;
  version: string | undefined;
  /** Why the manifest rules this plugin out (checked before any of its code is imported). */
  manifestProblem?: string;
}

export function collectCandidates(
  projectDir: string,
  options: LoadPluginsOptions,
  denied: Set<string>,
  skipped: SkippedPlugin[],
): Candidate[] {
  const byName = new Map<string, Candidate>();
  const deny = (name: string): boolean => {
    if (!denied.has(name)) return false;
    skipped.push({ plugin: name, path: undefined, reason: 'denied by the config' });
    return true;
  };
  if (options.discover !== false) {
    const pkg = readProjectPackage(projectDir);
    const production = options.production ?? process.env.NODE_ENV === 'production';
    const fields = ['dependencies', 'optionalDependencies', ...(production ? [] : ['devDependencies'])];
    for (const field of fields) {
      const deps = pkg?.[field];
      if (deps === null || typeof deps !== 'object') continue;
      for (const name of Object.keys(deps)) {
        if (byName.has(name) || deny(name)) continue;
        if (isPluginPackageName(name)) byName.set(name, { name, origin: 'dependency' });
        else if (looksLikePluginPackageName(name)) {
          byName.set(name, {
            name,
            origin: 'dependency',
            invalid: `the ${field} entry ${JSON.stringify(name)} in ${join(projectDir, 'package.json')} is not a valid npm package name; refused, nothing was imported`,
          });
        }
      }
    }
  }
  for (const entry of options.plugins ?? []) {
    if (typeof entry === 'string') {
      const name = normalizePluginName(entry);
      if (deny(name)) continue;
      const isPath = name.startsWith('.') || isAbsolute(name);
      byName.set(name, {
        name,
        origin: 'config',
        ...(isPath || isValidPackageName(name)
          ? {}
          : {
              invalid: `the config's plugin entry ${JSON.stringify(entry)} is neither a valid npm package name nor a path starting with "./"; refused, nothing was imported`,
            }),
      });
    } else if (isPlugin(entry)) {
      if (!deny(entry.name)) byName.set(entry.name, { name: entry.name, origin: 'config', object: entry });
    } else {
      throw new CascadenceError(
        ErrorCode.PLUGIN_LOAD,
        `a plugin listed in the config is not a name or plugin object: ${pluginShapeProblem(entry)}`,
      );
    }
  }
  return [...byName.values()].sort((a, b) => compareNames(a.name, b.name));
}

export function readProjectPackage(projectDir: string): Record<string, unknown> | undefined {
  const file = join(projectDir, 'package.json');
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new CascadenceError(ErrorCode.PLUGIN_LOAD, `cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
}

function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function declaredSpec(pkg: Record<string, unknown> | undefined, name: string): string | undefined {
  for (const field of ['dependencies', 'optionalDependencies', 'devDependencies']) {
    const deps = pkg?.[field];
    if (deps !== null && typeof deps === 'object' && typeof (deps as Record<string, unknown>)[name] === 'string')
      return (deps as Record<string, string>)[name];
  }
  return undefined;
}

/**
 * Finds the package the way Node does (node_modules here, then in each parent folder), or the
 * listed path. Its real path (symlinks followed) must stay inside the project, or inside the
 * node_modules folder it was found in; a package manager's link elsewhere (`file:`, `link:`,
 * `workspace:` dependencies, npm/pnpm workspaces) is accepted only when the target belongs to
 * this user (or root) and sits in no world-writable folder.
 */
export function locate(projectDir: string, candidate: Candidate, pkg: Record<string, unknown> | undefined): Located {
  const { name } = candidate;
  const realProject = realOrSelf(projectDir);
  if (name.startsWith('.') || isAbsolute(name)) {
    const path = resolve(projectDir, name);
    if (!isInside(path, projectDir)) {
      throw new CascadenceError(
        ErrorCode.PLUGIN_LOAD,
        `plugin path ${name} is outside the project ${projectDir}; only plugins inside the project are loaded`,
      );
    }
    if (!existsSync(path)) throw new CascadenceError(ErrorCode.PLUGIN_LOAD, `plugin path ${path} does not exist`);
    const real = realpathSync(path);
    if (!isInside(real, realProject)) {
      throw new CascadenceError(
        ErrorCode.PLUGIN_LOAD,
        `plugin path ${name} resolves (through a symbolic link) to ${real}, outside the project ${projectDir}; only plugins inside the project are loaded`,
      );
    }
    if (statSync(real).isFile()) return { candidate, path: real, manifest: undefined, version: undefined };
    return withManifest(candidate, real);
  }
  if (!isValidPackageName(name)) {
    throw new CascadenceError(ErrorCode.PLUGIN_LOAD, `${JSON.stringify(name)} is not a valid npm package name; refused`);
  }
  for (let dir = projectDir; ; dir = dirname(dir)) {
    const modules = join(dir, 'node_modules');
    const packageDir = join(modules, ...name.split('/'));
    if (existsSync(join(packageDir, 'package.json'))) {
      const real = realpathSync(packageDir);
      if (!isInside(real, realProject) && !isInside(real, realOrSelf(modules))) {
        const spec = declaredSpec(pkg, name);
        const problem = pathTrustProblem(real);
        if (problem !== undefined) {
          throw new CascadenceError(
            ErrorCode.PLUGIN_LOAD,
            `${packageDir} is a link to ${real}, outside the project and its node_modules, and ${problem}; refused, nothing was imported`,
            { details: { plugin: name, path: real, declared: spec } },
          );
        }
      }
      return withManifest(candidate, real);
    }
    if (dirname(dir) === dir) break;
  }
  const install = `npm install ${name}`;
  throw new CascadenceError(ErrorCode.PLUGIN_LOAD, `plugin ${name} is not installed in ${projectDir} (run: ${install})`, {
    suggestions: [install],
    details: { plugin: name, missing: true },
  });
}

function withManifest(candidate: Candidate, path: string): Located {
  const pkg = JSON.parse(readFileSync(join(path, 'package.json'), 'utf8')) as Record<string, unknown>;
  const raw = pkg.cascadence;
  const version = typeof pkg.version === 'string' ? pkg.version : undefined;
  if (raw === undefined) return { candidate, path, manifest: undefined, version };
  const manifest = raw as PluginManifest;
  if (raw === null || typeof raw !== 'object' || typeof manifest.apiVersion !== 'number') {
    return {
      candidate,
      path,
      manifest: { apiVersion: NaN, provides: [] },
      version,
      manifestProblem: 'its "cascadence" manifest has no numeric apiVersion',
    };
  }
  const checked = { ...manifest, provides: Array.isArray(manifest.provides) ? manifest.provides : [] };
  if (!SUPPORTED_PLUGIN_API_VERSIONS.includes(manifest.apiVersion)) {
    const supported = SUPPORTED_PLUGIN_API_VERSIONS.join(', ');
    return {
      candidate,
      path,
      manifest: checked,
      version,
      manifestProblem: `it declares plugin apiVersion ${manifest.apiVersion}, but this @cascadence/core supports ${supported}`,
    };
  }
  return { candidate, path, manifest: checked, version };
}
