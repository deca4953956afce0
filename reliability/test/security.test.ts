import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { defineFlow, Engine, Registry, silentLogger } from '@cascadence/core';
import { shell } from '@cascadence/plugin-shell';
import { MARKER_CODE, garbage } from './corpus';
import {
  childEnv,
  collect,
  diffTrees,
  exited,
  hashTree,
  mapLimit,
  packageDir,
  Project,
  report,
  sleep,
  spawnTask,
  withoutRunHistory,
} from './harness';

const rows: Array<Record<string, string | number>> = [];
afterAll(() => report('security', rows));

/** A plugin package's files: manifest + code that leaves a marker file in `markerDir` if it is ever imported. */
function markerPlugin(name: string, markerDir: string, options: { manifest?: boolean; task?: string } = {}): Record<string, string> {
  const task = options.task ?? `${name.replace(/[^a-z0-9]+/gi, '-')}-task`;
  return {
    'package.json': JSON.stringify({
      name,
      version: '1.0.0',
      type: 'module',
      main: 'index.js',
      ...(options.manifest === false ? {} : { cascadence: { apiVersion: 1, provides: ['task'], tasks: [task] } }),
    }),
    'index.js': `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(join(markerDir, `IMPORTED-${name.replace(/\//g, '__')}`))}, 'imported');\nexport default { name: ${JSON.stringify(name)}, apiVersion: 1, tasks: [{ kind: 'task', name: ${JSON.stringify(task)}, run: () => 'ran' }] };\n`,
  };
}

describe('plugin discovery loads only declared dependencies with a manifest', () => {
  it('undeclared, transitive, manifest-less, parent-folder and (in production) dev-only packages are never imported', async () => {
    // outer/ holds a node_modules of its own, outside the project; outer/project/ is the project.
    const outer = mkdtempSync(join(tmpdir(), 'cascadence-rel-outer-'));
    const markers = join(outer, 'markers');
    mkdirSync(markers);
    const dir = join(outer, 'project');
    const write = (base: string, files: Record<string, string>) => {
      for (const [path, content] of Object.entries(files)) {
        const file = join(base, path);
        mkdirSync(join(file, '..'), { recursive: true });
        writeFileSync(file, content);
      }
    };
    try {
      write(dir, {
        'package.json': JSON.stringify({
          name: 'secure-project',
          private: true,
          type: 'module',
          dependencies: {
            'cascadence-plugin-declared': '1.0.0',
            'cascadence-plugin-nomani': '1.0.0',
            'some-lib': '1.0.0',
            'cascadence-plugin-hoisted': '1.0.0',
          },
          devDependencies: { 'cascadence-plugin-devonly': '1.0.0' },
        }),
      });
      const nm = (name: string, files: Record<string, string>) => write(join(dir, 'node_modules', ...name.split('/')), files);
      nm('cascadence-plugin-declared', markerPlugin('cascadence-plugin-declared', markers, { task: 'declared-task' }));
      nm('cascadence-plugin-devonly', markerPlugin('cascadence-plugin-devonly', markers, { task: 'devonly-task' }));
      // Matches the name pattern and is declared, but has no manifest: not a plugin, never imported.
      nm('cascadence-plugin-nomani', markerPlugin('cascadence-plugin-nomani', markers, { manifest: false }));
      // Installed (with a manifest) but not declared by the project.
      nm('cascadence-plugin-undeclared', markerPlugin('cascadence-plugin-undeclared', markers));
      nm('@evil/cascadence-plugin', markerPlugin('@evil/cascadence-plugin', markers));
      nm('@evil/cascadence-plugin-x', markerPlugin('@evil/cascadence-plugin-x', markers));
      // Declared only by a dependency of the project (transitive).
      nm('some-lib', {
        'package.json': JSON.stringify({
          name: 'some-lib',
          version: '1.0.0',
          main: 'index.js',
          dependencies: { 'cascadence-plugin-transitive': '1.0.0' },
        }),
        'index.js': MARKER_CODE,
      });
      nm('cascadence-plugin-transitive', markerPlugin('cascadence-plugin-transitive', markers));
      // In a node_modules outside the project: one undeclared, one declared (hoisted, as workspaces do).
      write(join(outer, 'node_modules', 'cascadence-plugin-outside'), markerPlugin('cascadence-plugin-outside', markers));
      write(
        join(outer, 'node_modules', 'cascadence-plugin-hoisted'),
        markerPlugin('cascadence-plugin-hoisted', markers, { task: 'hoisted-task' }),
      );
      mkdirSync(join(dir, 'node_modules', '@cascadence'), { recursive: true });
      symlinkSync(packageDir('@cascadence/core'), join(dir, 'node_modules', '@cascadence', 'core'), 'dir');

      const before = hashTree(dir);
      const list = await collect(spawnTask(['list', '--json'], { cwd: dir }));
      expect({ code: list.code, stderr: list.stderr }).toEqual({ code: 0, stderr: '' });
      const names = (JSON.parse(list.stdout) as Array<{ name: string }>).map((e) => e.name).sort();
      expect(names).toEqual(['declared-task', 'devonly-task', 'example', 'hoisted-task']);
      expect(readdirSync(markers).sort()).toEqual([
        'IMPORTED-cascadence-plugin-declared',
        'IMPORTED-cascadence-plugin-devonly',
        'IMPORTED-cascadence-plugin-hoisted',
      ]);
      expect(diffTrees(before, hashTree(dir))).toEqual([]);

      // Production mode: devDependencies are not even looked at.
      rmSync(markers, { recursive: true });
      mkdirSync(markers);
      const production = await collect(spawnTask(['list', '--json'], { cwd: dir, env: { NODE_ENV: 'production' } }));
      expect(production.code).toBe(0);
      expect((JSON.parse(production.stdout) as Array<{ name: string }>).map((e) => e.name).sort()).toEqual([
        'declared-task',
        'example',
        'hoisted-task',
      ]);
      expect(readdirSync(markers).sort()).toEqual(['IMPORTED-cascadence-plugin-declared', 'IMPORTED-cascadence-plugin-hoisted']);

      // Running one of the never-loaded plugins' tasks is an unknown task; a config path outside the project is refused.
      rmSync(markers, { recursive: true });
      mkdirSync(markers);
      const undeclared = await collect(spawnTask(['run', 'cascadence-plugin-undeclared-task'], { cwd: dir }));
      expect(undeclared).toMatchObject({ code: 1, stderr: 'error: unknown task "cascadence-plugin-undeclared-task"\n' });
      write(dir, { 'cascadence.config.json': JSON.stringify({ plugins: ['../node_modules/cascadence-plugin-outside/index.js'] }) });
      const outside = await collect(spawnTask(['list'], { cwd: dir }));
      expect(outside.code).toBe(0);
      expect(outside.stderr).toMatch(
        /^warning: .*plugin path \.\.\/node_modules\/cascadence-plugin-outside\/index\.js is outside the project .*; only plugins inside the project are loaded\n$/,
      );
      const allowed = ['IMPORTED-cascadence-plugin-declared', 'IMPORTED-cascadence-plugin-devonly', 'IMPORTED-cascadence-plugin-hoisted'];
      expect(readdirSync(markers).filter((m) => !allowed.includes(m))).toEqual([]);
      rows.push({ check: 'plugin discovery', packagesPlanted: 9, loaded: 3, importedThatMustNot: 0 });
    } finally {
      rmSync(outer, { recursive: true, force: true });
    }
  });
});

// ------------------------------------------------------------------------------------------ metrics

/** Sends raw bytes; resolves with whatever the server answered before it closed (or `ms` passed). */
function raw(port: number, payload: string | Buffer, ms = 15_000): Promise<{ answer: string; closed: boolean; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ answer: Buffer.concat(chunks).toString('latin1'), closed, ms: Date.now() - started });
    };
    const timer = setTimeout(() => finish(false), ms);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    socket.write(payload);
  });
}

