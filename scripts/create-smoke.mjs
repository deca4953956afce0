#!/usr/bin/env node
// Generate projects and plugins with create-cascadence, install them with npm from this
// repository's packed tarballs, and run their own commands and tests — what a user does after
// `npm create cascadence@latest`.
//
//   node scripts/create-smoke.mjs                  # every variant
//   node scripts/create-smoke.mjs ts-all plugin    # only the ones named
//   CASCADENCE_KEEP_SMOKE_DIR=1 node scripts/create-smoke.mjs   # keep the temp dir to inspect
//
// Run it after `pnpm run build` (`pnpm run ci` does). Steps:
// 1. Pack every publishable package once (scripts/lib/pack.mjs, as check:pack does), into a
//    temp dir outside the repository.
// 2. For each variant, run the generator the way `npm create cascadence@latest DIR` does
//    (`npm exec --package=<create-cascadence tarball> -- create-cascadence DIR ...`); one variant
//    answers the questions in a real pseudo-terminal (util-linux `script`).
// 3. Check the generated package.json (its @cascadence/* ranges are this repository's versions),
//    then `npm install` the project with the @cascadence/* tarballs (the registry is never asked
//    for them; package.json is put back as generated afterwards). npm's cache is shared by all.
// 4. Run the project's own commands: `npx task run report`, `npx task run stats`, `npm test`
//    (node's test runner; the number of passed and skipped tests is checked), and for
//    TypeScript `npm run typecheck`; for the plugin: build, typecheck, test (jest), lint:package.
//
// Variants (each optional part is on in one variant and off in another, per language):
//   ts-all    TypeScript, every part (schedules, metrics, temporal, shell, http)
//   ts-none   TypeScript, no part
//   js-flags  JavaScript from flags: temporal + http
//   js-pty    JavaScript from answers typed into a terminal (folder, language, each part):
//             schedules + metrics + shell
//   plugin    a plugin package (TypeScript), --yes
// The Temporal test of a generated project needs a server and runs only with TEMPORAL_ADDRESS.
// TEMPORAL_ADDRESS is removed from the environment here, so in js-flags that test must be
// reported as skipped (what a user without a server sees). In ts-all it runs against a real
// Temporal dev server when a `temporal` binary is found ($TEMPORAL_BIN, as .ci/run exports, or
// PATH), and must pass; without a binary it must be skipped there too.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { discoverPackages, indent, notBuiltHint } from './lib/workspace.mjs';
import { INSTALL_TIMEOUT_MS, NPM_INSTALL, packAll, removeTree, scratchEnv } from './lib/pack.mjs';

const STEP_TIMEOUT_MS = 5 * 60_000;
const CONCURRENCY = Number(process.env.CASCADENCE_CREATE_SMOKE_CONCURRENCY ?? 2);
const PARTS = ['schedules', 'metrics', 'temporal', 'shell', 'http'];
const none = Object.fromEntries(PARTS.map((p) => [p, false]));

const VARIANTS = [
  {
    id: 'ts-all',
    kind: 'project',
    language: 'ts',
    args: ['--ts', '--all', '--yes'],
    parts: Object.fromEntries(PARTS.map((p) => [p, true])),
    temporalServer: true,
  },
  { id: 'ts-none', kind: 'project', language: 'ts', args: ['--ts', '--none', '--yes'], parts: none },
  {
    id: 'js-flags',
    kind: 'project',
    language: 'js',
    args: ['--js', '--none', '--temporal', '--http'],
    parts: { ...none, temporal: true, http: true },
  },
  {
    id: 'js-pty',
    kind: 'project',
    language: 'js',
    args: [],
    parts: { ...none, schedules: true, metrics: true, shell: true },
    // [what the generator asks, what is typed]
    answers: [
      [/Folder: \(cascadence-app\) $/, 'app-js-pty'],
      [/Language: TypeScript or JavaScript\? \[ts\/js\] \(ts\) $/, 'js'],
      [/Include cron schedules .*\? \(Y\/n\) $/, ''],
      [/Include Prometheus metrics .*\? \(y\/N\) $/, 'y'],
      [/Include Temporal.*\? \(y\/N\) $/, 'n'],
      [/Include shell steps .*\? \(y\/N\) $/, 'yes'],
      [/Include HTTP request steps .*\? \(y\/N\) $/, ''],
    ],
  },
  { id: 'plugin', kind: 'plugin', args: ['--plugin', '--yes'], dir: 'greet', name: 'cascadence-plugin-greet' },
];

