import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CascadenceError, defineFlow, Engine, ErrorCode, flowFromSpec, Registry, silentLogger } from '@cascadence/core';
import { shell } from '@cascadence/plugin-shell';
import { CronScheduler, parseSchedules, upsertSchedule, validateCron } from '@cascadence/scheduler-cron';
import { aliasBomb, baseFiles, baseLinks, CLASSES, CLI_CASES, garbage, INVALID_CRONS, PLUGIN_CASES, type CliCase } from './corpus';
import { childEnv, collect, diffTrees, hashTree, mapLimit, packageDir, Project, report, type Result } from './harness';

/**
 * The bad-input corpus. Through the built `task` binary: every case must exit with its defined
 * code (1 bad input, 2 usage), print exactly one `error:` line naming what is wrong (warnings may
 * precede it), and leave every file of the project byte-for-byte as it was (the whole tree is
 * hashed before and after; only `.cascadence/cache/` is left out). Through the APIs: every case
 * throws (or reports) a CascadenceError with its stable code and a message naming the problem.
 */
interface Outcome {
  cls: string;
  name: string;
  ok: boolean;
  problems: string[];
}

const outcomes: Outcome[] = [];

/** Whether `actual` matches `expected` (asymmetric matchers included), without failing the test. */
function matches(actual: unknown, expected: unknown): boolean {
  try {
    expect(actual).toEqual(expected);
    return true;
  } catch {
    return false;
  }
}

function judge(
  c: { cls: string; name: string; exit: number; error: RegExp },
  result: Result,
  changes: string[],
  extra: string[] = [],
): Outcome {
  const problems: string[] = [...extra];
  if (result.code !== c.exit) problems.push(`exit code ${String(result.code)} (signal ${String(result.signal)}), expected ${c.exit}`);
  const lines = result.stderr.split('\n').filter((line) => line.trim() !== '');
  const errors = lines.filter((line) => line.startsWith('error: '));
  if (errors.length !== 1) problems.push(`${errors.length} error: lines`);
  const last = lines.at(-1) ?? '';
  if (!last.startsWith('error: ')) problems.push(`last stderr line is not the error: ${JSON.stringify(last.slice(0, 300))}`);
  else if (!c.error.test(last.slice('error: '.length)))
    problems.push(`error line ${JSON.stringify(last.slice(0, 400))} does not match ${String(c.error)}`);
  const others = lines.filter((line) => !line.startsWith('error: ') && !line.startsWith('warning: '));
  if (others.length > 0) problems.push(`other stderr lines: ${JSON.stringify(others.slice(0, 3))}`);
  if (changes.length > 0) problems.push(`project files changed: ${changes.join(', ')}`);
  return { cls: c.cls, name: c.name, ok: problems.length === 0, problems };
}

async function runCliCase(c: CliCase): Promise<Outcome> {
  const base = c.base ?? 'tasks';
  const project = new Project(baseFiles(base));
  try {
    for (const [path, content] of Object.entries(c.files ?? {})) {
      if (content === null) rmSync(project.path(path), { force: true });
      else project.write(path, content);
    }
    for (const name of baseLinks(base)) project.link(name);
    const before = hashTree(project.dir);
    const result = await project.run(c.args, c.env, 30_000);
    return judge(c, result, diffTrees(before, hashTree(project.dir)));
  } finally {
    project.remove();
  }
}