describe('the metrics server of task scheduler answers only its path and survives malformed HTTP', () => {
  it('404s every other path, 405s other methods, 400/431s garbage and huge headers, cuts slowloris clients off, and still scrapes', async () => {
    const project = new Project({
      'package.json': JSON.stringify({ name: 'metrics-project', private: true, type: 'module' }),
      'cascadence.config.mjs': `export default { tasks: ['./tasks.mjs'] };\n`,
      'tasks.mjs': `export const tick = { kind: 'task', name: 'tick', run: () => 'tick' };\n`,
      'schedules.yml': 'tick: "* * * * * *"\n',
    });
    const child = spawnTask(['scheduler', '--metrics-port', '0'], { cwd: project.dir });
    let out = '';
    let err = '';
    child.stdout?.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr?.setEncoding('utf8').on('data', (c: string) => (err += c));
    try {
      const deadline = Date.now() + 30_000;
      while (!/metrics at http:\/\/127\.0\.0\.1:(\d+)\/metrics/.test(out)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`scheduler did not start: ${out}${err}`);
        await sleep(50);
      }
      const port = Number(/metrics at http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(out)?.[1]);
      const url = `http://127.0.0.1:${port}/metrics`;
      const scrape = async () => {
        const response = await fetch(url);
        return { status: response.status, body: await response.text() };
      };
      expect((await scrape()).status).toBe(200);

      const request = (line: string, headers = 'Host: x\r\nConnection: close\r\n') => `${line}\r\n${headers}\r\n`;
      const cases: Array<[string, string | Buffer, RegExp]> = [
        ...[
          '/',
          '/metrics/',
          '/metricsx',
          '/metrics.txt',
          '//metrics',
          '/../metrics',
          '/%2e%2e/metrics',
          '/metrics%00',
          '/METRICS',
          '/other/metrics',
          `/${'a'.repeat(4000)}`,
        ].map((path): [string, string, RegExp] => [`GET ${path.slice(0, 30)}`, request(`GET ${path} HTTP/1.1`), /^HTTP\/1\.1 404 /]),
        ...['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE'].map((method): [string, string, RegExp] => [
          `${method} /metrics`,
          request(`${method} /metrics HTTP/1.1`, 'Host: x\r\nConnection: close\r\nContent-Length: 0\r\n'),
          /^HTTP\/1\.1 405 /,
        ]),
        ['CONNECT', request('CONNECT 127.0.0.1:22 HTTP/1.1'), /^HTTP\/1\.1 (400|404|405) |^$/],
        ['garbage 1 KiB', garbage(1024, 1), /^HTTP\/1\.1 400 |^$/],
        ['garbage 64 KiB', garbage(65536, 2), /^HTTP\/1\.1 (400|431) |^$/],
        ['TLS ClientHello', Buffer.from('16030100a5010000a10303' + '00'.repeat(150), 'hex'), /^HTTP\/1\.1 400 |^$/],
        ['not HTTP', 'HELLO WORLD\r\n\r\n', /^HTTP\/1\.1 400 /],
        ['HTTP/9.9', request('GET /metrics HTTP/9.9'), /^HTTP\/1\.1 (400|505) /],
        ['NUL in a header', request('GET /metrics HTTP/1.1', 'Host: x\r\nX-A: a\u0000b\r\n'), /^HTTP\/1\.1 400 /],
        ['header without colon', request('GET /metrics HTTP/1.1', 'Host: x\r\nnocolon\r\n'), /^HTTP\/1\.1 400 /],
        ['bad Content-Length', request('GET /metrics HTTP/1.1', 'Host: x\r\nContent-Length: -5\r\n'), /^HTTP\/1\.1 400 /],
        [
          'Content-Length and Transfer-Encoding (smuggling)',
          'POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /secret HTTP/1.1\r\n\r\n',
          /^HTTP\/1\.1 400 /,
        ],
        ['one 64 KiB header', request('GET /metrics HTTP/1.1', `Host: x\r\nX-Big: ${'a'.repeat(65536)}\r\n`), /^HTTP\/1\.1 431 /],
        [
          '3,000 small headers',
          request('GET /metrics HTTP/1.1', `Host: x\r\n${Array.from({ length: 3000 }, (_, i) => `X-H${i}: ${i}\r\n`).join('')}`),
          /^HTTP\/1\.1 431 /,
        ],
        ['request line of 100 KiB', request(`GET /${'m'.repeat(100_000)} HTTP/1.1`), /^HTTP\/1\.1 (414|431|400) /],
      ];
      const results = await mapLimit(cases, 8, async ([name, payload, expected]) => ({ name, expected, ...(await raw(port, payload)) }));
      const bad = results
        .filter((r) => !r.expected.test(r.answer) || !r.closed)
        .map((r) => `${r.name}: ${JSON.stringify(r.answer.slice(0, 80))} closed=${r.closed}`);
      expect(bad).toEqual([]);
      // Nothing but the metrics path ever shows metric data.
      expect(results.filter((r) => r.answer.includes('schedule_fires_total'))).toEqual([]);
      expect((await scrape()).status).toBe(200);

      // Slowloris: 50 connections, each sending a partial request and one more header line every second.
      const slowStarted = Date.now();
      const slow = Array.from({ length: 50 }, () => {
        const socket = connect(port, '127.0.0.1');
        socket.on('error', () => {});
        socket.resume(); // read what the server says, so its close reaches us
        socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\n');
        const drip = setInterval(() => socket.destroyed || socket.write(`X-Slow-${Date.now()}: 1\r\n`), 1000);
        return new Promise<number>((resolve) => socket.on('close', () => (clearInterval(drip), resolve(Date.now() - slowStarted))));
      });
      await sleep(2000);
      const during = await scrape(); // a normal scrape is not held up by them
      expect(during.status).toBe(200);
      let giveUp: ReturnType<typeof setTimeout> | undefined;
      const cutAfter = await Promise.race([
        Promise.all(slow),
        new Promise<number[]>((resolve) => (giveUp = setTimeout(() => resolve([]), 45_000))),
      ]);
      clearTimeout(giveUp);
      expect(cutAfter).toHaveLength(50);
      const slowest = Math.max(...cutAfter);
      // headersTimeout is 10 s; Node checks it every second (the metrics server's connectionsCheckingInterval).
      expect(slowest).toBeLessThan(15_000);

      const after = await scrape();
      expect(after.status).toBe(200);
      expect(after.body).toMatch(/^schedule_fires_total\{task="tick"\} \d+$/m);
      expect(child.exitCode).toBeNull();
      rows.push({
        check: 'metrics server',
        malformedRequests: cases.length,
        allAnsweredOrClosed: cases.length - bad.length,
        slowlorisClients: 50,
        slowlorisCutOffMaxMs: slowest,
        scrapesOk: 3,
      });
      child.kill('SIGTERM');
      expect(await exited(child)).toBe(0);
      expect(err).toBe('');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      project.remove();
    }
  }, 120_000);
});

