#!/usr/bin/env node
// Install every publishable package (packages/*, plugins/*; "private": true is skipped)
// from its tarball into a throwaway project and load it the way a user would.
//
//   node scripts/pack-smoke.mjs                    # all publishable packages
//   node scripts/pack-smoke.mjs @cascadence/core   # only the ones named
//   CASCADENCE_KEEP_SMOKE_DIR=1 node scripts/pack-smoke.mjs   # keep the temp dir to inspect
//
// Run it after `pnpm run build` (`pnpm run ci` does). Steps:
// 1. `npx -y pnpm@12.4.2 pack` each package (pnpm rewrites `workspace:^` to real ranges;
//    `npm pack` would leave them, and npm cannot install `workspace:` specs) into a temp dir
//    under os.tmpdir(), i.e. outside the repo, so nothing resolves through the workspace.
// 2. `npm install --no-audit --no-fund <all tarballs>` into a fresh project there. Packages
//    that depend on each other resolve to the local tarballs; third-party dependencies come
//    from the registry.
// 3. For each entry point of each package: `import()` it (ESM) and, when the package ships a
//    CommonJS build for it, `require()` it; each must load and expose at least one named
//    export (a plugin — a package with a "cascadence" manifest — may instead have only its
//    default export, the definePlugin() object).
// 4. For each `bin` entry: the file must start with a `#!` line, be linked in
//    node_modules/.bin, and `node <bin> --version` must exit 0.
// 5. When @cascadence/cli and @cascadence/temporal are among them and a temporal binary is found:
//    start a dev server, run `task worker` and `task run --backend temporal` from the install,
//    export the run's history with `temporal workflow show --output json`, and `task replay` it
//    (scripts/lib/temporal-smoke.mjs). No binary: skipped with a note (CI=true: a failure).
// 6. Node 22 and 24 (scripts/lib/node-runtimes.mjs; the npm registry ships them): the same install,
//    its native modules rebuilt for that runtime, loads every entry point (ESM), passes the use
//    probes, and runs `task --version` and `task run example`. CASCADENCE_SMOKE_NODES=none skips.
// Exit code 1 with a summary naming the package and the failed step.
import { accessSync, constants, existsSync, mkdtempSync, openSync, readSync, closeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { binEntries, discoverPackages, entrypoints, hasCjsEntry, indent, notBuiltHint, run, selectPackages } from './lib/workspace.mjs';
import { npmInstall, packAll, removeTree, scratchEnv, scratchProject } from './lib/pack.mjs';
import { checkTemporal } from './lib/temporal-smoke.mjs';
import { ensureNodeRuntime, runtimeEnv, smokeNodeVersions } from './lib/node-runtimes.mjs';

const NODE_TIMEOUT_MS = 60_000;

// The child prints one JSON line: export names, whether there is a default export.
const ESM_PROBE = `
const spec = process.argv[1];
const m = await import(spec);
const names = Object.keys(m).filter((k) => k !== 'default');
console.log(JSON.stringify({ names, hasDefault: m.default !== undefined }));
`;
const CJS_PROBE = `
const spec = process.argv[1];
const m = require(spec);
const names = m !== null && (typeof m === 'object' || typeof m === 'function')
  ? Object.keys(m).filter((k) => k !== 'default' && k !== '__esModule') : [];
console.log(JSON.stringify({ names, hasDefault: m != null && m.default !== undefined }));
`;

// Packages whose import alone proves too little: @cascadence/history's SQLite driver is a native
// module npm builds at install time, so the smoke test records a run into a real file and reads it.
const USE_PROBES = {
  '@cascadence/history': `
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineTask, Engine, silentLogger } from '@cascadence/core';
import { openHistory } from '@cascadence/history';
const history = await openHistory({ path: join(mkdtempSync(join(tmpdir(), 'smoke-history-')), 'history.db') });
const engine = new Engine({ logger: silentLogger });
history.record(engine);
const result = await engine.run(defineTask({ name: 'smoke', run: () => 42 }));
await history.flush();
const run = await history.run(result.runId);
await history.close();
if (run.status !== 'succeeded') throw new Error('recorded status ' + run.status);
console.log('recorded and read back a run in SQLite');
`,
  // The dashboard's front end ships as files in dist/web: serve the page and a script from the install.
  '@cascadence/ui': `
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openHistory } from '@cascadence/history';
import { startUiServer } from '@cascadence/ui';
const history = await openHistory({ path: join(mkdtempSync(join(tmpdir(), 'smoke-ui-')), 'history.db') });
const none = async () => [];
const server = await startUiServer({ history, port: 0, actions: { tasks: none, schedules: none, flowGraph: async () => undefined, canCancel: () => false } });
try {
  for (const path of ['/', '/assets/app.js', '/assets/graph.js', '/api/runs']) {
    const res = await fetch(server.url.replace(/\\/$/, '') + path);
    if (!res.ok) throw new Error('GET ' + path + ': ' + res.status);
  }
} finally {
  await server.close();
  await history.close();
}
console.log('served the dashboard page, its scripts and the runs API');
`,
};

function parseProbe(res) {
  const line = res.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line);
  } catch {
    return null;
  }
}

