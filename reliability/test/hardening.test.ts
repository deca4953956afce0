// Issue 13: security hardening, through the built `task` binary with real files, real plugin
// packages and real sockets. Each check failed on the code before the fix.
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliBin, childEnv, collect, FULL, Project, report, sleep, spawnTask } from './harness';
import { spawn } from 'node:child_process';

const rows: Array<Record<string, string | number>> = [];
afterAll(() => report('security hardening', rows));

const isRoot = process.getuid?.() === 0;

/** Waits until `text()` matches, the child exits, or `limitMs` passes (then throws with what was seen). */
async function waitFor(text: () => string, pattern: RegExp, alive: () => boolean, limitMs = 30_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const match = pattern.exec(text());
    if (match) return match;
    if (!alive() || Date.now() > deadline) throw new Error(`never saw ${pattern}:\n${text()}`);
    await sleep(25);
  }
}

function plugin(name: string, source: string, tasks: string[] = []): Record<string, string> {
  const dir = `node_modules/${name}`;
  return {
    [`${dir}/package.json`]: JSON.stringify({
      name,
      version: '1.0.0',
      type: 'module',
      main: 'index.js',
      cascadence: { apiVersion: 1, provides: ['task'], tasks },
    }),
    [`${dir}/index.js`]: source,
  };
}

describe('plugins that hang, block or throw hostile values (items 2, 3)', () => {
  it('a never-settling top-level await and setup(), and hostile throws, are reported by name; everything else works', async () => {
    const project = new Project({
      'package.json': JSON.stringify({
        name: 'p',
        private: true,
        type: 'module',
        dependencies: Object.fromEntries(['tla', 'setup', 'nullproto', 'revoked'].map((x) => [`cascadence-plugin-${x}`, '1.0.0'])),
      }),
      'cascadence.config.yaml': 'plugins:\n  loadTimeoutMs: 1000\n',
      ...plugin('cascadence-plugin-tla', 'await new Promise(() => {});\nexport default {};\n', ['tla-task']),
      ...plugin(
        'cascadence-plugin-setup',
        `export default { name: 'cascadence-plugin-setup', apiVersion: 1, setup: () => new Promise(() => {}) };\n`,
      ),
      ...plugin('cascadence-plugin-nullproto', 'throw Object.create(null);\n'),
      ...plugin(
        'cascadence-plugin-revoked',
        `export default { name: 'cascadence-plugin-revoked', apiVersion: 1, setup() { const p = Proxy.revocable({}, {}); p.revoke(); throw p.proxy; } };\n`,
      ),
    });
    try {
      const list = await project.run(['list']);
      expect(list.code).toBe(0);
      expect(list.stdout).toMatch(/^example /m);
      for (const name of ['tla', 'setup', 'nullproto', 'revoked']) {
        expect(list.stderr.match(new RegExp(`warning: plugin cascadence-plugin-${name} \\(`, 'g'))).toHaveLength(1);
      }
      expect(list.stderr).toMatch(/cascadence-plugin-tla .*its import did not finish within 1000 ms/);
      expect(list.stderr).toMatch(/cascadence-plugin-setup .*its setup\(\) did not finish within 1000 ms/);
      expect(list.stderr).not.toMatch(/Cannot convert object to primitive value/);
      const unrelated = await project.run(['run', 'example']);
      expect(unrelated.code).toBe(0);
      const needed = await project.run(['run', 'tla-task']);
      expect(needed.code).toBe(1);
      expect(needed.stderr).toMatch(/^error: .*cascadence-plugin-tla/m);
      rows.push({
        check: 'hanging/hostile plugins',
        list: `exit ${list.code}`,
        'run unrelated': `exit ${unrelated.code}`,
        'run its task': `exit ${needed.code}`,
      });
    } finally {
      project.remove();
    }
  });

  it('a plugin stuck in a busy loop: the process says which plugin it is, and Ctrl-C (SIGINT) stops it', async () => {
    const project = new Project({
      'package.json': JSON.stringify({ name: 'p', private: true, type: 'module', dependencies: { 'cascadence-plugin-busy': '1.0.0' } }),
      ...plugin('cascadence-plugin-busy', 'for (;;) {}\n'),
    });
    try {
      const child = spawnTask(['list'], { cwd: project.dir });
      let err = '';
      child.stderr?.setEncoding('utf8').on('data', (c: string) => (err += c));
      const started = performance.now();
      const result = collect(child, started, 60_000);
      await waitFor(
        () => err,
        /cascadence: plugin cascadence-plugin-busy \(.*cascadence-plugin-busy\), its import has blocked the process/,
        () => child.exitCode === null,
      );
      const warnedAfter = performance.now() - started;
      child.kill('SIGINT');
      const done = await result;
      expect(done.signal).toBe('SIGINT');
      expect(done.stderr).toMatch(/Press Ctrl-C to stop, then fix the plugin or deny it/);
      rows.push({
        check: 'busy-loop plugin',
        'warning after': `${(warnedAfter / 1000).toFixed(1)} s`,
        'Ctrl-C': done.signal ?? String(done.code),
      });
    } finally {
      project.remove();
    }
  });
});

