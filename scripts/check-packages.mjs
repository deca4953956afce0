#!/usr/bin/env node
// Lint every publishable package (packages/*, plugins/*; "private": true is skipped) the
// way it will be published: publint + @arethetypeswrong/cli against its tarball.
//
//   node scripts/check-packages.mjs                    # all publishable packages
//   node scripts/check-packages.mjs @cascadence/core   # only the ones named
//
// Run it after `pnpm run build` (`pnpm run ci` does). Packages are checked one after
// another; one line is printed per package and, at the end, a summary of every problem.
// Exit code 1 when any check fails.
//
// Why a pnpm-packed tarball instead of `publint --pack npm` / `attw --pack <dir>`:
// both of those run `npm pack`, which neither rewrites `workspace:^` ranges nor applies
// `publishConfig` overrides, so it is not what `pnpm publish -r` uploads. publint's own
// default (`--pack auto`) would spawn a global pnpm, which this repo does not have. So each
// package is packed once with `npx -y pnpm@12.4.2 pack` and both tools read that tarball.
//
// attw profile (chosen per package, from its package.json):
// - ESM-only packages (no `require` condition, no .cjs / CommonJS `main`) use
//   `--profile esm-only`: node10 and node16-from-CJS resolution failures are expected there,
//   a `require()` consumer is told to use `import()`.
// - Dual ESM + CJS packages (what DESIGN.md asks of every package) keep the default
//   `strict` profile, node10 included. We deliberately do NOT fall back to `--profile node16`:
//   these packages ship top-level `main`/`types` precisely so that TypeScript's legacy
//   `moduleResolution: "node"` (node10) consumers resolve them, and tsup's output passes it.
//   If a future package adds subpath exports, node10 cannot see them without `typesVersions`;
//   that is a real problem for those users and is reported rather than hidden.
// attw exits 0 for a package with no type declarations at all; DESIGN.md requires `.d.ts`
// for every package, so that is reported as a failure here.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { discoverPackages, hasCjsBuild, indent, notBuiltHint, pnpmPack, repoRoot, run, selectPackages } from './lib/workspace.mjs';

const bin = (name) => path.join(repoRoot, 'node_modules', '.bin', name);

// attw's profiles (node_modules/@arethetypeswrong/cli/dist/profiles.js): the resolutions
// each one ignores. Its JSON output lists ignored problems too, so we filter them the same way.
const IGNORED_RESOLUTIONS = { strict: [], node16: ['node10'], 'esm-only': ['node10', 'node16-cjs'] };

function runPublint(tarball) {
  // --strict: publint warnings (types condition not first, file not published, bin not
  // executable, ...) break consumers, so they fail the check; suggestions are only counted.
  const res = run(bin('publint'), ['run', '--strict', tarball], { env: { ...process.env, NO_COLOR: '1' } });
  const suggestions = (res.output.match(/^Suggestions:\n((?:\d+\. .*\n?)+)/m)?.[1] ?? '')
    .split('\n')
    .filter((l) => /^\d+\. /.test(l)).length;
  if (res.ok) return { ok: true, note: suggestions ? `publint ok (${suggestions} suggestion${suggestions > 1 ? 's' : ''})` : 'publint ok' };
  const body = res.output
    .split('\n')
    .filter((l) => !/^(Running publint|Unpacking tarball|Linting\.\.\.)/.test(l))
    .join('\n')
    .trim();
  return { ok: false, note: 'publint FAILED', detail: `publint:\n${indent(body || `exit ${res.status}`, '  ')}` };
}

