import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { main, parseArgs } from '../src/main';
import { renderProject, PROJECT_PARTS } from '../src/project';
import { templateVersions } from '../src/versions';

// The generator in-process, without a terminal (the terminal path runs in scripts/create-smoke.mjs).
let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'create-cascadence-test-'));
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

async function create(...argv: string[]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += c));
  stderr.on('data', (c) => (err += c));
  const code = await main(argv, { stdin: new PassThrough(), stdout, stderr, cwd, env: {} });
  return { code, out, err };
}

const list = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name).slice(dir.length + 1))
    .sort();

describe('create-cascadence without a terminal', () => {
  it('takes the defaults: a TypeScript project with schedules, named after the folder', async () => {
    const { code, out, err } = await create('my-app');
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expect(list(join(cwd, 'my-app'))).toEqual([
      '.gitignore',
      'README.md',
      'cascadence.config.ts',
      'flows/report.yml',
      'package.json',
      'schedules.yml',
      'src/tasks.ts',
      'test/project.test.ts',
      'tsconfig.json',
    ]);
    expect(JSON.parse(readFileSync(join(cwd, 'my-app', 'package.json'), 'utf8')).name).toBe('my-app');
    expect(out).toContain('cd my-app\n  npm install\n  npx task run report\n  npm test');
    expect(readFileSync(join(cwd, 'my-app', '.gitignore'), 'utf8')).toMatch(/^\.cascadence\/$/m);
  });

  it('JavaScript with parts chosen by flags', async () => {
    expect((await create('js-app', '--js', '--none', '--http', '--yes')).code).toBe(0);
    const files = list(join(cwd, 'js-app'));
    expect(files).toEqual([
      '.gitignore',
      'README.md',
      'cascadence.config.js',
      'flows/ping.yml',
      'flows/report.yml',
      'package.json',
      'src/tasks.js',
      'test/project.test.js',
    ]);
    const pkg = JSON.parse(readFileSync(join(cwd, 'js-app', 'package.json'), 'utf8'));
    expect(Object.keys(pkg.dependencies)).toEqual(['@cascadence/cli', '@cascadence/core', '@cascadence/plugin-http']);
    expect(pkg.devDependencies).toBeUndefined();
  });

  it('a plugin, named by the convention from the folder', async () => {
    expect((await create('greet', '--plugin')).code).toBe(0);
    const pkg = JSON.parse(readFileSync(join(cwd, 'greet', 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({
      name: 'cascadence-plugin-greet',
      cascadence: { apiVersion: 1, provides: ['processor'], processors: ['greet'] },
    });
    expect(pkg.peerDependencies).toEqual({ '@cascadence/core': templateVersions().cascadence['@cascadence/core'] });
    expect(JSON.stringify(pkg)).not.toContain('workspace:');
    expect(list(join(cwd, 'greet'))).toContain('test/installed.test.ts');
  });

  it('refuses a folder that is not empty, and writes nothing', async () => {
    mkdirSync(join(cwd, 'busy'));
    writeFileSync(join(cwd, 'busy', 'notes.txt'), 'mine');
    const { code, err } = await create('busy', '--yes');
    expect(code).toBe(1);
    expect(err).toMatch(/^error: .*busy is not empty \(notes\.txt\): choose a new folder, or pass --force/);
    expect(readdirSync(join(cwd, 'busy'))).toEqual(['notes.txt']);
  });

  it('a folder holding only .git counts as empty', async () => {
    mkdirSync(join(cwd, 'repo', '.git'), { recursive: true });
    expect((await create('repo', '--yes')).code).toBe(0);
  });

  it('--force writes into it, keeps other files and lists each file it replaced', async () => {
    mkdirSync(join(cwd, 'busy'));
    writeFileSync(join(cwd, 'busy', 'notes.txt'), 'mine');
    writeFileSync(join(cwd, 'busy', 'README.md'), 'old readme');
    const { code, out } = await create('busy', '--force', '--yes');
    expect(code).toBe(0);
    expect(out).toContain('Replaced (--force): README.md');
    expect(readFileSync(join(cwd, 'busy', 'notes.txt'), 'utf8')).toBe('mine');
    expect(readFileSync(join(cwd, 'busy', 'README.md'), 'utf8')).toMatch(/^# busy/);
    // The same again: nothing is replaced, everything is reported unchanged.
    const again = await create('busy', '--force', '--yes');
    expect(again.out).not.toContain('Replaced');
    expect(again.out).toContain('Already there, unchanged: .gitignore, README.md');
  });

  it('refuses names npm would refuse, and plugin names the loader would not find', async () => {
    expect(await create('x', '--name', 'My App')).toMatchObject({
      code: 1,
      err: expect.stringContaining('"My App" cannot be the package name: the name has capital letters'),
    });
    expect((await create('x', '--name', 'My App')).err).toContain('(try "my-app")');
    expect(await create('p', '--plugin', '--name', 'slugify')).toMatchObject({
      code: 1,
      err: expect.stringContaining('(try "cascadence-plugin-slugify")'),
    });
    expect(await create('Bad Folder!')).toMatchObject({ code: 0 });
    expect(JSON.parse(readFileSync(join(cwd, 'Bad Folder!', 'package.json'), 'utf8')).name).toBe('bad-folder');
    expect(existsSync(join(cwd, 'x'))).toBe(false);
  });

  it('usage errors exit 2; --help and --version exit 0', async () => {
    expect(await create('--typo')).toMatchObject({ code: 2, err: 'error: unknown option --typo (see --help)\n' });
    expect(await create('--plugin', '--js')).toMatchObject({ code: 2 });
    expect(await create('--processor', 'x')).toMatchObject({ code: 2, err: 'error: --processor goes with --plugin\n' });
    expect(await create('a', 'b')).toMatchObject({ code: 2 });
    expect(await create('--help')).toMatchObject({ code: 0, out: expect.stringContaining('npm create cascadence@latest') });
    expect(await create('--version')).toMatchObject({ code: 0, out: `${templateVersions().generator}\n` });
  });
});

describe('parseArgs', () => {
  it('parts: --all, --none, --x and --no-x, later flags win', () => {
    expect(parseArgs(['--all', '--no-temporal']).parts).toEqual({
      schedules: true,
      metrics: true,
      temporal: false,
      shell: true,
      http: true,
    });
    expect(parseArgs(['--none', '--shell']).parts).toEqual({ schedules: false, metrics: false, temporal: false, shell: true, http: false });
    expect(parseArgs(['--language=js']).language).toBe('js');
    expect(parseArgs(['--name=@a/b', 'dir', '-y', '--force'])).toMatchObject({ name: '@a/b', directory: 'dir', yes: true, force: true });
  });
});

describe('renderProject', () => {
  const versions = templateVersions();
  it("depends on this repository's @cascadence versions, one package per chosen part", () => {
    const root = join(__dirname, '..', '..', '..');
    const version = (dir: string) => JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')).version;
    const all = Object.fromEntries(PROJECT_PARTS.map((p) => [p, true])) as Record<(typeof PROJECT_PARTS)[number], boolean>;
    const pkg = JSON.parse(renderProject({ name: 'x', language: 'ts', parts: all }, versions)['package.json']!);
    expect(pkg.dependencies).toEqual({
      '@cascadence/cli': `^${version('packages/cli')}`,
      '@cascadence/core': `^${version('packages/core')}`,
      '@cascadence/metrics': `^${version('packages/metrics')}`,
      '@cascadence/plugin-http': `^${version('plugins/plugin-http')}`,
      '@cascadence/plugin-shell': `^${version('plugins/plugin-shell')}`,
      '@cascadence/temporal': `^${version('packages/temporal')}`,
    });
    const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(pkg.devDependencies.typescript).toBe(rootPkg.devDependencies.typescript);
    expect(pkg.devDependencies['@types/node']).toBe(rootPkg.devDependencies['@types/node']);
  });
});