describe('config discovery (item 4)', () => {
  it('never runs a config planted above the project in a shared world-writable folder, nor writes schedules there', async () => {
    const shared = mkdtempSync(join(tmpdir(), 'cascadence-rel-shared-'));
    chmodSync(shared, 0o1777);
    const marker = join(shared, 'PLANTED-CONFIG-RAN');
    const planted = join(shared, 'cascadence.config.mjs');
    writeFileSync(
      planted,
      `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'ran');\nexport default { tasks: [] };\n`,
    );
    if (isRoot) chownSync(planted, 65534, 65534);
    const project = join(shared, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'victim', private: true }));
    const bare = join(shared, 'bare'); // no package.json: the walk goes up to the shared folder
    mkdirSync(bare);
    const run = (args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) => collect(spawnTask(args, { cwd, env }));
    try {
      const list = await run(['list'], project);
      expect(list.code).toBe(0);
      const schedule = await run(['schedule', 'example', '0 * * * *'], project);
      expect(schedule.code).toBe(0);
      expect(existsSync(join(project, 'schedules.yml'))).toBe(true);
      expect(existsSync(join(shared, 'schedules.yml'))).toBe(false);
      const debug = await run(['list'], project, { CASCADENCE_DEBUG: '1' });
      expect(debug.stderr).toContain(`cascadence: no config file between ${project} and the project boundary ${project}`);

      const fromBare = await run(['list'], bare);
      expect(fromBare.code).toBe(0);
      expect(fromBare.stderr).toMatch(
        new RegExp(
          `warning: ignoring ${planted.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*(owned by another user|writable by every user).*use --config`,
        ),
      );
      expect(existsSync(marker)).toBe(false);

      // Named explicitly, the user's choice is respected.
      const explicit = await run(['list', '--config', planted], bare, { CASCADENCE_DEBUG: '1' });
      expect(explicit.code).toBe(0);
      expect(explicit.stderr).toContain(`cascadence: config ${planted} (from --config)`);
      expect(existsSync(marker)).toBe(true);
      rows.push({ check: 'config discovery', 'planted config run without --config': 'never', 'schedules.yml written to': 'the project' });
    } finally {
      rmSync(shared, { recursive: true, force: true });
    }
  });
});

/** The local addresses a TCP port listens on, from /proc/net/tcp and tcp6 (state 0A = LISTEN). */
function listenAddresses(port: number): string[] {
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (local === undefined || state !== '0A') continue;
      const [address, portHex] = local.split(':');
      if (parseInt(portHex ?? '', 16) === port) out.push(address ?? '');
    }
  }
  return out;
}

