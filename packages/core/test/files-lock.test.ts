/**
 * `@cascadence/core/files`: the inter-process lock with real processes in a real temp folder.
 * Child processes load the built entry (`dist/files/index.cjs`), as another Cascadence process
 * would; this process uses the source.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CascadenceError, ErrorCode } from '../src/errors';
import { withFileLock } from '../src/files';
import { readLockOwner } from '../src/files/lock';

const built = resolve(__dirname, '..', 'dist', 'files', 'index.cjs');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cascadence-lock-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A node process running `body` with `files` (the built entry) and `target` in scope. */
function child(body: string, target: string): ChildProcess {
  const script = `const files = require(${JSON.stringify(built)}); const target = ${JSON.stringify(target)};\n(async () => {\n${body}\n})().catch((e) => { console.error(e && e.code, e && e.message); process.exit(3); });`;
  return spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
}

function exited(proc: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  proc.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolveExit) => proc.on('exit', (code) => resolveExit({ code, stderr })));
}

/** Resolves once the child printed `line` on stdout. */
function printed(proc: ChildProcess, line: string): Promise<void> {
  return new Promise((resolveLine, reject) => {
    let out = '';
    proc.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.split('\n').includes(line)) resolveLine();
    });
    proc.on('exit', (code) => reject(new Error(`child exited (${code}) before printing ${line}; stdout: ${out}`)));
  });
}

/** Increments the number in `target` `times` times, each under the lock, logging enter/exit lines to `target`.log. */
const incrementer = (times: number, staleMs = 10_000): string => `
  const fs = require('node:fs');
  for (let i = 0; i < ${times}; i++) {
    await files.withFileLock(target, async (assertHeld) => {
      fs.appendFileSync(target + '.log', 'enter ' + process.pid + '\\n');
      const n = fs.existsSync(target) ? Number(fs.readFileSync(target, 'utf8')) : 0;
      await new Promise((r) => setTimeout(r, Math.random() * 5));
      assertHeld();
      await files.writeFileAtomic(target, String(n + 1));
      fs.appendFileSync(target + '.log', 'exit ' + process.pid + '\\n');
    }, { staleMs: ${staleMs}, timeoutMs: 60000 });
  }`;

/** The enter/exit log never shows two holders at once. */
function expectNoOverlap(logPath: string, total: number): void {
  const lines = readFileSync(logPath, 'utf8').trim().split('\n');
  expect(lines).toHaveLength(total * 2);
  for (let i = 0; i < lines.length; i += 2) {
    const enter = lines[i] as string;
    expect({ i, pair: [enter, lines[i + 1]] }).toEqual({ i, pair: [enter, enter.replace('enter', 'exit')] });
  }
}

describe('withFileLock between processes', () => {
  it('serialises read-modify-write cycles of several processes: no update lost, never two holders', async () => {
    const target = join(dir, 'counter');
    const procs = [0, 1, 2].map(() => child(incrementer(15), target));
    const results = await Promise.all(procs.map(exited));
    expect(results.map((r) => r.code)).toEqual([0, 0, 0]);
    expect(readFileSync(target, 'utf8')).toBe('45');
    expectNoOverlap(`${target}.log`, 45);
    expect(existsSync(`${target}.lock`)).toBe(false);
  }, 60_000);

  it('several processes racing to take over one stale lock: one holder at a time, no update lost', async () => {
    const target = join(dir, 'counter');
    // A lock left by a process that died long ago (an empty folder, as proper-lockfile left them).
    mkdirSync(`${target}.lock`);
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${target}.lock`, old, old);
    const procs = [0, 1, 2, 3].map(() => child(incrementer(5, 2_000), target));
    const results = await Promise.all(procs.map(exited));
    expect(results.map((r) => r.stderr)).toEqual(['', '', '', '']);
    expect(readFileSync(target, 'utf8')).toBe('20');
    expectNoOverlap(`${target}.log`, 20);
  }, 60_000);

  it('takes over the lock of a holder killed with SIGKILL once it is staleMs old, and not before', async () => {
    const target = join(dir, 'state.json');
    const holder = child(
      `await files.withFileLock(target, async () => { console.log('held'); await new Promise(() => setInterval(() => {}, 1000)); }, { staleMs: 2000 });`,
      target,
    );
    const done = exited(holder);
    await printed(holder, 'held');
    expect(readLockOwner(`${target}.lock`)).toMatchObject({ pid: holder.pid });
    holder.kill('SIGKILL');
    await done;
    expect(existsSync(`${target}.lock`)).toBe(true); // SIGKILL runs no exit handler: the lock is left behind
    const lastRefresh = statSync(`${target}.lock`).mtimeMs;

    let tookOverAt = 0;
    await withFileLock(
      target,
      async (assertHeld) => {
        tookOverAt = Date.now();
        assertHeld();
        expect(readLockOwner(`${target}.lock`)).toMatchObject({ pid: process.pid });
      },
      { staleMs: 2_000, timeoutMs: 30_000 },
    );
    // Not taken over while it could still be a live holder's lock.
    expect(tookOverAt - lastRefresh).toBeGreaterThanOrEqual(2_000);
    expect(existsSync(`${target}.lock`)).toBe(false);
  }, 60_000);

  it('a live holder keeps its lock past staleMs (it refreshes it); a waiter gets CASCADENCE_FILE_LOCKED naming the file and the holder', async () => {
    const target = join(dir, 'tasks.json');
    const holder = child(
      `await files.withFileLock(target, async () => { console.log('held'); await new Promise((r) => setTimeout(r, 8000)); }, { staleMs: 2000 });`,
      target,
    );
    const done = exited(holder);
    await printed(holder, 'held');
    const error = await withFileLock(target, async () => 'got it', { staleMs: 2_000, timeoutMs: 5_000 }).catch((e: unknown) => e);
    expect(CascadenceError.isInstance(error, ErrorCode.FILE_LOCKED)).toBe(true);
    const coded = error as CascadenceError;
    expect(coded.message).toContain(`${target} is locked by process ${holder.pid} on `);
    expect(coded.message).toContain(`lock: ${target}.lock`);
    expect(coded.details).toMatchObject({ path: target, lockPath: `${target}.lock`, owner: { pid: holder.pid } });
    expect(coded.suggestions.join(' ')).toContain(`${target}.lock`);
    expect((await done).code).toBe(0);
    expect(existsSync(`${target}.lock`)).toBe(false); // released by its holder
  }, 60_000);

  it('a holder stalled (SIGSTOP) past staleMs loses its lock: assertHeld throws CASCADENCE_FILE_LOCKED, and its release leaves the new holder alone', async () => {
    const target = join(dir, 'file');
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const files = require(${JSON.stringify(built)});
        files.withFileLock(${JSON.stringify(target)}, async (assertHeld) => {
          console.log('held');
          await new Promise((r) => process.stdin.once('data', r));
          try { assertHeld(); console.log('still held'); } catch (e) { console.log('lost ' + e.code + ' ' + e.message); }
        }, { staleMs: 2000 }).then(() => console.log('released'));`,
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let out = '';
    holder.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const done = exited(holder);
    await printed(holder, 'held');
    holder.kill('SIGSTOP'); // a suspended process: it cannot refresh its lock
    try {
      await withFileLock(
        target,
        async () => {
          holder.kill('SIGCONT');
          holder.stdin?.write('go\n');
          holder.stdin?.end();
          expect((await done).code).toBe(0);
          expect(existsSync(`${target}.lock`)).toBe(true); // still ours: the old holder did not remove it
          expect(readLockOwner(`${target}.lock`)).toMatchObject({ pid: process.pid });
        },
        { staleMs: 2_000, timeoutMs: 30_000 },
      );
    } finally {
      holder.kill('SIGKILL');
    }
    expect(out).toMatch(
      new RegExp(
        `^held\nlost CASCADENCE_FILE_LOCKED lost the lock on ${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(.*\\); nothing was written\nreleased\n$`,
      ),
    );
  }, 60_000);

  it('a process that exits while holding the lock (process.exit) removes it', async () => {
    const target = join(dir, 'file');
    const result = await exited(child(`await files.withFileLock(target, async () => { process.exit(0); });`, target));
    expect(result.code).toBe(0);
    expect(existsSync(`${target}.lock`)).toBe(false);
  }, 30_000);
});