function firstLine(file) {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(256);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString('utf8').split('\n')[0];
  } finally {
    closeSync(fd);
  }
}

function checkPackage(p, projectDir, env, { node = process.execPath, cjs = true } = {}) {
  const problems = [];
  const notes = [];
  const isPlugin = p.pkg.cascadence !== undefined;
  const eps = entrypoints(p.pkg);
  const bins = binEntries(p.pkg);
  if (eps.length === 0 && bins.length === 0) problems.push('no entry point (no "exports" or "main") and no "bin"');

  for (const ep of eps) {
    const spec = ep === '.' ? p.name : `${p.name}/${ep.slice(2)}`;
    const modes = [['esm', ['--input-type=module', '-e', ESM_PROBE, spec]]];
    if (cjs && hasCjsEntry(p.pkg, ep)) modes.push(['cjs', ['-e', CJS_PROBE, spec]]);
    for (const [mode, args] of modes) {
      const res = run(node, args, { cwd: projectDir, env, timeout: NODE_TIMEOUT_MS });
      const probe = res.ok ? parseProbe(res) : null;
      if (!probe) {
        problems.push(`${mode === 'esm' ? 'import' : 'require'}('${spec}') failed:\n${indent(res.output || `exit ${res.status}`)}`);
        continue;
      }
      if (probe.names.length === 0 && !(isPlugin && probe.hasDefault)) {
        problems.push(
          `${mode === 'esm' ? 'import' : 'require'}('${spec}') has no named exports` + (isPlugin ? ' and no default export' : ''),
        );
        continue;
      }
      const n = probe.names.length;
      notes.push(`${mode}${ep === '.' ? '' : ` ${ep}`}: ${n} named export${n === 1 ? '' : 's'}${probe.hasDefault ? ' + default' : ''}`);
    }
    if (cjs && !hasCjsEntry(p.pkg, ep)) notes.push(`cjs${ep === '.' ? '' : ` ${ep}`}: none (ESM-only)`);
  }

  const useProbe = USE_PROBES[p.name];
  if (useProbe !== undefined) {
    const res = run(node, ['--input-type=module', '-e', useProbe], { cwd: projectDir, env, timeout: NODE_TIMEOUT_MS });
    if (res.ok) notes.push(res.stdout.trim().split('\n').pop());
    else problems.push(`using ${p.name} after npm install failed:\n${indent(res.output || `exit ${res.status}`)}`);
  }

  const installed = path.join(projectDir, 'node_modules', ...p.name.split('/'));
  for (const { name, file } of bins) {
    const binPath = path.join(installed, file);
    if (!existsSync(binPath)) {
      problems.push(`bin "${name}": ${file} is not in the tarball`);
      continue;
    }
    if (!firstLine(binPath).startsWith('#!')) {
      problems.push(`bin "${name}": ${file} has no #! line, so running "${name}" from a shell fails`);
    }
    const link = path.join(projectDir, 'node_modules', '.bin', name);
    try {
      accessSync(link, constants.X_OK);
    } catch {
      problems.push(`bin "${name}": node_modules/.bin/${name} is missing or not executable after npm install`);
    }
    const res = run(node, [binPath, '--version'], { cwd: projectDir, env, timeout: NODE_TIMEOUT_MS });
    if (!res.ok) {
      problems.push(`bin "${name}": node ${file} --version exited ${res.status}:\n${indent(res.output || 'no output')}`);
    } else {
      notes.push(`bin ${name} --version: ${res.stdout.trim().split('\n')[0] || '(no output)'}`);
    }
  }
  return { problems, notes };
}

// Native modules npm built for this process's Node; rebuilt for each other runtime in turn.
const NATIVE_MODULES = ['better-sqlite3'];