describe('metrics server address (item 5)', () => {
  it('task run --metrics-port listens on loopback only and prints that address; task scheduler honours metrics.host from the config', async () => {
    const project = new Project({
      'package.json': JSON.stringify({ name: 'p', private: true, type: 'module' }),
      'cascadence.config.mjs': `export default { tasks: ['./tasks.mjs'], metrics: { host: '127.0.0.2' } };\n`,
      'tasks.mjs': `import { existsSync } from 'node:fs';\nexport const wait = { kind: 'task', name: 'wait', run: async () => { while (!existsSync('go')) await new Promise((r) => setTimeout(r, 20)); return 'done'; } };\n`,
    });
    try {
      const runChild = spawnTask(['run', 'wait', '--metrics-port', '0', '--metrics-host', '127.0.0.1'], { cwd: project.dir });
      let err = '';
      runChild.stderr?.setEncoding('utf8').on('data', (c: string) => (err += c));
      const result = collect(runChild);
      const match = await waitFor(
        () => err,
        /metrics: http:\/\/([\d.]+):(\d+)\/metrics/,
        () => runChild.exitCode === null,
      );
      const addresses = listenAddresses(Number(match[2]));
      project.write('go', '');
      expect((await result).code).toBe(0);
      expect(match[1]).toBe('127.0.0.1');
      expect(addresses).toEqual(['0100007F']); // 127.0.0.1, and nothing on 0.0.0.0 or ::

      rmSync(project.path('go'));
      const sched = spawnTask(['scheduler', '--metrics-port', '0'], { cwd: project.dir });
      let out = '';
      sched.stdout?.setEncoding('utf8').on('data', (c: string) => (out += c));
      const done = collect(sched);
      const at = await waitFor(
        () => out,
        /metrics at http:\/\/([\d.]+):(\d+)\/metrics/,
        () => sched.exitCode === null,
      );
      const schedAddresses = listenAddresses(Number(at[2]));
      sched.kill('SIGTERM');
      expect((await done).code).toBe(0);
      expect(at[1]).toBe('127.0.0.2');
      expect(schedAddresses).toEqual(['0200007F']);
      rows.push({
        check: 'metrics bind',
        'task run': `${match[1]} (${addresses.join(',')})`,
        'task scheduler with metrics.host': `${at[1]} (${schedAddresses.join(',')})`,
      });
    } finally {
      project.remove();
    }
  });
});

function vmRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
}