describe('withFileLock in one process', () => {
  it('releases the lock when fn throws, and passes the error on', async () => {
    const target = join(dir, 'file');
    await expect(
      withFileLock(target, async () => {
        expect(existsSync(`${target}.lock`)).toBe(true);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(existsSync(`${target}.lock`)).toBe(false);
    // Free at once: no wait for a stale time.
    await expect(withFileLock(target, async () => 'again', { timeoutMs: 0 })).resolves.toBe('again');
  });

  it('takes over a stale lock (with its owner file) even with timeoutMs 0, and refuses a fresh one at once', async () => {
    const target = join(dir, 'file');
    mkdirSync(`${target}.lock`);
    writeFileSync(join(`${target}.lock`, 'owner'), JSON.stringify({ pid: 1, hostname: 'gone', acquiredAt: 'x', token: 't' }));
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${target}.lock`, old, old);
    await expect(withFileLock(target, async () => 'taken over', { timeoutMs: 0 })).resolves.toBe('taken over');
    expect(readdirSync(dir)).toEqual([]); // neither the lock nor the renamed stale one is left

    mkdirSync(`${target}.lock`);
    const error = await withFileLock(target, async () => 'no', { timeoutMs: 0 }).catch((e: unknown) => e);
    expect(CascadenceError.isInstance(error, ErrorCode.FILE_LOCKED)).toBe(true);
    expect((error as Error).message).toContain(`${target} is locked by another process (lock: ${target}.lock); gave up after 0 ms`);
  });

  it('assertHeld throws CASCADENCE_FILE_LOCKED once another process took the lock over, and release leaves that lock alone', async () => {
    const target = join(dir, 'file');
    const error = await withFileLock(target, async (assertHeld) => {
      assertHeld();
      // What a takeover by another process looks like from here: a new lock folder with another owner.
      rmSync(`${target}.lock`, { recursive: true });
      mkdirSync(`${target}.lock`);
      writeFileSync(join(`${target}.lock`, 'owner'), JSON.stringify({ pid: 1, hostname: 'elsewhere', acquiredAt: 'x', token: 'theirs' }));
      try {
        assertHeld();
        return undefined;
      } catch (e) {
        return e;
      }
    });
    expect(CascadenceError.isInstance(error, ErrorCode.FILE_LOCKED)).toBe(true);
    expect((error as CascadenceError).message).toMatch(
      /^lost the lock on .*file \(.*taken over by another process\); nothing was written$/,
    );
    expect(readLockOwner(`${target}.lock`)).toEqual({ pid: 1, hostname: 'elsewhere', acquiredAt: 'x' });
  });

  it('a lock it cannot create (a part of the path is a file) is CASCADENCE_FILE_UNWRITABLE naming the file', async () => {
    writeFileSync(join(dir, 'plain'), '');
    const target = join(dir, 'plain', 'file');
    const error = await withFileLock(target, async () => undefined).catch((e: unknown) => e);
    expect(CascadenceError.isInstance(error, ErrorCode.FILE_UNWRITABLE)).toBe(true);
    expect((error as Error).message).toBe(`${target}: cannot lock the file (its folder): a part of the path is not a directory`);
  });
});