describe('bad input through the task binary', () => {
  afterAll(() => {
    const byClass = new Map<string, { cases: number; passed: number }>();
    for (const o of outcomes) {
      const entry = byClass.get(o.cls) ?? { cases: 0, passed: 0 };
      entry.cases++;
      if (o.ok) entry.passed++;
      byClass.set(o.cls, entry);
    }
    report(
      'bad input',
      [...byClass].map(([cls, { cases, passed }]) => ({ class: cls, cases, passed, failed: cases - passed })),
    );
  });

  it(
    `${CLI_CASES.length} CLI cases: defined exit code, one error: line naming the problem, project tree unchanged`,
    async () => {
      const results = await mapLimit(CLI_CASES, 2, runCliCase);
      outcomes.push(...results);
      const failed = results.filter((o) => !o.ok).map((o) => `[${o.cls}] ${o.name}: ${o.problems.join('; ')}`);
      expect(failed).toEqual([]);
    },
    15 * 60_000,
  );

  it(
    `${PLUGIN_CASES.length} broken plugin packages: the command using them fails naming the plugin; task list warns once and works; nothing is imported that must not be`,
    async () => {
      const results = await mapLimit(PLUGIN_CASES, 2, async (c): Promise<Outcome> => {
        const pkg = {
          name: 'plugin-project',
          private: true,
          type: 'module',
          ...(c.via === 'dependency' ? { dependencies: { 'cascadence-plugin-broken': '1.0.0' } } : {}),
        };
        const project = new Project({
          'package.json': JSON.stringify(pkg, null, 2),
          'cascadence.config.json': JSON.stringify({ tasks: ['./tasks.mjs'], ...(c.via === 'config' ? { plugins: ['broken'] } : {}) }),
          'tasks.mjs': `export const tick = { kind: 'task', name: 'tick', run: () => 'tick' };\n`,
        });
        try {
          for (const [path, content] of Object.entries(c.files ?? {}))
            project.write(`node_modules/cascadence-plugin-broken/${path}`, content);
          project.link('@cascadence/core');
          const before = hashTree(project.dir);
          const run = await project.run(['run', c.task]);
          const outcome = judge(
            { cls: CLASSES.plugins, name: c.name, exit: 1, error: c.error },
            run,
            diffTrees(before, hashTree(project.dir)),
          );
          // The rest of the project still works; the broken plugin is reported once (or, without a manifest from a dependency, not at all).
          const list = await project.run(['list', '--json']);
          const warnings = list.stderr.split('\n').filter((line) => line.startsWith('warning: '));
          const silent = c.name.startsWith('no manifest (a dependency');
          if (list.code !== 0) outcome.problems.push(`task list exit ${String(list.code)}: ${list.stderr}`);
          else if (!(JSON.parse(list.stdout) as Array<{ name: string }>).some((e) => e.name === 'tick'))
            outcome.problems.push('task list lost the project task');
          if (silent ? warnings.length !== 0 : warnings.length !== 1 || !warnings[0]?.includes('cascadence-plugin-broken')) {
            outcome.problems.push(`task list warnings: ${JSON.stringify(warnings)}`);
          }
          const changes = diffTrees(before, hashTree(project.dir));
          if (changes.length > 0) outcome.problems.push(`after task list: ${changes.join(', ')}`);
          outcome.ok = outcome.problems.length === 0;
          return outcome;
        } finally {
          project.remove();
        }
      });
      outcomes.push(...results);
      const failed = results.filter((o) => !o.ok).map((o) => `${o.name}: ${o.problems.join('; ')}`);
      expect(failed).toEqual([]);
    },
    10 * 60_000,
  );
});