/** Step 6 for one runtime: its problems (empty when all passed). Rebuilds native modules in place. */
function checkRuntime(version, packages, projectDir, baseEnv) {
  let rt;
  try {
    rt = ensureNodeRuntime(version, baseEnv);
  } catch (err) {
    return [err.message];
  }
  const env = runtimeEnv(rt, baseEnv);
  const installed = NATIVE_MODULES.filter((m) => existsSync(path.join(projectDir, 'node_modules', m)));
  if (installed.length > 0) {
    const rebuild = run('npm', ['rebuild', '--loglevel=error', ...installed], { cwd: projectDir, env, timeout: 10 * 60_000 });
    if (!rebuild.ok) return [`npm rebuild ${installed.join(' ')} for Node ${version} failed:\n${indent(rebuild.output)}`];
  }
  const problems = [];
  for (const p of packages) {
    for (const problem of checkPackage(p, projectDir, env, { node: rt.node, cjs: false }).problems) problems.push(`${p.name}: ${problem}`);
  }
  const cli = packages.find((p) => p.name === '@cascadence/cli');
  const task = cli && binEntries(cli.pkg).find((b) => b.name === 'task');
  if (task !== undefined) {
    const bin = path.join(projectDir, 'node_modules', ...cli.name.split('/'), task.file);
    const res = run(rt.node, [bin, 'run', 'example'], { cwd: projectDir, env, timeout: NODE_TIMEOUT_MS });
    if (!res.ok) problems.push(`task run example exited ${res.status}:\n${indent(res.output || 'no output')}`);
  }
  return problems;
}

async function main() {
  const names = process.argv.slice(2);
  const packages = selectPackages(discoverPackages(), names);
  if (packages.length === 0) {
    console.error('pack-smoke: no publishable package found under packages/* or plugins/*');
    return 1;
  }
  const unbuilt = packages.map((p) => [p, notBuiltHint(p)]).filter(([, h]) => h);
  if (unbuilt.length > 0) {
    for (const [p, h] of unbuilt) console.error(`pack-smoke: ${p.name}: ${h}`);
    return 1;
  }

  const keep = process.env.CASCADENCE_KEEP_SMOKE_DIR === '1';
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'cascadence-pack-smoke-'));
  const cleanup = () => {
    if (keep) console.log(`pack-smoke: kept ${tmp}`);
    else removeTree(tmp);
  };
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, () => {
      cleanup();
      process.exit(128 + os.constants.signals[sig]);
    });
  }

  try {
    // 1. pack
    let tarballs;
    try {
      tarballs = [...packAll(packages, path.join(tmp, 'tarballs')).values()];
    } catch (err) {
      console.error(`pack-smoke: FAIL ${indent(err.message, '  ').trimStart()}`);
      return 1;
    }
    console.log(`pack-smoke: packed ${tarballs.length} package(s) with pnpm`);

    // 2. install into a scratch project
    const projectDir = path.join(tmp, 'project');
    scratchProject(projectDir, 'cascadence-pack-smoke');
    const env = scratchEnv();
    const install = npmInstall(projectDir, tarballs, env);
    if (!install.ok) {
      console.error(`pack-smoke: npm install of the tarballs failed (exit ${install.status}):\n${indent(install.output, '  ')}`);
      return 1;
    }
    console.log(`pack-smoke: installed them with npm into a scratch project (${os.tmpdir()})`);

    // 3 + 4. load each package, run its bins
    const failures = [];
    const width = Math.max(...packages.map((p) => p.name.length));
    for (const p of packages) {
      const { problems, notes } = checkPackage(p, projectDir, env);
      console.log(`${problems.length ? 'FAIL' : 'ok  '} ${p.name.padEnd(width)}  ${notes.join('; ')}`);
      if (problems.length) failures.push({ p, problems });
    }
    // 5. Temporal, used with Temporal's own tools from the npm install
    if (['@cascadence/cli', '@cascadence/temporal'].every((name) => packages.some((p) => p.name === name))) {
      const temporal = await checkTemporal(projectDir, env);
      if (temporal.skipped !== undefined) console.log(`skip Temporal replay check: ${temporal.skipped}`);
      else {
        console.log(`${temporal.problems.length ? 'FAIL' : 'ok  '} Temporal from the npm install  ${temporal.notes.join('; ')}`);
        if (temporal.problems.length)
          failures.push({
            p: { name: 'Temporal from the npm install', rel: 'scripts/lib/temporal-smoke.mjs' },
            problems: temporal.problems,
          });
      }
    }
    // 6. other Node majors, in the same install
    for (const version of smokeNodeVersions()) {
      const label = `Node ${version}`;
      const problems = checkRuntime(version, packages, projectDir, env);
      console.log(`${problems.length ? 'FAIL' : 'ok  '} ${label}: every package loads, task --version and task run example`);
      if (problems.length) failures.push({ p: { name: label, rel: 'scripts/lib/node-runtimes.mjs' }, problems });
    }
    if (failures.length > 0) {
      console.error(`\npack-smoke: ${failures.length} check(s) failed:`);
      for (const { p, problems } of failures) {
        console.error(`\n${p.name} (${p.rel})`);
        for (const pr of problems) console.error(indent(pr, '  '));
      }
      return 1;
    }
    console.log(`\npack-smoke: ${packages.length} package(s) install and load from their tarballs`);
    return 0;
  } finally {
    cleanup();
  }
}

try {
  process.exitCode = await main();
} catch (err) {
  console.error(`pack-smoke: ${err.message}`);
  process.exitCode = 1;
}