/** Tests in a generated project's test file, by part: [passed, skipped]. */
function expectedTests(parts, temporalServer) {
  let pass = 4;
  let skip = 0;
  if (parts.schedules) pass += 1;
  if (parts.metrics) pass += 1;
  if (parts.temporal) {
    pass += temporalServer ? 2 : 1;
    skip += temporalServer ? 0 : 1;
  }
  if (parts.http) pass += 2;
  return { pass, skip };
}

class StepError extends Error {}

/** The Temporal CLI, if there is one: $TEMPORAL_BIN or `temporal` on PATH. */
function temporalBinary() {
  if (process.env.TEMPORAL_BIN && existsSync(process.env.TEMPORAL_BIN)) return process.env.TEMPORAL_BIN;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, 'temporal'))) return path.join(dir, 'temporal');
  }
  return undefined;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** `temporal server start-dev` on free loopback ports, in memory; resolves once it accepts connections. */
async function startTemporal(binary) {
  const [port, httpPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  const args = [
    'server',
    'start-dev',
    '--headless',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--http-port',
    String(httpPort),
    '--metrics-port',
    String(metricsPort),
    '--log-level',
    'error',
  ];
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const stop = () => {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    const up = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (up) return { address: `127.0.0.1:${port}`, stop };
    if (child.exitCode !== null || Date.now() > deadline) {
      stop();
      throw new StepError(`temporal server start-dev did not start:\n${indent(stderr || `exit ${child.exitCode}`, '  ')}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Like workspace.mjs's run(), without blocking: variants run side by side. */
function run(cmd, args, { cwd, env, timeout }) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeout);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      const output = [stdout, stderr].filter(Boolean).join('\n').trim();
      resolve({
        ok: status === 0,
        status: status ?? -1,
        stdout,
        stderr,
        output: timedOut ? `${output}\ntimed out after ${timeout / 1000}s` : signal ? `${output}\nkilled by ${signal}` : output,
      });
    });
  });
}

function must(res, what) {
  if (!res.ok) throw new StepError(`${what} exited ${res.status}:\n${indent(res.output || 'no output', '  ')}`);
  return res;
}

/** Runs the generator in a pseudo-terminal, answering each question when it is asked. */
function runInTerminal(command, cwd, env, answers, timeoutMs = 120_000) {
  return new Promise((resolve) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let transcript = '';
    let pending = transcript.length; // answers match only output printed after the previous answer
    let next = 0;
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      resolve({ ok: false, status: -1, output: `${transcript}\ntimed out waiting for: ${answers[next]?.[0] ?? 'exit'}` });
    }, timeoutMs);
    const onData = (chunk) => {
      transcript += chunk.toString('utf8');
      const answer = answers[next];
      // readline moves the cursor with escape sequences after each question: match without them
      const shown = transcript
        .slice(pending)
        .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
        .replace(/\r/g, '');
      if (answer && answer[0].test(shown)) {
        next += 1;
        pending = transcript.length;
        child.stdin.write(`${answer[1]}\r`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('close', (status) => {
      clearTimeout(timer);
      const unanswered = answers.slice(next).map((a) => String(a[0]));
      const ok = status === 0 && unanswered.length === 0;
      resolve({ ok, status, output: transcript + (unanswered.length ? `\nnever asked: ${unanswered.join(', ')}` : '') });
    });
  });
}

function workspaceDeps(pkg, byName) {
  return Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies }).filter((d) => byName.has(d));
}

async function checkVariant(v, ctx) {
  const { tmp, tarballs, byName, env } = ctx;
  const dirName = v.dir ?? `app-${v.id}`;
  const dir = path.join(tmp, dirName);
  const generator = `npm exec --yes --package=${tarballs.get('create-cascadence')} -- create-cascadence`;
  const timings = [];
  const timed = async (label, fn) => {
    const t0 = Date.now();
    const r = await fn();
    timings.push(`${label} ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    return r;
  };

  // 2. generate
  await timed('create', async () => {
    if (v.answers) {
      must(await runInTerminal(generator, tmp, env, v.answers), 'create-cascadence in a terminal');
    } else {
      must(
        await run('sh', ['-c', `${generator} ${dirName} ${v.args.join(' ')} </dev/null`], { cwd: tmp, env, timeout: STEP_TIMEOUT_MS }),
        'create-cascadence',
      );
    }
  });

  // 3. package.json as generated, then install
  const pkgFile = path.join(dir, 'package.json');
  const generated = readFileSync(pkgFile, 'utf8');
  const pkg = JSON.parse(generated);
  const expectedName = v.name ?? dirName;
  if (pkg.name !== expectedName) throw new StepError(`package.json name is ${pkg.name}, expected ${expectedName}`);
  const deps = { ...pkg.dependencies, ...pkg.devDependencies };
  const cascadence = Object.keys(deps).filter((d) => d.startsWith('@cascadence/'));
  for (const d of cascadence) {
    const want = `^${byName.get(d).pkg.version}`;
    if (deps[d] !== want) throw new StepError(`package.json: ${d} is ${deps[d]}, expected ${want} (this repository's version)`);
  }
  if (v.kind === 'project') {
    const want = ['@cascadence/cli', '@cascadence/core'];
    if (v.parts.metrics) want.push('@cascadence/metrics');
    if (v.parts.temporal) want.push('@cascadence/temporal');
    if (v.parts.shell) want.push('@cascadence/plugin-shell');
    if (v.parts.http) want.push('@cascadence/plugin-http');
    if (cascadence.sort().join() !== want.sort().join()) {
      throw new StepError(`package.json depends on ${cascadence.join(', ')}; expected ${want.join(', ')}`);
    }
    const files = ['schedules.yml', `flows/ping.yml`];
    if (existsSync(path.join(dir, 'schedules.yml')) !== v.parts.schedules)
      throw new StepError(`schedules.yml ${v.parts.schedules ? 'missing' : 'written without the part'}`);
    if (existsSync(path.join(dir, 'flows', 'ping.yml')) !== v.parts.http)
      throw new StepError(`flows/ping.yml ${v.parts.http ? 'missing' : 'written without the part'}`);
    void files;
    const config = `cascadence.config.${v.language}`;
    if (!existsSync(path.join(dir, config))) throw new StepError(`${config} missing`);
  }
  // Every @cascadence package the project needs, and theirs, from the tarballs.
  const closure = new Set();
  const visit = (name) => {
    if (closure.has(name)) return;
    closure.add(name);
    for (const d of workspaceDeps(byName.get(name).pkg, byName)) visit(d);
  };
  cascadence.forEach(visit);
  await timed('npm install', async () => {
    // --prefer-offline: what is in npm's cache is not revalidated with the registry (speed).
    const packages = [...closure].sort().map((n) => tarballs.get(n));
    const res = await run('npm', [...NPM_INSTALL, '--prefer-offline', ...(v.kind === 'plugin' ? ['--save-dev'] : []), ...packages], {
      cwd: dir,
      env,
      timeout: INSTALL_TIMEOUT_MS,
    });
    writeFileSync(pkgFile, generated); // as generated: the tarballs were only this test's registry
    must(res, 'npm install');
  });

  // 4. the project's own commands
  const sh = (label, command, check) =>
    timed(label, async () => {
      const res = must(await run('sh', ['-c', command], { cwd: dir, env, timeout: STEP_TIMEOUT_MS }), command);
      if (check) check(res);
    });
  if (v.kind === 'project') {
    await sh('task run report', 'npx task run report', (r) => {
      if (!/report succeeded/.test(r.stdout))
        throw new StepError(`npx task run report did not say "report succeeded":\n${indent(r.output, '  ')}`);
    });
    await sh('task run stats', 'npx task run stats --json', (r) => {
      const out = JSON.parse(r.stdout);
      if (out.status !== 'succeeded' || JSON.stringify(out.steps.summary.output) !== '{"count":5,"total":15,"mean":3}') {
        throw new StepError(`npx task run stats: unexpected result ${r.stdout}`);
      }
    });
    if (v.language === 'ts') await sh('typecheck', 'npm run typecheck');
    const binary = v.temporalServer && v.parts.temporal ? temporalBinary() : undefined;
    const { pass, skip } = expectedTests(v.parts, binary !== undefined);
    const server = binary ? await timed('temporal dev server', () => startTemporal(binary)) : undefined;
    try {
      await sh(
        server ? 'npm test (with Temporal)' : 'npm test',
        server ? `TEMPORAL_ADDRESS=${server.address} npm test` : 'npm test',
        (r) => {
          const count = (key) => Number(new RegExp(`^# ${key} (\\d+)$`, 'm').exec(r.stdout)?.[1] ?? NaN);
          if (count('pass') !== pass || count('skipped') !== skip || count('fail') !== 0) {
            throw new StepError(`npm test: expected ${pass} passed and ${skip} skipped, got:\n${indent(r.output, '  ')}`);
          }
        },
      );
    } finally {
      server?.stop();
    }
  } else {
    await sh('build', 'npm run build');
    await sh('typecheck', 'npm run typecheck');
    await sh('npm test', 'npm test', (r) => {
      const m = /^Tests:\s+(\d+) passed, (\d+) total$/m.exec(r.stderr);
      if (!m || m[1] !== m[2] || Number(m[1]) < 8) throw new StepError(`npm test: expected every test to pass:\n${indent(r.output, '  ')}`);
    });
    await sh('lint:package', 'npm run lint:package');
  }
  return timings;
}

async function main() {
  const names = process.argv.slice(2);
  const unknown = names.filter((n) => !VARIANTS.some((v) => v.id === n));
  if (unknown.length) {
    console.error(`create-smoke: unknown variant(s) ${unknown.join(', ')} (known: ${VARIANTS.map((v) => v.id).join(', ')})`);
    return 1;
  }
  const variants = names.length ? VARIANTS.filter((v) => names.includes(v.id)) : VARIANTS;
  const packages = discoverPackages();
  const unbuilt = packages.map((p) => [p, notBuiltHint(p)]).filter(([, h]) => h);
  if (unbuilt.length > 0) {
    for (const [p, h] of unbuilt) console.error(`create-smoke: ${p.name}: ${h}`);
    return 1;
  }
  const byName = new Map(packages.map((p) => [p.name, p]));
  if (!byName.has('create-cascadence')) {
    console.error('create-smoke: packages/create-cascadence not found');
    return 1;
  }
  const keep = process.env.CASCADENCE_KEEP_SMOKE_DIR === '1';
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'cascadence-create-smoke-'));
  const cleanup = () => {
    if (keep) console.log(`create-smoke: kept ${tmp}`);
    else {
      const t0 = Date.now();
      removeTree(tmp);
      console.log(`create-smoke: removed the scratch folder (${((Date.now() - t0) / 1000).toFixed(0)}s)`);
    }
  };
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, () => {
      cleanup();
      process.exit(128 + os.constants.signals[sig]);
    });
  }
  const started = Date.now();
  try {
    let tarballs;
    try {
      tarballs = packAll(packages, path.join(tmp, 'tarballs'));
    } catch (err) {
      console.error(`create-smoke: pack failed: ${err.message}`);
      return 1;
    }
    console.log(`create-smoke: packed ${tarballs.size} package(s) (${((Date.now() - started) / 1000).toFixed(0)}s)`);
    const env = scratchEnv({ NO_COLOR: '1', CI: 'true' });
    delete env.TEMPORAL_ADDRESS; // see the header: the Temporal test must skip
    // Two variants at a time: most of a variant is npm install, waiting on disk and network.
    const failures = [];
    const queue = [...variants];
    const removals = [];
    const worker = async () => {
      for (let v = queue.shift(); v !== undefined; v = queue.shift()) {
        const t0 = Date.now();
        try {
          const timings = await checkVariant(v, { tmp, tarballs, byName, env });
          console.log(`ok   ${v.id.padEnd(9)} ${((Date.now() - t0) / 1000).toFixed(0)}s (${timings.join(', ')})`);
        } catch (err) {
          console.log(`FAIL ${v.id.padEnd(9)} ${((Date.now() - t0) / 1000).toFixed(0)}s`);
          failures.push([v.id, err instanceof StepError ? err.message : err.stack]);
        }
        // Done with it: delete its node_modules (hundreds of MB) while the next variant works.
        if (!keep) removals.push(run('rm', ['-rf', path.join(tmp, v.dir ?? `app-${v.id}`)], { cwd: tmp, env, timeout: STEP_TIMEOUT_MS }));
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, variants.length) }, worker));
    await Promise.all(removals);
    if (failures.length > 0) {
      console.error(`\ncreate-smoke: ${failures.length} of ${variants.length} variant(s) failed:`);
      for (const [id, message] of failures) console.error(`\n${id}\n${indent(message, '  ')}`);
      return 1;
    }
    console.log(
      `\ncreate-smoke: ${variants.length} generated variant(s) install and pass their own tests (${((Date.now() - started) / 1000).toFixed(0)}s)`,
    );
    return 0;
  } finally {
    cleanup();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(`create-smoke: ${err.stack ?? err}`);
    process.exitCode = 1;
  },
);
