import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Project } from './cli-harness';

describe('projects and config files', () => {
  it('works with no config at all: the built-in example only', () => {
    const project = new Project();
    try {
      const list = project.task(['list', '--json']);
      expect(list.code).toBe(0);
      expect(JSON.parse(list.stdout).map((e: { name: string }) => e.name)).toEqual(['example']);
      expect(project.task(['run', 'example']).code).toBe(0);
    } finally {
      project.remove();
    }
  });

  it('finds the config by walking up from a subfolder and keeps state beside it', () => {
    const project = new Project({ 'cascadence.config.json': JSON.stringify({ tasks: ['./t.mjs'] }), 't.mjs': '' });
    project.write('t.mjs', `export const hi = { kind: 'task', name: 'hi', run: () => 'hi' };`);
    try {
      mkdirSync(join(project.dir, 'deep', 'er'), { recursive: true });
      const sub = join(project.dir, 'deep', 'er');
      const { code } = project.task(['disable', 'hi', '--cwd', sub]);
      expect(code).toBe(0);
      expect(JSON.parse(readFileSync(join(project.dir, '.cascadence', 'tasks.json'), 'utf8'))).toEqual({ disabled: ['hi'] });
    } finally {
      project.remove();
    }
  });

  it('loads a TypeScript config and TypeScript task modules', () => {
    const project = new Project({
      'cascadence.config.ts': `const config: { tasks: string[] } = { tasks: ['./tasks.ts'] };\nexport default config;\n`,
      'tasks.ts': `import { defineTask } from '@cascadence/core';\nexport const typed = defineTask<{ n: number }, number>({ name: 'typed', run: (_ctx, input) => input.n * 3 });\n`,
    });
    project.linkCore();
    try {
      const { code, stdout, stderr } = project.task(['run', 'typed', '--input', '{"n": 14}', '--json']);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(JSON.parse(stdout).output).toBe(42);
    } finally {
      project.remove();
    }
  });

  it('environment variables override the config', () => {
    const project = new Project({ 'cascadence.config.json': JSON.stringify({ backend: 'local' }) });
    try {
      const { code, stderr } = project.task(['run', 'example'], { CASCADENCE_BACKEND: 'elsewhere' });
      expect(code).toBe(1);
      expect(stderr).toBe('error: unknown backend "elsewhere"; available: local, temporal\n');
    } finally {
      project.remove();
    }
  });

  it.each([
    ['cascadence.config.json', '{ "tasks": [', /^error: .*cascadence\.config\.json: invalid JSON: /],
    ['cascadence.config.json', '{ "taks": [] }', /^error: .*cascadence\.config\.json: unknown setting "taks" \(did you mean "tasks"\?\)/],
    [
      'cascadence.config.json',
      '{ "tasks": "x.mjs" }',
      /^error: .*cascadence\.config\.json: "tasks" must be a list of paths \(got "x.mjs"\)/,
    ],
    ['cascadence.config.yaml', 'tasks: [a\nbackend: b\n', /^error: .*cascadence\.config\.yaml: invalid YAML at line \d+, column \d+: /],
    [
      'cascadence.config.mjs',
      'export default { tasks: ["./missing.mjs"] };',
      /^error: "tasks" lists \.\/missing\.mjs, which does not exist in /,
    ],
    [
      'cascadence.config.mjs',
      'throw new Error("config blew up");',
      /^error: .*cascadence\.config\.mjs could not be loaded: config blew up\n$/,
    ],
  ])('a broken %s names the file and the problem', (name, content, message) => {
    const project = new Project({ [name]: content });
    try {
      const { code, stderr } = project.task(['list']);
      expect(code).toBe(1);
      expect(stderr).toMatch(message);
      expect(stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      project.remove();
    }
  });

  it('YAML flow errors name the file, line and column', () => {
    const project = new Project({
      'flows/bad.yml': 'name: bad\nsteps:\n  a:\n    uses: x\n    needs: [zzz]\n',
      'flows/syntax.yaml': 'name: s\nsteps: [\n',
    });
    try {
      const { code, stderr } = project.task(['run', 'bad']);
      expect(code).toBe(1);
      expect(stderr).toMatch(/^error: flows\/bad\.yml: flow "bad": step "a" needs unknown step "zzz" \(line 4, column 5\)\n$/m);
      project.write('flows/bad.yml', 'name: bad\nsteps:\n  a:\n    uses: x\n');
      const syntax = project.task(['run', 'syntax']);
      expect(syntax.code).toBe(1);
      expect(syntax.stderr).toMatch(/^error: flows\/syntax\.yaml: invalid YAML at line \d+, column \d+/m);
    } finally {
      project.remove();
    }
  });

  it('a YAML alias bomb is refused', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 0; i < 8; i++) {
      const prev = String.fromCharCode(97 + i);
      const next = String.fromCharCode(98 + i);
      lines.push(`${next}: &${next} [*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev}]`);
    }
    lines.push('name: bomb', 'steps: { s: { uses: x } }');
    const project = new Project({ 'flows/bomb.yml': lines.join('\n') });
    try {
      const { code, stderr } = project.task(['run', 'bomb']);
      expect(code).toBe(1);
      expect(stderr).toMatch(/^error: flows\/bomb\.yml: .*alias/im);
    } finally {
      project.remove();
    }
  });
  it('keeps what a valid YAML flow parsed to, keyed by its text, and parses again when the text changes', () => {
    const project = new Project({
      'flows/one.yml': 'name: one\ndescription: first words\nsteps:\n  a:\n    task: example\n',
      'flows/inf.yml': 'name: inf\ndescription: infinite\nsteps:\n  a:\n    task: example\n    with: { n: .inf }\n',
    });
    const described = (): Record<string, string> =>
      Object.fromEntries(
        (JSON.parse(project.task(['list', '--json']).stdout) as Array<{ name: string; description: string }>).map((e) => [
          e.name,
          e.description,
        ]),
      );
    try {
      expect(described().one).toBe('first words');
      const cacheDir = join(project.dir, '.cascadence', 'cache', 'flows');
      // One entry: the flow holding .inf (which JSON cannot carry) is not cached.
      const entries = readdirSync(cacheDir);
      expect(entries).toHaveLength(1);
      // The entry is what the next command reads: changed by hand (same key), it shows.
      const entryFile = join(cacheDir, entries[0]!);
      const entry = JSON.parse(readFileSync(entryFile, 'utf8')) as { key: string; data: { description: string } };
      entry.data.description = 'from the cache';
      writeFileSync(entryFile, JSON.stringify(entry));
      expect(described()).toMatchObject({ one: 'from the cache', inf: 'infinite' });
      // New text: parsed again, and the entry replaced.
      project.write('flows/one.yml', 'name: one\ndescription: second words\nsteps:\n  a:\n    task: example\n');
      expect(described().one).toBe('second words');
      expect(readdirSync(cacheDir)).toEqual(entries);
      // A cached flow that no longer validates still gets its error with line and column.
      const invalid = 'name: one\nsteps:\n  a:\n    task: example\n    needs: [zzz]\n';
      const valid = JSON.parse(readFileSync(entryFile, 'utf8')) as { key: string; data: unknown };
      project.write('flows/one.yml', invalid);
      const { code, stderr } = project.task(['run', 'one']);
      expect(code).toBe(1);
      expect(stderr).toMatch(/^error: flows\/one\.yml: flow "one": step "a" needs unknown step "zzz" \(line 4, column 5\)\n$/m);
      expect(JSON.parse(readFileSync(entryFile, 'utf8'))).toEqual(valid);
    } finally {
      project.remove();
    }
  });
});
