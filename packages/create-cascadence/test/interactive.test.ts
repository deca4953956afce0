import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../src/main';

// The question-and-answer path in-process, on streams that say they are a terminal. (A real
// pseudo-terminal, through the packed bin, is in scripts/create-smoke.mjs: variant js-pty.)
let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'create-cascadence-tty-'));
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

/** Runs main() and types each answer once its question has been printed. */
async function converse(argv: string[], answers: Array<[RegExp, string]>) {
  const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => stdin });
  const stdout = Object.assign(new PassThrough(), { isTTY: true, columns: 200 });
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  let since = 0;
  const asked: string[] = [];
  stdout.on('data', (chunk) => {
    out += chunk;
    const shown = out.slice(since).replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    const next = answers[asked.length];
    if (next && next[0].test(shown)) {
      asked.push(String(next[0]));
      since = out.length;
      setImmediate(() => stdin.write(`${next[1]}\r`));
    }
  });
  stderr.on('data', (chunk) => (err += chunk));
  const code = await main(argv, { stdin, stdout, stderr, cwd, env: {} });
  return { code, out, err, asked: asked.length };
}

it('asks for the folder, the language and each part, then writes what was answered', async () => {
  const result = await converse(
    [],
    [
      [/Folder: \(cascadence-app\) $/, 'Tool Box'],
      [/Package name: \(tool-box\) $/, 'Bad Name'],
      [/Package name: \(tool-box\) $/, ''],
      [/Language: .*\(ts\) $/, 'python'],
      [/Language: .*\(ts\) $/, 'js'],
      [/Include cron schedules .*\(Y\/n\) $/, 'n'],
      [/Include Prometheus metrics .*\(y\/N\) $/, 'maybe'],
      [/Include Prometheus metrics .*\(y\/N\) $/, 'y'],
      [/Include Temporal.*\(y\/N\) $/, ''],
      [/Include shell steps .*\(y\/N\) $/, ''],
      [/Include HTTP request steps .*\(y\/N\) $/, 'yes'],
    ],
  );
  expect(result).toMatchObject({ code: 0, err: '', asked: 11 });
  expect(result.out).toContain('"Bad Name" cannot be used: the name has capital letters');
  const pkg = JSON.parse(readFileSync(join(cwd, 'Tool Box', 'package.json'), 'utf8'));
  expect(pkg.name).toBe('tool-box');
  expect(Object.keys(pkg.dependencies)).toEqual(['@cascadence/cli', '@cascadence/core', '@cascadence/metrics', '@cascadence/plugin-http']);
  expect(readdirSync(join(cwd, 'Tool Box')).sort()).toEqual([
    '.gitignore',
    'README.md',
    'cascadence.config.js',
    'flows',
    'package.json',
    'src',
    'test',
  ]);
  expect(result.out).toContain('cd "Tool Box"');
});

it('a folder that is not empty: says no → nothing is written', async () => {
  mkdirSync(join(cwd, 'busy'));
  writeFileSync(join(cwd, 'busy', 'README.md'), 'mine');
  const result = await converse(
    ['busy'],
    [[/busy is not empty \(README\.md\)\. Write into it anyway, replacing files with the same names\? \(y\/N\) $/, '']],
  );
  expect(result).toMatchObject({ code: 1, err: 'error: cancelled: nothing was written\n', asked: 1 });
  expect(readdirSync(join(cwd, 'busy'))).toEqual(['README.md']);
  expect(readFileSync(join(cwd, 'busy', 'README.md'), 'utf8')).toBe('mine');
});

it('a folder that is not empty: says yes → written, and the replaced file is listed', async () => {
  mkdirSync(join(cwd, 'busy'));
  writeFileSync(join(cwd, 'busy', 'README.md'), 'mine');
  const result = await converse(
    ['busy', '--plugin'],
    [
      [/not empty .*\(y\/N\) $/, 'y'],
      [/Package name: \(cascadence-plugin-busy\) $/, ''],
      [/Name of its processor .*\(busy\) $/, 'Bad name'],
      [/Name of its processor .*\(busy\) $/, 'word-count'],
    ],
  );
  expect(result).toMatchObject({ code: 0, err: '', asked: 4 });
  expect(result.out).toContain('Replaced (--force): README.md');
  expect(JSON.parse(readFileSync(join(cwd, 'busy', 'package.json'), 'utf8')).cascadence.processors).toEqual(['word-count']);
});

it('end of input while asking: cancelled, exit 130, nothing written', async () => {
  const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => stdin });
  const stdout = Object.assign(new PassThrough(), { isTTY: true });
  const stderr = new PassThrough();
  let err = '';
  stderr.on('data', (c) => (err += c));
  stdout.on('data', () => stdin.end());
  stdout.resume();
  const code = await main(['never'], { stdin, stdout, stderr, cwd, env: {} });
  expect({ code, err }).toEqual({ code: 130, err: 'error: cancelled: nothing was written\n' });
  expect(readdirSync(cwd)).toEqual([]);
});