describe('task scheduler while its metrics endpoint is abused (item 6)', () => {
  it('10,000 pipelined requests, hundreds of idle connections under a low fd limit: memory stays bounded, idle sockets are closed, schedules keep firing and saving state', async () => {
    const idleCount = FULL ? 1000 : 300;
    const project = new Project({
      'package.json': JSON.stringify({ name: 'p', private: true, type: 'module' }),
      'cascadence.config.mjs': `export default { tasks: ['./tasks.mjs'] };\n`,
      'tasks.mjs': `export const tick = { kind: 'task', name: 'tick', run: () => 'tick' };\n`,
      'schedules.yml': 'tick: "* * * * * *"\n',
    });
    // A file-descriptor limit of 256, as a small container or a default shell limit might have.
    const child = spawn('sh', ['-c', `ulimit -n 256 && exec "${process.execPath}" "${cliBin}" scheduler --metrics-port 0`], {
      cwd: project.dir,
      env: childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout?.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr?.setEncoding('utf8').on('data', (c: string) => (err += c));
    const done = collect(child, performance.now(), 240_000);
    const sockets: Socket[] = [];
    try {
      const at = await waitFor(
        () => out,
        /metrics at http:\/\/127\.0\.0\.1:(\d+)\/metrics/,
        () => child.exitCode === null,
      );
      const port = Number(at[1]);
      await waitFor(
        () => out,
        /tick succeeded/,
        () => child.exitCode === null,
      );
      const rssBefore = vmRssMb(child.pid!);

      // Pipelining: 10,000 requests in one write, answers never read.
      const pipelined = connect(port, '127.0.0.1');
      pipelined.on('error', () => {});
      pipelined.pause();
      await new Promise<void>((resolve) => pipelined.once('connect', () => resolve()));
      pipelined.write('GET /metrics HTTP/1.1\r\nhost: x\r\n\r\n'.repeat(10_000));
      let rssMax = rssBefore;
      const pipelinedClosed = new Promise<void>((resolve) => pipelined.once('close', () => resolve()));
      let closedFlag = false;
      void pipelinedClosed.then(() => (closedFlag = true));
      // The server closes the connection. A client that never reads notices only when it writes
      // again (the peer answers with a reset), so keep adding a request now and then, never reading.
      const guard = Date.now() + 90_000;
      while (!closedFlag) {
        rssMax = Math.max(rssMax, vmRssMb(child.pid!));
        await sleep(100);
        if (!pipelined.destroyed) pipelined.write('GET /metrics HTTP/1.1\r\nhost: x\r\n\r\n');
        if (child.exitCode !== null) throw new Error(`scheduler died: ${err}`);
        if (Date.now() > guard)
          throw new Error(`the server never closed the pipelining connection (${pipelined.bytesRead} bytes answered)`);
      }

      // Idle connections that never send a byte.
      const idleStart = performance.now();
      const closedAt: number[] = [];
      for (let i = 0; i < idleCount; i++) {
        const socket = connect(port, '127.0.0.1');
        socket.on('error', () => {});
        socket.on('close', () => closedAt.push(performance.now() - idleStart));
        socket.resume(); // reads (nothing ever comes) so that the server's close is noticed at once; sends nothing
        sockets.push(socket);
      }
      const firesBefore = (out.match(/tick succeeded/g) ?? []).length;
      await waitFor(
        () => String(closedAt.length),
        new RegExp(`^${idleCount}$`),
        () => child.exitCode === null,
        120_000,
      );
      const firesAfter = (out.match(/tick succeeded/g) ?? []).length;
      rssMax = Math.max(rssMax, vmRssMb(child.pid!));

      const scrape = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(scrape.status).toBe(200);
      expect(await scrape.text()).toMatch(/schedule_fires_total/);
      expect(firesAfter).toBeGreaterThan(firesBefore);
      const stateFile = project.path('.cascadence');
      expect(existsSync(stateFile)).toBe(true);
      expect(err).not.toMatch(/EMFILE/);
      closedAt.sort((a, b) => a - b);
      const refusedAtOnce = closedAt.filter((t) => t < 1000).length;
      rows.push({
        check: 'metrics abuse',
        'RSS before': `${rssBefore.toFixed(1)} MB`,
        'RSS max under attack': `${rssMax.toFixed(1)} MB`,
        'idle connections': idleCount,
        'closed at once (over the cap)': refusedAtOnce,
        'last idle closed after': `${(closedAt[closedAt.length - 1]! / 1000).toFixed(1)} s`,
        'fires during': firesAfter - firesBefore,
      });
      child.kill('SIGTERM');
      expect((await done).code).toBe(0);
    } finally {
      for (const socket of sockets) socket.destroy();
      if (child.exitCode === null) child.kill('SIGKILL');
      project.remove();
    }
  });
});

describe('terminal output (item 9)', () => {
  const ESC = '\u001b';
  it('descriptions, schedule keys, unknown names and a server error body reach the terminal escaped; --json stays exact', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`boom${ESC}]0;pwned${ESC}\\${ESC}[2J`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const description = `looks fine${ESC}[2J${ESC}]0;owned\u0007\nfake-task  task  enabled  forged row`;
    const project = new Project({
      'package.json': JSON.stringify({
        name: 'p',
        private: true,
        type: 'module',
        dependencies: { '@cascadence/plugin-http': 'workspace:*' },
      }),
      'flows/evil.json': JSON.stringify({
        name: 'evil',
        description,
        steps: { call: { uses: 'http', with: { url: `http://127.0.0.1:${port}/` } } },
      }),
      'schedules.yml': `"tick${ESC}[31m\\nforged": "* * * * *"\n`,
      'cascadence.config.mjs': `export default { tasks: ['./tasks.mjs'] };\n`,
      'tasks.mjs': `export const noisy = { kind: 'task', name: 'noisy', run: (ctx) => { ctx.log.warn('remote said: %s', ${JSON.stringify(`ok${ESC}[2J${ESC}]0;t\u0007`)}); return 1; } };\n`,
    });
    project.link('@cascadence/core');
    project.link('@cascadence/plugin-http');
    try {
      const list = await project.run(['list']);
      expect(list.code).toBe(0);
      expect(list.stdout).not.toContain(ESC);
      expect(list.stdout).not.toMatch(/^fake-task/m);
      expect(list.stdout).toContain('looks fine\\e[2J\\e]0;owned\\x07\\nfake-task');
      const json = await project.run(['list', '--json']);
      expect((JSON.parse(json.stdout) as Array<{ name: string; description: string }>).find((e) => e.name === 'evil')?.description).toBe(
        description,
      );

      const schedules = await project.run(['schedules']);
      expect(schedules.stdout + schedules.stderr).not.toContain(ESC);
      expect(schedules.stdout).toContain('tick\\e[31m\\nforged');

      const run = await project.run(['run', 'evil']);
      expect(run.code).toBe(1);
      expect(run.stdout + run.stderr).not.toContain(ESC);
      expect(run.stderr).toMatch(/^error: .*returned 500 Internal Server Error .*boom\\e\]0;pwned\\e\\\\e\[2J/m);

      const noisy = await project.run(['run', 'noisy']);
      expect(noisy.code).toBe(0);
      expect(noisy.stdout + noisy.stderr).not.toContain(ESC);
      expect(noisy.stderr).toContain('remote said: ok\\e[2J\\e]0;t\\x07');

      const unknown = await project.run(['run', `x${ESC}[2J`]);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).not.toContain(ESC);
      rows.push({ check: 'terminal output', 'ESC bytes printed': 0, 'JSON description exact': 'yes' });
    } finally {
      project.remove();
      server.close();
    }
  });
});
