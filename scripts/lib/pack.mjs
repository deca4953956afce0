// Packing and installing this repository's packages the way users get them, shared by
// scripts/pack-smoke.mjs (check:pack) and scripts/create-smoke.mjs (check:create).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { indent, pnpmPack, run } from './workspace.mjs';

export const INSTALL_TIMEOUT_MS = 10 * 60_000;

/**
 * The environment for npm and node in a scratch project. When a script runs under `pnpm run`,
 * pnpm exports npm_package_*, npm_lifecycle_*, npm_config_local_prefix (the repo!) and other
 * settings meant for the repo's own scripts; drop those. Keep registry, auth, proxy, TLS and
 * cache settings so mirrors and CI caches keep working. `extra` is merged last.
 */
export function scratchEnv(extra = {}) {
  const keep =
    /^npm_config_(registry|.*:registry|\/\/.*|cache|userconfig|globalconfig|cafile|ca|cert|key|strict_ssl|proxy|https_proxy|http_proxy|noproxy|no_proxy|fetch_.*|prefer_offline|offline|loglevel)$/i;
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|pnpm_)/i.test(k) && !keep.test(k)) continue;
    if (k === 'PNPM_SCRIPT_SRC_DIR' || k === 'INIT_CWD') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

/**
 * `pnpm pack` each package (pnpm rewrites `workspace:^` to real ranges; `npm pack` would leave
 * them, and npm cannot install `workspace:` specs) into `<dir>/<name>/`. Returns a Map from
 * package name to tarball path. Throws naming the package that failed.
 */
export function packAll(packages, dir) {
  const tarballs = new Map();
  for (const p of packages) {
    try {
      tarballs.set(p.name, pnpmPack(p, path.join(dir, p.name.replace('/', '__'))));
    } catch (err) {
      throw new Error(`${p.name} (${p.rel}): ${err.message}`, { cause: err });
    }
  }
  return tarballs;
}

/**
 * `npm install --no-audit --no-fund <args>` in `projectDir`. Returns run()'s result.
 * Tarballs given here win over the registry for every package that depends on them.
 */
export function npmInstall(projectDir, args, env, { timeout = INSTALL_TIMEOUT_MS } = {}) {
  return run('npm', [...NPM_INSTALL, ...args], { cwd: projectDir, env, timeout });
}

/** The npm install command line both scripts use, before the packages. */
export const NPM_INSTALL = ['install', '--no-audit', '--no-fund', '--loglevel=error'];

/** A throwaway package.json in a new folder. */
export function scratchProject(projectDir, name) {
  mkdirSync(projectDir, { recursive: true });
  writeFileSync(
    path.join(projectDir, 'package.json'),
    `${JSON.stringify({ name, version: '0.0.0', private: true, description: 'throwaway' }, null, 2)}\n`,
  );
}

export { indent };

/**
 * Removes a scratch folder. `rm -rf` first: on trees of installed node_modules it is about ten
 * times faster than fs.rmSync; rmSync is the fallback (and what runs where there is no rm).
 */
export function removeTree(dir) {
  const res = run('rm', ['-rf', dir]);
  if (!res.ok) rmSync(dir, { recursive: true, force: true });
}