// ------------------------------------------------------------------------------------------ shell

const HOSTILE_ARGS = [
  '$(touch marker-subst)',
  '`touch marker-backtick`',
  '; touch marker-semicolon',
  '&& touch marker-and',
  '| touch marker-pipe',
  '> marker-redirect',
  '*',
  '$HOME',
  "'quoted'",
  '"double"',
  'line\ntouch marker-newline',
];

describe('the shell processor with an argv runs no shell', () => {
  it('through the task binary: every argument reaches the program verbatim and nothing is executed', async () => {
    const yamlArgs = ['printf', '%s\\n', ...HOSTILE_ARGS].map((a) => JSON.stringify(a)).join(', ');
    const project = new Project({
      'package.json': JSON.stringify({
        name: 'shell-project',
        private: true,
        type: 'module',
        dependencies: { '@cascadence/plugin-shell': '0.1.0' },
      }),
      'flows/argv.yml': `name: argv\nsteps:\n  echo:\n    uses: shell\n    with:\n      args: [${yamlArgs}]\n      env: { INJECT: "$(touch marker-env)" }\n  env:\n    uses: shell\n    with:\n      args: [printenv, INJECT]\n      env: { INJECT: "$(touch marker-env)" }\n  program:\n    uses: shell\n    with:\n      args: ["touch marker-program; echo", x]\n    when: all-done\n    needs: [echo]\n  parent:\n    uses: shell\n    with:\n      args: [node, -e, "console.log(process.ppid)"]\n`,
    });
    project.link('@cascadence/core');
    project.link('@cascadence/plugin-shell');
    try {
      const before = hashTree(project.dir);
      const child = spawnTask(['run', 'argv', '--json'], { cwd: project.dir });
      const result = await collect(child);
      const run = JSON.parse(result.stdout) as {
        steps: Record<string, { status: string; output?: { stdout: string }; error?: { message: string } }>;
      };
      expect(run.steps.echo?.status).toBe('succeeded');
      expect(run.steps.echo?.output?.stdout).toBe(HOSTILE_ARGS.join('\n'));
      expect(run.steps.env?.output?.stdout).toBe('$(touch marker-env)');
      // A program name with shell syntax is looked up as a file name, not run through a shell.
      expect(run.steps.program?.status).toBe('failed');
      expect(run.steps.program?.error?.message).toMatch(/touch marker-program; echo/);
      // The program's parent is the task process itself: no shell in between.
      expect(Number(run.steps.parent?.output?.stdout)).toBe(child.pid);
      expect(readdirSync(project.dir).filter((n) => n.startsWith('marker'))).toEqual([]);
      expect(withoutRunHistory(diffTrees(before, hashTree(project.dir)))).toEqual([]);
      rows.push({ check: 'shell argv (CLI)', hostileArguments: HOSTILE_ARGS.length + 2, markersCreated: 0 });
    } finally {
      project.remove();
    }
  });

  it('through the API: the same arguments, in a temp folder as cwd, leave no marker', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cascadence-rel-shell-'));
    try {
      const engine = new Engine({ resolver: new Registry().addProcessor(shell), logger: silentLogger });
      const flow = defineFlow({
        name: 'argv-api',
        steps: Object.fromEntries(HOSTILE_ARGS.map((arg, i) => [`s${i}`, { uses: 'shell', with: { args: ['echo', arg], cwd: dir } }])),
      });
      const result = await engine.run(flow);
      expect(result.status).toBe('succeeded');
      HOSTILE_ARGS.forEach((arg, i) => expect((result.steps[`s${i}`]?.output as { stdout: string }).stdout).toBe(arg));
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ------------------------------------------------------------------------------------------ temporal secrets

const SECRET = `sk-reliability-${Math.random().toString(36).slice(2)}-${Date.now()}`;

/** Every form of the secret that could leak: as is, and base64 (gRPC metadata, Authorization headers). */
const secretForms = (secret: string): string[] => [
  secret,
  Buffer.from(secret).toString('base64'),
  Buffer.from(`Bearer ${secret}`).toString('base64'),
  secret.slice(0, 24),
];

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('secrets given to the Temporal connection never appear in errors or logs', () => {
  it('task run / task worker --backend temporal against a port with nothing listening (env, config, debug, --json)', async () => {
    const port = await closedPort();
    const project = new Project({
      'package.json': JSON.stringify({ name: 'secret-project', private: true, type: 'module' }),
      'cascadence.config.mjs': `export default { tasks: ['./tasks.mjs'] };\n`,
      'tasks.mjs': `export const x = { kind: 'task', name: 'x', run: () => 'x' };\n`,
    });
    const configProject = new Project({
      'package.json': JSON.stringify({ name: 'secret-project-2', private: true, type: 'module' }),
      'cascadence.config.json': JSON.stringify({
        tasks: ['./tasks.mjs'],
        backend: 'temporal',
        temporal: { address: `127.0.0.1:${port}`, apiKey: SECRET },
      }),
      'tasks.mjs': `export const x = { kind: 'task', name: 'x', run: () => 'x' };\n`,
    });
    try {
      const env = { TEMPORAL_API_KEY: SECRET, TEMPORAL_ADDRESS: `127.0.0.1:${port}` };
      const runs: Array<[string, Project, string[], NodeJS.ProcessEnv]> = [
        ['run (env)', project, ['run', 'x', '--backend', 'temporal'], env],
        ['run --json (env)', project, ['run', 'x', '--backend', 'temporal', '--json'], env],
        ['run with CASCADENCE_DEBUG=1 (stack printed)', project, ['run', 'x', '--backend', 'temporal'], { ...env, CASCADENCE_DEBUG: '1' }],
        ['run (config apiKey)', configProject, ['run', 'x'], { CASCADENCE_DEBUG: '1' }],
        ['worker (env)', project, ['worker'], { ...env, CASCADENCE_DEBUG: '1' }],
        ['scheduler (config apiKey)', configProject, ['scheduler'], { CASCADENCE_DEBUG: '1' }],
      ];
      const results = await mapLimit(runs, 3, async ([name, p, args, e]) => ({ name, result: await p.run(args, e, 60_000) }));
      for (const { name, result } of results) {
        const text = result.stdout + result.stderr;
        for (const form of secretForms(SECRET)) expect({ name, leaked: text.includes(form) }).toEqual({ name, leaked: false });
        if (name.startsWith('scheduler')) continue; // the scheduler only connects when a schedule fires
        expect({ name, code: result.code }).toEqual({ name, code: 1 });
        expect(result.stderr).toMatch(
          new RegExp(`error: cannot connect to Temporal at 127\\.0\\.0\\.1:${port} \\(namespace "default", TLS on\\)`),
        );
      }
      rows.push({ check: 'temporal apiKey (CLI)', commands: runs.length, leaks: 0 });
    } finally {
      project.remove();
      configProject.remove();
    }
  }, 120_000);

  it('the API: the error, its stack, cause chain, details, JSON and util.inspect hold no trace of the key', async () => {
    const port = await closedPort();
    const script = `
      const { TemporalBackend } = await import(${JSON.stringify(join(packageDir('@cascadence/temporal'), 'dist', 'index.js'))});
      const logs = [];
      for (const level of ['log', 'info', 'warn', 'error', 'debug']) console[level] = (...a) => logs.push(a.map(String).join(' '));
      const backend = new TemporalBackend({ address: '127.0.0.1:${port}', apiKey: ${JSON.stringify(SECRET)}, metadata: { authorization: 'Bearer ${SECRET}' }, taskQueue: 'q', connectTimeoutMs: 1500 });
      let error;
      try { await backend.run({ kind: 'task', name: 'x', run: () => 1 }); } catch (e) { error = e; }
      const { inspect } = await import('node:util');
      const causes = [];
      for (let c = error; c; c = c.cause) causes.push({ message: String(c.message), stack: String(c.stack), inspected: inspect(c, { depth: 10, showHidden: true }) });
      await backend.close?.();
      process.stdout.write(JSON.stringify({ code: error?.code, message: error?.message, json: JSON.stringify(error), details: JSON.stringify(error?.details), inspected: inspect(error, { depth: 20, showHidden: true }), causes, logs }));
    `;
    const result = await collect(
      spawn(process.execPath, ['--input-type=module', '-e', script], { env: childEnv() }),
      performance.now(),
      60_000,
    );
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout) as { code: string; message: string; causes: unknown[] };
    expect(out.code).toBe('CASCADENCE_TEMPORAL_CONNECT');
    expect(out.message).toMatch(new RegExp(`^cannot connect to Temporal at 127\\.0\\.0\\.1:${port} `));
    expect(out.causes.length).toBeGreaterThanOrEqual(1);
    const everything = result.stdout + result.stderr;
    for (const form of secretForms(SECRET)) expect(everything.includes(form)).toBe(false);
    // The check itself can fail: the secret does show up when it is put in the output on purpose.
    expect(inspect({ apiKey: SECRET }).includes(SECRET)).toBe(true);
    rows.push({ check: 'temporal apiKey (API)', causesChecked: out.causes.length, leaks: 0 });
  }, 60_000);
});