function runAttw(tarball, profile, workDir) {
  // JSON goes to a file: attw writes it with a stream and then calls process.exit(), which
  // can cut it short on a pipe. cwd is the scratch dir so no stray .attw.json is picked up.
  const jsonPath = path.join(workDir, 'attw.json');
  const fd = openSync(jsonPath, 'w');
  let res;
  try {
    res = run(bin('attw'), ['--format', 'json', '--profile', profile, tarball], {
      cwd: workDir,
      stdio: ['ignore', fd, 'pipe'],
    });
  } finally {
    closeSync(fd);
  }
  let result = null;
  try {
    result = JSON.parse(readFileSync(jsonPath, 'utf8'));
  } catch {
    // fall through: reported below with attw's stderr
  }
  if (!result) {
    return { ok: false, note: 'attw FAILED', detail: `attw (exit ${res.status}):\n${indent(res.output || 'no output', '  ')}` };
  }
  if (!result.analysis?.types) {
    return { ok: false, note: 'attw FAILED', detail: 'attw: the package ships no type declarations (.d.ts)' };
  }
  const all = Array.isArray(result.problems) ? result.problems : Object.values(result.problems ?? {}).flat();
  const ignored = IGNORED_RESOLUTIONS[profile];
  const problems = all.filter((p) => !p.resolutionKind || !ignored.includes(p.resolutionKind));
  if (res.ok && problems.length === 0) return { ok: true, note: `attw ok (${profile})` };
  const lines = problems.map(
    (p) =>
      `${p.kind}: entrypoint "${p.entrypoint ?? '.'}"${p.resolutionKind ? `, ${p.resolutionKind} resolution` : ''}` +
      ` (https://github.com/arethetypeswrong/arethetypeswrong.github.io/blob/main/docs/problems/${p.kind}.md)`,
  );
  if (lines.length === 0) lines.push(`exit ${res.status}${res.stderr ? `: ${res.stderr.trim()}` : ''}`);
  return { ok: false, note: `attw FAILED (${profile})`, detail: `attw --profile ${profile}:\n${indent(lines.join('\n'), '  ')}` };
}

function main() {
  const names = process.argv.slice(2);
  const packages = selectPackages(discoverPackages(), names);
  if (packages.length === 0) {
    console.error('check-packages: no publishable package found under packages/* or plugins/*');
    return 1;
  }
  for (const tool of ['publint', 'attw']) {
    const r = run(bin(tool), ['--version']);
    if (!r.ok) {
      console.error(`check-packages: ${bin(tool)} is missing or broken; run npx -y pnpm@12.4.2 install first\n${r.output}`);
      return 1;
    }
  }

  const failures = [];
  const width = Math.max(...packages.map((p) => p.name.length));
  for (const p of packages) {
    const label = p.name.padEnd(width);
    const hint = notBuiltHint(p);
    if (hint) {
      console.log(`FAIL ${label}  ${hint}`);
      failures.push({ name: p.name, rel: p.rel, details: [hint] });
      continue;
    }
    const workDir = mkdtempSync(path.join(os.tmpdir(), 'cascadence-check-'));
    try {
      let tarball;
      try {
        tarball = pnpmPack(p, path.join(workDir, 'pack'));
      } catch (err) {
        console.log(`FAIL ${label}  pnpm pack failed`);
        failures.push({ name: p.name, rel: p.rel, details: [err.message] });
        continue;
      }
      const profile = hasCjsBuild(p.pkg) ? 'strict' : 'esm-only';
      const checks = [runPublint(tarball), runAttw(tarball, profile, workDir)];
      const ok = checks.every((c) => c.ok);
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${label}  ${checks.map((c) => c.note).join(', ')}`);
      if (!ok) failures.push({ name: p.name, rel: p.rel, details: checks.filter((c) => !c.ok).map((c) => c.detail) });
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  }

  if (failures.length > 0) {
    console.error(`\ncheck-packages: ${failures.length} of ${packages.length} package(s) failed:`);
    for (const f of failures) {
      console.error(`\n${f.name} (${f.rel})`);
      for (const d of f.details) console.error(indent(d, '  '));
    }
    return 1;
  }
  console.log(`\ncheck-packages: ${packages.length} package(s) passed publint and attw`);
  return 0;
}

try {
  process.exitCode = main();
} catch (err) {
  console.error(`check-packages: ${err.message}`);
  process.exitCode = 1;
}
