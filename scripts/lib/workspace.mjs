// Shared helpers for scripts/check-packages.mjs and scripts/pack-smoke.mjs.
// No dependencies beyond Node: these scripts run before anything else is trusted.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The only way pnpm is invoked in this repo (see TOOLCHAIN.md: no global pnpm). */
export const PNPM = ['npx', '-y', 'pnpm@12.4.2'];

/** Folders whose direct children are publishable package candidates. */
export const PACKAGE_PARENTS = ['packages', 'plugins'];

/**
 * Every package under packages/* and plugins/*, discovered at run time (packages
 * are added over time), sorted by folder. Private packages are left out unless asked for.
 */
export function discoverPackages({ includePrivate = false } = {}) {
  const found = [];
  for (const parent of PACKAGE_PARENTS) {
    const parentDir = path.join(repoRoot, parent);
    if (!existsSync(parentDir)) continue;
    for (const entry of readdirSync(parentDir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const dir = path.join(parentDir, entry.name);
      const manifestPath = path.join(dir, 'package.json');
      if (!existsSync(manifestPath)) continue;
      let pkg;
      try {
        pkg = JSON.parse(readFileSync(manifestPath, 'utf8'));
      } catch (err) {
        throw new Error(`${path.relative(repoRoot, manifestPath)} is not valid JSON: ${err.message}`, { cause: err });
      }
      if (pkg.private === true && !includePrivate) continue;
      if (typeof pkg.name !== 'string' || pkg.name === '') {
        throw new Error(`${path.relative(repoRoot, manifestPath)} has no "name"`);
      }
      found.push({ name: pkg.name, dir, rel: path.relative(repoRoot, dir), pkg });
    }
  }
  return found.sort((a, b) => a.rel.localeCompare(b.rel));
}

/** Keep only the packages named on the command line (none named = all). */
export function selectPackages(all, names) {
  if (names.length === 0) return all;
  const unknown = names.filter((n) => !all.some((p) => p.name === n));
  if (unknown.length > 0) {
    throw new Error(`unknown or private package(s): ${unknown.join(', ')} (publishable: ${all.map((p) => p.name).join(', ') || 'none'})`);
  }
  return all.filter((p) => names.includes(p.name));
}

/** Run a command synchronously, capturing output. Never throws on a non-zero exit. */
export function run(cmd, args, opts = {}) {
  const res = spawnSync(cmd, args, {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...opts,
  });
  const output = [res.stdout, res.stderr].filter(Boolean).join('\n').trim();
  let status = res.status;
  if (res.error) status = status ?? -1;
  else if (res.signal) status = status ?? -1;
  return {
    status,
    ok: status === 0,
    stdout: res.stdout ?? '',
    stderr: res.stderr ?? '',
    output: res.error
      ? `${output}\n${res.error.code === 'ETIMEDOUT' ? 'timed out' : res.error.message}`.trim()
      : res.signal
        ? `${output}\nkilled by ${res.signal}`.trim()
        : output,
  };
}

/**
 * A hint when a package has a build script but nothing built yet: the checks would
 * otherwise fail with a wall of "file does not exist" messages.
 */
export function notBuiltHint({ dir, pkg }) {
  if (pkg.scripts?.build && !existsSync(path.join(dir, 'dist'))) {
    return 'no dist/ folder: build first (npx -y pnpm@12.4.2 run build)';
  }
  return null;
}

/**
 * Pack a package with pnpm (so `workspace:^` ranges become real version ranges and
 * publishConfig applies, exactly as `pnpm publish` would) into an empty folder of
 * its own, and return the tarball's path.
 */
export function pnpmPack({ dir, name }, destDir) {
  mkdirSync(destDir, { recursive: true });
  const res = run(PNPM[0], [...PNPM.slice(1), 'pack', '--pack-destination', destDir], { cwd: dir });
  if (!res.ok) {
    throw new Error(`pnpm pack failed for ${name}:\n${indent(res.output)}`);
  }
  const tarballs = readdirSync(destDir).filter((f) => f.endsWith('.tgz'));
  if (tarballs.length !== 1) {
    throw new Error(`pnpm pack for ${name} produced ${tarballs.length} tarballs in ${destDir}`);
  }
  const tarball = path.join(destDir, tarballs[0]);
  if (statSync(tarball).size === 0) throw new Error(`pnpm pack for ${name} produced an empty tarball`);
  return tarball;
}

function collectTargets(node, conditions, out) {
  if (typeof node === 'string') out.push({ target: node, conditions });
  else if (Array.isArray(node)) for (const n of node) collectTargets(n, conditions, out);
  else if (node && typeof node === 'object') {
    for (const [cond, n] of Object.entries(node)) collectTargets(n, [...conditions, cond], out);
  }
}

/**
 * The package's importable entry points as subpaths ('.', './foo'): the keys of the
 * exports map, minus patterns ('./*') and JSON files; '.' when there is only `main`.
 */
export function entrypoints(pkg) {
  const { exports } = pkg;
  if (exports === undefined || exports === null) return pkg.main ? ['.'] : [];
  if (typeof exports === 'string' || Array.isArray(exports)) return ['.'];
  const keys = Object.keys(exports);
  if (!keys.some((k) => k.startsWith('.'))) return ['.']; // a bare conditions object
  return keys.filter((k) => exports[k] !== null && !k.includes('*') && !k.endsWith('.json'));
}

/** Whether `require()` of this subpath reaches a CommonJS build. */
export function hasCjsEntry(pkg, subpath = '.') {
  const { exports } = pkg;
  const isCjsFile = (f) => f.endsWith('.cjs') || (f.endsWith('.js') && pkg.type !== 'module');
  if (exports === undefined || exports === null) {
    return subpath === '.' && typeof pkg.main === 'string' && isCjsFile(pkg.main);
  }
  let node = exports;
  if (typeof exports === 'object' && !Array.isArray(exports) && Object.keys(exports).some((k) => k.startsWith('.'))) {
    node = exports[subpath];
  } else if (subpath !== '.') {
    return false;
  }
  const targets = [];
  collectTargets(node, [], targets);
  return targets.some(
    ({ target, conditions }) =>
      !target.match(/\.d\.[cm]?ts$/) &&
      !conditions.includes('types') &&
      !conditions.includes('import') &&
      (conditions.includes('require') || isCjsFile(target)),
  );
}

/** Whether the package ships a CommonJS build for any entry point. */
export function hasCjsBuild(pkg) {
  const eps = entrypoints(pkg);
  return eps.some((ep) => hasCjsEntry(pkg, ep));
}

/** `bin` as a list of { name, file }, whether it is a string or an object. */
export function binEntries(pkg) {
  if (typeof pkg.bin === 'string') {
    return [{ name: pkg.name.replace(/^@[^/]+\//, ''), file: pkg.bin }];
  }
  if (pkg.bin && typeof pkg.bin === 'object') {
    return Object.entries(pkg.bin).map(([name, file]) => ({ name, file }));
  }
  return [];
}

export function indent(text, prefix = '    ') {
  return String(text)
    .split('\n')
    .map((l) => prefix + l)
    .join('\n');
}