describe('bad input through the APIs', () => {
  const api: Array<{ cls: string; name: string; ok: boolean }> = [];
  afterAll(() => {
    const byClass = new Map<string, number>();
    for (const a of api) byClass.set(a.cls, (byClass.get(a.cls) ?? 0) + 1);
    report(
      'bad input (API)',
      [...byClass].map(([cls, cases]) => ({ class: cls, cases, passed: api.filter((a) => a.cls === cls && a.ok).length })),
    );
  });

  /** Expects `fn` to throw a CascadenceError with `code` whose message matches `message`. */
  function expectCascadenceError(cls: string, name: string, fn: () => unknown, code: string, message: RegExp): void {
    let thrown: unknown;
    try {
      fn();
    } catch (error) {
      thrown = error;
    }
    const ok = CascadenceError.isInstance(thrown, code) && message.test((thrown as Error).message);
    api.push({ cls, name, ok });
    expect({ name, code: (thrown as CascadenceError | undefined)?.code, message: (thrown as Error | undefined)?.message }).toEqual({
      name,
      code,
      message: expect.stringMatching(message),
    });
  }

  it('validateCron rejects every invalid expression with CASCADENCE_INVALID_CRON naming it', () => {
    for (const [expr, detail] of INVALID_CRONS) {
      expectCascadenceError(
        CLASSES.cron,
        `validateCron(${JSON.stringify(expr.slice(0, 30))})`,
        () => validateCron(expr),
        'CASCADENCE_INVALID_CRON',
        new RegExp(`^invalid cron expression .*${detail.source}`),
      );
    }
    for (const value of [undefined, null, 42, {}, ['* * * * *']]) {
      expectCascadenceError(
        CLASSES.cron,
        `validateCron(${JSON.stringify(value)})`,
        () => validateCron(value),
        'CASCADENCE_INVALID_CRON',
        /^invalid cron expression/,
      );
    }
  });

  it('upsertSchedule refuses invalid expressions and unparsable files, leaving the file byte-for-byte unchanged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cascadence-rel-api-'));
    try {
      const file = join(dir, 'schedules.yml');
      const original = '# mine\ntock: "0 3 * * *" # keep\n';
      writeFileSync(file, original);
      for (const [expr] of INVALID_CRONS) {
        const before = hashTree(dir);
        const error = await upsertSchedule(file, 'tick', expr).then(
          () => undefined,
          (e: unknown) => e,
        );
        const ok = CascadenceError.isInstance(error, 'CASCADENCE_INVALID_CRON') && diffTrees(before, hashTree(dir)).length === 0;
        api.push({ cls: CLASSES.cron, name: `upsertSchedule(${JSON.stringify(expr.slice(0, 30))})`, ok });
        expect({ expr, ok }).toEqual({ expr, ok: true });
      }
      for (const [name, text, code] of [
        ['syntax error', 'tock: [unclosed\n', 'CASCADENCE_SCHEDULES_PARSE'],
        ['duplicate key', 'tock: "0 3 * * *"\ntock: "0 4 * * *"\n', 'CASCADENCE_SCHEDULES_PARSE'],
        ['a list', '- tock\n', 'CASCADENCE_SCHEDULES_INVALID'],
      ] as const) {
        writeFileSync(file, text);
        const before = hashTree(dir);
        const error = await upsertSchedule(file, 'tick', '0 1 * * *').then(
          () => undefined,
          (e: unknown) => e,
        );
        const ok =
          CascadenceError.isInstance(error, code) &&
          (error as Error).message.startsWith(`${file}:`) &&
          diffTrees(before, hashTree(dir)).length === 0;
        api.push({ cls: CLASSES.schedulesYaml, name: `upsertSchedule on ${name}`, ok });
        expect({ name, ok }).toEqual({ name, ok: true });
        // new CronScheduler refuses the file too, without touching it
        expectCascadenceError(
          CLASSES.schedulesYaml,
          `new CronScheduler on ${name}`,
          () => new CronScheduler({ storagePath: file, tasks: [], persistState: false, watch: false }),
          code,
          new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: `),
        );
        expect(diffTrees(before, hashTree(dir))).toEqual([]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parseSchedules reports malformed entries and refuses malformed files, naming path, line and column', () => {
    const cases: Array<[string, string, 'throws' | 'problem', RegExp]> = [
      ['syntax', 'a: [\n', 'throws', /^s\.yml:\d+:\d+: cannot parse the schedules file/],
      ['alias bomb', [...aliasBomb(), ''].join('\n'), 'problem', /^s\.yml:1:\d+: schedule "a": expected a cron expression string/],
      ['binary garbage', garbage(512, 7).toString('latin1'), 'throws', /^s\.yml:\d+:\d+: /],
      ['bad entry', 'a: "61 * * * *"\n', 'problem', /^s\.yml:1:4: schedule "a": invalid cron expression/],
      ['unknown option', 'a: { cron: "* * * * *", overlpa: skip }\n', 'problem', /unknown option "overlpa" \(did you mean "overlap"\?\)/],
    ];
    for (const [name, text, kind, message] of cases) {
      let thrown: unknown;
      let problems: CascadenceError[] = [];
      try {
        problems = parseSchedules(text, 's.yml').problems;
      } catch (error) {
        thrown = error;
      }
      const got = kind === 'throws' ? thrown : problems[0];
      const ok = CascadenceError.isInstance(got) && message.test((got as Error).message);
      api.push({ cls: CLASSES.schedulesYaml, name: `parseSchedules: ${name}`, ok });
      expect({ name, message: (got as Error | undefined)?.message }).toEqual({ name, message: expect.stringMatching(message) });
    }
  });

  it('defineFlow and flowFromSpec refuse cycles, self-references, duplicate ids and malformed specs with stable codes', () => {
    const run = () => 1;
    const C = CLASSES.cycles;
    const D = CLASSES.duplicates;
    const F = CLASSES.flowYaml;
    const cases: Array<[string, string, () => unknown, string, RegExp]> = [
      [
        C,
        'two-step cycle',
        () => defineFlow({ name: 'c', steps: { a: { run, needs: ['b'] }, b: { run, needs: ['a'] } } }),
        ErrorCode.CYCLE,
        /^flow "c" has a cycle: a -> b -> a$/,
      ],
      [
        C,
        'self-reference',
        () => defineFlow({ name: 'c', steps: { a: { run, needs: ['a'] } } }),
        ErrorCode.CYCLE,
        /^flow "c" has a cycle: a -> a$/,
      ],
      [
        C,
        'long cycle',
        () =>
          defineFlow({
            name: 'c',
            steps: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`s${i}`, { run, needs: [`s${(i + 1) % 50}`] }])),
          }),
        ErrorCode.CYCLE,
        /^flow "c" has a cycle: s0 -> /,
      ],
      [
        C,
        'cycle in a spec',
        () => flowFromSpec({ name: 'c', steps: { a: { task: 't', needs: ['b'] }, b: { task: 't', needs: 'a' } } }, 'c.yml'),
        ErrorCode.CYCLE,
        /^c\.yml: flow "c" has a cycle: a -> b -> a$/,
      ],
      [
        D,
        'array form, repeated id',
        () =>
          defineFlow({
            name: 'd',
            steps: [
              { id: 'a', run },
              { id: 'a', run },
            ],
          }),
        ErrorCode.DUPLICATE_STEP,
        /^flow "d": duplicate step id "a"$/,
      ],
      [D, 'array form, missing id', () => defineFlow({ name: 'd', steps: [{ run } as never] }), ErrorCode.INVALID_NAME, /step of flow "d"/],
      [
        D,
        'spec with steps as an array',
        () =>
          flowFromSpec(
            {
              name: 'd',
              steps: [
                { id: 'a', task: 't' },
                { id: 'a', task: 't' },
              ],
            },
            'd.json',
          ),
        ErrorCode.INVALID_DEFINITION,
        /^d\.json: "steps" must be a mapping/,
      ],
      [
        F,
        'unknown needs',
        () => defineFlow({ name: 'u', steps: { build: { run }, test: { run, needs: ['biuld'] } } }),
        ErrorCode.UNKNOWN_STEP,
        /needs unknown step "biuld" \(did you mean "build"\?\)/,
      ],
      [F, 'spec not a mapping', () => flowFromSpec([1, 2], 'x.yml'), ErrorCode.INVALID_DEFINITION, /^x\.yml: a flow must be a mapping/],
      [
        F,
        'spec with an unknown step key',
        () => flowFromSpec({ name: 'x', steps: { a: { task: 't', neds: [] } } }, 'x.yml'),
        ErrorCode.INVALID_DEFINITION,
        /unknown key "neds"/,
      ],
      [
        F,
        'spec with retry of the wrong type',
        () => flowFromSpec({ name: 'x', steps: { a: { task: 't', retry: { attempts: 'three' } } } }, 'x.yml'),
        ErrorCode.INVALID_DEFINITION,
        /attempts/,
      ],
      [
        F,
        'spec with when of the wrong value',
        () => flowFromSpec({ name: 'x', steps: { a: { task: 't' }, b: { task: 't', needs: ['a'], when: 'maybe' } } }, 'x.yml'),
        ErrorCode.INVALID_DEFINITION,
        /"when" must be one of/,
      ],
    ];
    for (const [cls, name, fn, code, message] of cases) expectCascadenceError(cls, name, fn, code, message);
  });

  it('unknown tasks, processors and backends raise their codes with the closest name', () => {
    const registry = new Registry();
    registry.add({ kind: 'task', name: 'deploy', run: () => 1 } as never, 'test');
    registry.addProcessor(shell, '@cascadence/plugin-shell');
    const U = CLASSES.unknown;
    expectCascadenceError(
      U,
      'Registry.get',
      () => registry.get('deplyo'),
      ErrorCode.UNKNOWN_TASK,
      /^unknown task "deplyo" \(did you mean "deploy"\?\)$/,
    );
    expectCascadenceError(
      U,
      'Registry.resolveProcessor',
      () => registry.resolveProcessor('shel'),
      ErrorCode.UNKNOWN_PROCESSOR,
      /^unknown processor "shel" \(did you mean "shell"\?\)$/,
    );
    expectCascadenceError(
      U,
      'Registry.getBackend',
      () => registry.getBackend('temporl'),
      ErrorCode.UNKNOWN_BACKEND,
      /^unknown backend "temporl"/,
    );
    const engine = new Engine({ resolver: registry, logger: silentLogger });
    expectCascadenceError(
      U,
      'Engine.prepare with an unknown processor',
      () => engine.prepare(defineFlow({ name: 'p', steps: { a: { uses: 'shel' } } })),
      ErrorCode.UNKNOWN_PROCESSOR,
      /flow "p", step "a": unknown processor "shel"/,
    );
    expectCascadenceError(
      U,
      'Engine.prepare with an unknown task',
      () => engine.prepare(defineFlow({ name: 'p', steps: { a: { task: 'deplyo' } } })),
      ErrorCode.UNKNOWN_TASK,
      /flow "p", step "a": unknown task "deplyo" \(did you mean "deploy"\?\)/,
    );
    // Engine.run refuses before anything starts: the promise rejects, nothing runs.
    const opts: Array<[string, unknown, RegExp]> = [
      ['command: 42', { command: 42 }, /option "command" must be a string/],
      ['args: "x"', { args: 'echo hi' }, /option "args" must be a list of strings/],
      ['timeoutMs: "soon"', { command: 'true', timeoutMs: 'soon' }, /option "timeoutMs" must be a number/],
      ['env: 5', { command: 'true', env: 5 }, /option "env"/],
      ['unknown option', { command: 'true', nope: 1 }, /unknown option "nope"/],
      ['command and args', { command: 'true', args: ['true'] }, /not both/],
      ['with: a string', 'make', /options|with/],
    ];
    for (const [name, options, message] of opts) {
      expectCascadenceError(
        CLASSES.options,
        `Engine.prepare shell ${name}`,
        () => engine.prepare(defineFlow({ name: 'o', steps: { a: { uses: 'shell', with: options } } })),
        ErrorCode.INVALID_OPTIONS,
        message,
      );
    }
  });

  it('loadPlugins reports each broken plugin once (never throws, never imports what it must not), the rest still load', async () => {
    // In a plain node process: plugins are loaded with a real import(), which jest's module sandbox cannot do.
    const coreEntry = join(packageDir('@cascadence/core'), 'dist', 'index.js');
    const checks = await mapLimit(PLUGIN_CASES, 2, async (c) => {
      const project = new Project({}, 'cascadence-rel-plugins-');
      try {
        project.write(
          'package.json',
          JSON.stringify({
            name: 'p',
            private: true,
            dependencies: { 'cascadence-plugin-good': '1.0.0', ...(c.via === 'dependency' ? { 'cascadence-plugin-broken': '1.0.0' } : {}) },
          }),
        );
        for (const [path, content] of Object.entries(c.files ?? {}))
          project.write(`node_modules/cascadence-plugin-broken/${path}`, content);
        project.write(
          'node_modules/cascadence-plugin-good/package.json',
          JSON.stringify({
            name: 'cascadence-plugin-good',
            version: '1.0.0',
            type: 'module',
            main: 'index.js',
            cascadence: { apiVersion: 1, provides: ['task'] },
          }),
        );
        project.write(
          'node_modules/cascadence-plugin-good/index.js',
          `export default { name: 'cascadence-plugin-good', apiVersion: 1, tasks: [{ kind: 'task', name: 'good-task', run: () => 'good' }] };\n`,
        );
        const before = hashTree(project.dir);
        const script = `
          const core = await import(${JSON.stringify(coreEntry)});
          const problems = [];
          let threw;
          let result;
          try {
            result = await core.loadPlugins({ projectDir: ${JSON.stringify(project.dir)}, plugins: ${JSON.stringify(c.via === 'config' ? ['broken'] : [])}, onProblem: (p) => problems.push({ code: p.error.code, message: p.error.message }) });
          } catch (error) { threw = String(error); }
          let used;
          try { result.registry.get('plug-task'); } catch (error) { used = { code: error.code, message: error.message }; }
          console.log(JSON.stringify({
            threw, problems, used,
            loaded: result.loaded.map((l) => l.name),
            failed: result.failed.length,
            skipped: result.skipped.map((s) => s.plugin),
            goodTask: result.registry.has('good-task'),
          }));
        `;
        const run = await collect(spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: project.dir, env: childEnv() }));
        const out = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as {
          threw?: string;
          problems: Array<{ code: string; message: string }>;
          used?: { code: string; message: string };
          loaded: string[];
          failed: number;
          skipped: string[];
          goodTask: boolean;
        };
        const silent = c.name.startsWith('no manifest (a dependency');
        const expected = {
          threw: undefined,
          loaded: ['cascadence-plugin-good'],
          goodTask: true,
          failed: silent ? 0 : 1,
          problems: silent ? [] : [{ code: ErrorCode.PLUGIN_LOAD, message: expect.stringMatching(c.error) }],
          skipped: silent ? ['cascadence-plugin-broken'] : [],
          // Using what it would have provided raises its load error (or "unknown" when it never was a plugin).
          // (PLUGIN_LOAD when its manifest named the task, else UNKNOWN_TASK whose message carries the load error).
          used: silent
            ? { code: ErrorCode.UNKNOWN_TASK, message: 'unknown task "plug-task"' }
            : { code: expect.stringMatching(/^CASCADENCE_(PLUGIN_LOAD|UNKNOWN_TASK)$/), message: expect.stringMatching(c.error) },
        };
        const changes = diffTrees(before, hashTree(project.dir));
        const ok = matches(out, expected) && changes.length === 0;
        api.push({ cls: CLASSES.plugins, name: `loadPlugins: ${c.name}`, ok });
        return {
          actual: { name: c.name, stderr: run.stderr, changes, ...out },
          expected: { name: c.name, stderr: '', changes: [], ...expected },
        };
      } finally {
        project.remove();
      }
    });
    for (const { actual, expected } of checks) expect(actual).toEqual(expected);
  });

  it('the in-process CLI (main) refuses an 11 MB --input-file and bad --input JSON too, never exiting the host process', async () => {
    const project = new Project(baseFiles('tasks'));
    try {
      project.write('data/big.json', `[${'1,'.repeat(5_500_000)}1]`);
      const before = hashTree(project.dir);
      const script = `
        const { main, exitCodeOf } = await import(${JSON.stringify(join(packageDir('@cascadence/cli'), 'dist', 'index.js'))});
        const out = [];
        for (const args of [['run', 'tick', '--input-file', 'data/big.json'], ['run', 'tick', '--input', '{'], ['run', 'nope'], ['schedule', 'tick', '61 * * * *']]) {
          try { await main(args); out.push({ args, resolved: true }); } catch (error) { out.push({ args, message: error.message, exit: exitCodeOf(error) }); }
        }
        console.log(JSON.stringify({ out, exitCode: process.exitCode ?? null }));
      `;
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: project.dir, env: childEnv() });
      const result = await collect(child);
      expect(result.code).toBe(0);
      const { out, exitCode } = JSON.parse(result.stdout.trim().split('\n').pop() as string) as {
        out: Array<{ message: string; exit: number }>;
        exitCode: number | null;
      };
      const expected: Array<[number, RegExp, string]> = [
        [1, /^--input-file data\/big\.json is 11000003 bytes; the limit is 10485760 bytes/, CLASSES.oversized],
        [1, /^--input is not valid JSON: /, CLASSES.input],
        [1, /^unknown task "nope"$/, CLASSES.unknown],
        [1, /^invalid cron expression "61 \* \* \* \*": minute field "61" is out of range/, CLASSES.cron],
      ];
      expected.forEach(([exit, message, cls], i) => {
        const ok = out[i]?.exit === exit && message.test(out[i]?.message ?? '');
        api.push({ cls, name: `main(${i})`, ok });
        expect({ i, exit: out[i]?.exit, message: out[i]?.message }).toEqual({ i, exit, message: expect.stringMatching(message) });
      });
      expect(exitCode).toBeNull();
      expect(diffTrees(before, hashTree(project.dir))).toEqual([]);
    } finally {
      project.remove();
    }
  });
});
