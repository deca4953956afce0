import type { FileContent } from './harness';
import { prng } from './harness';

/**
 * The bad-input corpus run through the `task` binary. Each case is a project (a base plus its own
 * files), a command line, and what must come out: the exit code and the one `error:` line.
 */
export interface CliCase {
  cls: string;
  name: string;
  base?: Base;
  /** Files on top of the base; `null` removes a base file. */
  files?: Record<string, FileContent | null>;
  args: string[];
  env?: Record<string, string>;
  exit: 1 | 2;
  /** Matched against the `error:` line (after `error: `). */
  error: RegExp;
}

export type Base = 'tasks' | 'core' | 'shell' | 'yaml-config' | 'bare';

export const CLASSES = {
  schedulesYaml: 'malformed YAML: schedules.yml',
  flowYaml: 'malformed flow files (YAML/JSON)',
  configYaml: 'malformed YAML: cascadence.config.yaml',
  cron: 'invalid cron expressions',
  unknown: 'unknown tasks / processors / backends',
  input: 'invalid --input JSON',
  cycles: 'cyclic and self-referencing flows',
  duplicates: 'duplicate step ids',
  options: 'processor options of the wrong type',
  aliasBomb: 'YAML alias bomb',
  oversized: 'oversized input file',
  plugins: 'broken plugin packages',
  usage: 'usage errors (exit 2)',
} as const;

const TASKS_MJS = `export const tick = { kind: 'task', name: 'tick', run: () => 'tick' };\nexport const tock = { kind: 'task', name: 'tock', run: () => 'tock' };\n`;

export function baseFiles(base: Base): Record<string, FileContent> {
  const pkg = (extra: Record<string, unknown> = {}) =>
    JSON.stringify({ name: 'bad-input-project', private: true, type: 'module', ...extra }, null, 2) + '\n';
  const common = {
    'tasks.mjs': TASKS_MJS,
    'schedules.yml': '# existing schedules\ntock: "0 3 * * *" # keep me\n',
    '.cascadence/tasks.json': '{ "disabled": [] }\n',
    'data/input.json': '{ "n": 1 }\n',
  };
  switch (base) {
    case 'bare':
      return { 'package.json': pkg() };
    case 'tasks':
    case 'core':
      return { 'package.json': pkg(), 'cascadence.config.mjs': `export default { tasks: ['./tasks.mjs'] };\n`, ...common };
    case 'shell':
      return {
        'package.json': pkg({ dependencies: { '@cascadence/plugin-shell': '0.1.0' } }),
        'cascadence.config.mjs': `export default { tasks: ['./tasks.mjs'] };\n`,
        ...common,
      };
    case 'yaml-config':
      return { 'package.json': pkg(), ...common };
  }
}

/** Packages each base links into node_modules. */
export function baseLinks(base: Base): string[] {
  if (base === 'core') return ['@cascadence/core'];
  if (base === 'shell') return ['@cascadence/core', '@cascadence/plugin-shell'];
  return [];
}

/** A YAML "billion laughs": 10 levels of 10 aliases each (10^10 nodes if expanded). */
export function aliasBomb(levels = 10): string[] {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < levels; i++) {
    const prev = String.fromCharCode(96 + i);
    const next = String.fromCharCode(97 + i);
    lines.push(`${next}: &${next} [${Array.from({ length: 10 }, () => `*${prev}`).join(',')}]`);
  }
  return lines;
}

/** Deterministic binary junk (NULs, control bytes, invalid UTF-8). */
export function garbage(size: number, seed: number): Buffer {
  const random = prng(seed);
  return Buffer.from(Array.from({ length: size }, () => Math.floor(random() * 256)));
}

const S = CLASSES.schedulesYaml;
const F = CLASSES.flowYaml;
const C = CLASSES.configYaml;

const flow = (body: string): Record<string, string> => ({ 'flows/f.yml': body });

export const INVALID_CRONS: Array<[string, RegExp]> = [
  // out-of-range fields, one per field (5 and 6 fields)
  ['60 * * * * *', /second field "60" is out of range \(0-59\)/],
  ['61 * * * *', /minute field "61" is out of range \(0-59\)/],
  ['0 24 * * *', /hour field "24" is out of range \(0-23\)/],
  ['0 0 0 * *', /day-of-month field "0" is out of range \(1-31\)/],
  ['0 0 32 * *', /day-of-month field "32" is out of range \(1-31\)/],
  ['0 0 * 0 *', /month field "0" is out of range/],
  ['0 0 * 13 *', /month field "13" is out of range/],
  ['0 0 * * 8', /day-of-week field "8" is out of range/],
  ['-1 * * * *', /minute field "-1"/],
  ['0 0 30 2 *', /that day never occurs in the given month/],
  ['0 0 31 4 *', /that day never occurs in the given month/],
  ['2147483648 * * * *', /minute field "2147483648" is out of range/],
  // wrong field counts
  ['*', /has 1 field/],
  ['* *', /has 2 fields/],
  ['* * *', /has 3 fields/],
  ['* * * *', /has 4 fields/],
  ['* * * * * * *', /has 7 fields/],
  ['0 0 0 * * * * *', /has 8 fields/],
  // garbage
  ['', /expected a non-empty string/],
  ['   ', /expected a non-empty string/],
  ['every day', /"every day"/],
  ['@sometimes', /unknown macro/],
  ['@reboot', /@reboot is not supported/],
  ['*/0 * * * *', /cannot repeat at every 0/],
  ['5-1 * * * *', /Invalid range: 5-1/],
  ['1,,2 * * * *', /minute field "1,,2"/],
  ['1-2-3 * * * *', /minute field "1-2-3" is invalid/],
  ['L * * * *', /minute field "L" is invalid/],
  ['0 0 * * 1#6', /day-of-week field "1#6" is invalid/],
  ['0 0 * JANUARY *', /month field "JANUARY" is invalid/],
  ['a b c d e', /minute field "a"/],
  ['0 0 * * MON-FUNDAY', /day-of-week field "MON-FUNDAY"/],
  ['０ * * * *', /minute field "０"/],
  ['* * * * *\n* * * * *', /has 10 fields|newline|"\* \* \* \* \*\\n/],
  [`${'1,'.repeat(3000)}1 * * * *`, /minute field/],
  // accepted (and stored) before issue 14: steps beyond their range, line breaks
  ['*/60 * * * * *', /second field "\*\/60" has a step of 60, larger than the range 0-59/],
  ['0 0-23/25 * * *', /hour field "0-23\/25" has a step of 25, larger than the range 0-23/],
  ['0 12 * * *\n', /contains a line break or control character \(\\n\) after field 5/],
  ['0 12\r\n* * *', /contains a line break or control character \(\\r\) after field 2/],
];

export const CLI_CASES: CliCase[] = [
  // ------------------------------------------------------------------ schedules.yml
  ...(
    [
      [
        'unclosed flow sequence',
        'tock: "0 3 * * *"\nbad: [unclosed\n',
        /schedules\.yml:\d+:\d+: cannot parse the schedules file: .*\(the file was not changed; fix it by hand\)$/,
      ],
      [
        'duplicate key',
        'tock: "0 3 * * *"\ntock: "0 4 * * *"\n',
        /schedules\.yml:2:1: cannot parse the schedules file: (duplicate key "tock"|Map keys must be unique)/,
      ],
      ['unterminated quote', 'tock: "0 3 * * *\n', /schedules\.yml:\d+:\d+: cannot parse the schedules file: /],
      ['tab indentation', 'tock:\n\t"0 3 * * *"\n', /schedules\.yml:\d+:\d+: cannot parse the schedules file: /],
      ['bad indentation', 'tock: "0 3 * * *"\n  tick: "0 4 * * *"\n', /schedules\.yml:\d+:\d+: cannot parse the schedules file: /],
      [
        'top level is a list',
        '- tock\n- tick\n',
        /schedules\.yml:1:1: the schedules file must be a mapping from task name to cron expression .*found a list/,
      ],
      ['top level is a scalar', 'just some words\n', /schedules\.yml:1:1: the schedules file must be a mapping .*found a single value/],
      ['binary garbage', garbage(512, 7), /schedules\.yml:\d+:\d+: /],
      ['two documents', 'tock: "0 3 * * *"\n---\ntick: "0 4 * * *"\n', /schedules\.yml:\d+:\d+: cannot parse the schedules file: /],
    ] as Array<[string, FileContent, RegExp]>
  ).flatMap(([name, content, error]): CliCase[] => [
    {
      cls: S,
      name: `${name} (task schedule)`,
      files: { 'schedules.yml': content },
      args: ['schedule', 'tick', '0 1 * * *'],
      exit: 1,
      error,
    },
    { cls: S, name: `${name} (task scheduler)`, files: { 'schedules.yml': content }, args: ['scheduler'], exit: 1, error },
  ]),
  // schedules.yml is a folder: the error names the path (it was a bare EISDIR)
  ...[['schedule', 'tick', '0 1 * * *'], ['schedules'], ['unschedule', 'tock'], ['scheduler']].map((args): CliCase => ({
    cls: S,
    name: `schedules.yml is a folder (task ${args[0]})`,
    files: { 'schedules.yml': null, 'schedules.yml/.keep': '' },
    args,
    exit: 1,
    error: /schedules\.yml: cannot read the schedules file: it is a directory, not a file$/,
  })),
  ...(
    [
      ['entry is a list', 'tock: [1, 2]\n', /schedules\.yml:1:7: schedule "tock": expected a cron expression string/],
      ['entry is a number', 'tock: 5\n', /schedules\.yml:1:7: schedule "tock": expected a cron expression string/],
      ['long form without cron', 'tock: { timezone: "UTC" }\n', /schedule "tock": "cron" is required/],
      [
        'unknown option in long form',
        'tock: { cron: "0 3 * * *", timezon: "UTC" }\n',
        /schedule "tock": unknown option "timezon" \(did you mean "timezone"\?\)/,
      ],
      [
        'unknown time zone',
        'tock: { cron: "0 3 * * *", timezone: "Mars/Olympus" }\n',
        /schedule "tock": (unknown|invalid) time zone "Mars\/Olympus"/,
      ],
      [
        'jitter of the wrong type',
        'tock: { cron: "0 3 * * *", jitterMs: "lots" }\n',
        /schedule "tock": jitterMs must be a non-negative integer/,
      ],
      ['paused of the wrong type', 'tock: { cron: "0 3 * * *", paused: "yes" }\n', /schedule "tock": paused must be true or false/],
      [
        'invalid cron in the file',
        'tock: "61 * * * *"\n',
        /schedule "tock": invalid cron expression "61 \* \* \* \*": minute field "61" is out of range/,
      ],
      ['empty key', '"": "0 3 * * *"\n', /schedules\.yml:1:1: (entry|schedule ""): the key must be a task name/],
    ] as Array<[string, string, RegExp]>
  ).map(([name, content, error]): CliCase => ({
    cls: S,
    name: `${name} (task scheduler)`,
    files: { 'schedules.yml': content },
    args: ['scheduler'],
    exit: 1,
    error,
  })),

  // ------------------------------------------------------------------ flow files
  ...(
    [
      ['YAML syntax error', flow('name: f\nsteps: [\n'), /^flows\/f\.yml: invalid YAML at line \d+, column \d+: /],
      [
        'duplicate step key (YAML)',
        flow('name: f\nsteps:\n  a: { task: tick }\n  a: { task: tock }\n'),
        /^flows\/f\.yml: invalid YAML at line 4, column 3: Map keys must be unique/,
      ],
      ['not a mapping', flow('- a\n- b\n'), /^flows\/f\.yml: a flow must be a mapping with "name" and "steps"/],
      ['empty file', flow(''), /^flows\/f\.yml: a flow must be a mapping/],
      [
        'steps is a list',
        flow('name: f\nsteps: [a, b]\n'),
        /^flows\/f\.yml: "steps" must be a mapping from step id to step \(line 2, column 8\)/,
      ],
      [
        'unknown key in a step',
        flow('name: f\nsteps:\n  a:\n    task: tick\n    neds: [b]\n'),
        /^flows\/f\.yml: step "a".* unknown key "neds" \(did you mean "needs"\?\).*\(line 5, column \d+\)/,
      ],
      [
        'unknown key in the flow',
        flow('name: f\nstep:\n  a: { task: tick }\n'),
        /^flows\/f\.yml: .*unknown key "step" \(did you mean "steps"\?\)/,
      ],
      [
        'needs an unknown step',
        flow('name: f\nsteps:\n  a:\n    task: tick\n    needs: [zzz]\n'),
        /^flows\/f\.yml: flow "f": step "a" needs unknown step "zzz" \(line \d+, column \d+\)/,
      ],
      ['no name', flow('steps:\n  a: { task: tick }\n'), /^flows\/f\.yml: "name" must be a non-empty string/],
      ['name with a space', flow('name: my flow\nsteps:\n  a: { task: tick }\n'), /^flows\/f\.yml: .*"my flow" is invalid/],
      [
        'unknown trigger rule',
        flow('name: f\nsteps:\n  a: { task: tick }\n  b: { task: tock, needs: [a], when: sometimes }\n'),
        /^flows\/f\.yml: .*"when" must be one of all-succeeded, all-done, any-failed, none-failed, one-succeeded, all-failed, always \(got "sometimes"\)/,
      ],
      [
        'retry attempts not a number',
        flow('name: f\nsteps:\n  a: { task: tick, retry: { attempts: three } }\n'),
        /^flows\/f\.yml: .*attempts/,
      ],
      [
        'timeoutMs not a number',
        flow('name: f\nsteps:\n  a: { task: tick, timeoutMs: soon }\n'),
        /^flows\/f\.yml: step "a": "timeoutMs" must be a number/,
      ],
      [
        '"run" in a YAML flow',
        flow('name: f\nsteps:\n  a: { run: "console.log(1)" }\n'),
        /^flows\/f\.yml: step "a".*("run" is only available in code|unknown key "run")/,
      ],
      [
        'step without task or uses',
        flow('name: f\nsteps:\n  a: { needs: [] }\n'),
        /^flows\/f\.yml: step "a" needs "uses: <processor>" or "task: <name>"/,
      ],
      ['binary garbage', { 'flows/f.yml': garbage(512, 11) }, /^flows\/f\.yml: /],
      ['JSON flow: invalid JSON', { 'flows/f.json': '{"name": "f", "steps": {' }, /^flows\/f\.json: invalid JSON: /],
      ['JSON flow: steps not a mapping', { 'flows/f.json': '{"name": "f", "steps": 5}' }, /^flows\/f\.json: "steps" must be a mapping/],
    ] as Array<[string, Record<string, FileContent>, RegExp]>
  )
    // A broken flow file no longer fails every command (issue 15): running that flow does.
    .map(([name, files, error]): CliCase => ({
      cls: F,
      name,
      files,
      args: ['run', name === 'name with a space' ? 'my flow' : 'f'],
      exit: 1,
      error,
    })),

  // ------------------------------------------------------------------ cascadence.config.yaml
  ...(
    [
      ['YAML syntax error', 'tasks: [a\nbackend: b\n', /cascadence\.config\.yaml: invalid YAML at line \d+, column \d+: /],
      ['unknown setting', 'taks: [./tasks.mjs]\n', /cascadence\.config\.yaml: unknown setting "taks" \(did you mean "tasks"\?\)/],
      ['tasks is a string', 'tasks: ./tasks.mjs\n', /cascadence\.config\.yaml: "tasks" must be a list of paths \(got "\.\/tasks\.mjs"\)/],
      ['concurrency negative', 'concurrency: -1\n', /cascadence\.config\.yaml: "concurrency" must be a positive integer \(got -1\)/],
      [
        'concurrency not a number',
        'concurrency: many\n',
        /cascadence\.config\.yaml: "concurrency" must be a positive integer \(got "many"\)/,
      ],
      ['backend not a string', 'backend: 42\n', /cascadence\.config\.yaml: "backend" must be a string \(got 42\)/],
      ['plugins of the wrong shape', 'plugins: { use: acme }\n', /cascadence\.config\.yaml: "plugins" must be a list of plugin names/],
      ['top level is a list', '- tasks\n', /cascadence\.config\.yaml: the config must be an object/],
      ['empty file', '', /cascadence\.config\.yaml: the config must be an object/],
      [
        'duplicate key',
        'tasks: [./tasks.mjs]\ntasks: [./other.mjs]\n',
        /cascadence\.config\.yaml: invalid YAML at line 2, column 1: Map keys must be unique/,
      ],
      ['tasks lists a missing file', 'tasks: [./missing.mjs]\n', /"tasks" lists \.\/missing\.mjs, which does not exist in /],
      ['temporal not a mapping', 'temporal: localhost:7233\n', /cascadence\.config\.yaml: "temporal" must be a mapping/],
      ['binary garbage', garbage(256, 13), /cascadence\.config\.yaml: /],
    ] as Array<[string, FileContent, RegExp]>
  ).map(([name, content, error]): CliCase => ({
    cls: C,
    name,
    base: 'yaml-config',
    files: { 'cascadence.config.yaml': content },
    args: ['list'],
    exit: 1,
    error,
  })),

  // ------------------------------------------------------------------ cron expressions
  ...INVALID_CRONS.map(([expr, detail]): CliCase => ({
    cls: CLASSES.cron,
    name: JSON.stringify(expr.length > 40 ? `${expr.slice(0, 40)}…` : expr),
    args: ['schedule', 'tick', expr],
    exit: 1,
    error: new RegExp(`^invalid cron expression .*${detail.source}`),
  })),
  {
    cls: CLASSES.cron,
    name: 'valid cron, unknown --timezone',
    args: ['schedule', 'tick', '0 1 * * *', '--timezone', 'Mars/Olympus'],
    exit: 1,
    error: /Mars\/Olympus/,
  },
  {
    cls: CLASSES.cron,
    name: 'valid cron, bad --catch-up',
    args: ['schedule', 'tick', '0 1 * * *', '--catch-up', 'a while'],
    exit: 1,
    error: /catchUp\.window|"a while"/,
  },

  // ------------------------------------------------------------------ unknown names
  ...(
    [
      ['task run of an unknown task', ['run', 'nope'], {}, /^unknown task "nope"$/],
      ['task run of a misspelt task', ['run', 'tik'], {}, /^unknown task "tik" \(did you mean "tick"\?\)$/],
      ['task schedule of an unknown task', ['schedule', 'tik', '0 1 * * *'], {}, /^unknown task "tik" \(did you mean "tick"\?\)$/],
      ['task graph of an unknown flow', ['graph', 'nope'], {}, /^unknown task "nope"/],
      ['task disable of an unknown task', ['disable', 'nope'], {}, /^unknown task "nope"/],
      ['task enable of an unknown task', ['enable', 'nope'], {}, /^unknown task "nope"/],
      ['task unschedule of a task with no schedule', ['unschedule', 'tick'], {}, /^no schedule for task "tick" in .*schedules\.yml/],
      [
        'flow step uses an unknown processor',
        ['run', 'f'],
        flow('name: f\nsteps:\n  a: { uses: shel }\n'),
        /^flow "f", step "a": unknown processor "shel"/,
      ],
      [
        'flow step names an unknown task',
        ['run', 'f'],
        flow('name: f\nsteps:\n  a: { task: tik }\n'),
        /^flow "f", step "a": unknown task "tik" \(did you mean "tick"\?\)/,
      ],
      ['--backend unknown', ['run', 'tick', '--backend', 'nope'], {}, /^unknown backend "nope"/],
      ['task scheduler --backend unknown', ['scheduler', '--backend', 'nope'], {}, /^unknown backend "nope"/],
    ] as Array<[string, string[], Record<string, FileContent>, RegExp]>
  ).map(([name, args, files, error]): CliCase => ({ cls: CLASSES.unknown, name, args, files, exit: 1, error })),
  {
    cls: CLASSES.unknown,
    name: 'CASCADENCE_BACKEND unknown',
    args: ['run', 'tick'],
    env: { CASCADENCE_BACKEND: 'elsewhere' },
    exit: 1,
    error: /^unknown backend "elsewhere"/,
  },
  {
    cls: CLASSES.unknown,
    name: 'config backend unknown',
    base: 'yaml-config',
    files: { 'cascadence.config.yaml': 'tasks: [./tasks.mjs]\nbackend: locl\n' },
    args: ['run', 'tick'],
    exit: 1,
    error: /^unknown backend "locl" \(did you mean "local"\?\)/,
  },

  // ------------------------------------------------------------------ --input
  ...(['{', "{'a': 1}", '', '[1,]', 'NaN', 'undefined', '{"a": 1}}', '"unterminated', '01', '{"a": 1, }', '\u0001'] as string[]).map(
    (input): CliCase => ({
      cls: CLASSES.input,
      name: `--input ${JSON.stringify(input)}`,
      args: ['run', 'tick', '--input', input],
      exit: 1,
      error: /^--input is not valid JSON: /,
    }),
  ),
  {
    cls: CLASSES.input,
    name: '--input-file with invalid JSON',
    files: { 'data/bad.json': '{ nope }' },
    args: ['run', 'tick', '--input-file', 'data/bad.json'],
    exit: 1,
    error: /^--input-file data\/bad\.json is not valid JSON: /,
  },
  {
    cls: CLASSES.input,
    name: '--input-file with binary garbage',
    files: { 'data/bad.json': garbage(300, 17) },
    args: ['run', 'tick', '--input-file', 'data/bad.json'],
    exit: 1,
    error: /^--input-file data\/bad\.json is not valid JSON: /,
  },
  {
    cls: CLASSES.input,
    name: '--input-file missing',
    args: ['run', 'tick', '--input-file', 'data/missing.json'],
    exit: 1,
    error: /^--input-file data\/missing\.json: no such file /,
  },
  {
    cls: CLASSES.input,
    name: '--input-file is a folder',
    args: ['run', 'tick', '--input-file', 'data'],
    exit: 1,
    error: /^--input-file data: .*\/data is not a file$/,
  },

  // ------------------------------------------------------------------ cycles
  ...(
    [
      [
        'YAML two-step cycle',
        flow('name: f\nsteps:\n  a: { task: tick, needs: [b] }\n  b: { task: tock, needs: [a] }\n'),
        /^flows\/f\.yml: flow "f" has a cycle: a -> b -> a/,
      ],
      [
        'YAML three-step cycle',
        flow('name: f\nsteps:\n  a: { task: tick, needs: [c] }\n  b: { task: tock, needs: [a] }\n  c: { task: tick, needs: [b] }\n'),
        /^flows\/f\.yml: flow "f" has a cycle: a -> c -> b -> a|^flows\/f\.yml: flow "f" has a cycle: (\w -> ){3}\w/,
      ],
      ['YAML self-reference', flow('name: f\nsteps:\n  a: { task: tick, needs: [a] }\n'), /^flows\/f\.yml: flow "f" has a cycle: a -> a/],
      [
        'YAML self-reference given as a string',
        flow('name: f\nsteps:\n  a: { task: tick, needs: a }\n'),
        /^flows\/f\.yml: flow "f" has a cycle: a -> a/,
      ],
      [
        'cycle behind a valid prefix',
        flow('name: f\nsteps:\n  start: { task: tick }\n  x: { task: tick, needs: [start, y] }\n  y: { task: tock, needs: [x] }\n'),
        /^flows\/f\.yml: flow "f" has a cycle: x -> y -> x/,
      ],
      [
        'JSON two-step cycle',
        { 'flows/f.json': JSON.stringify({ name: 'f', steps: { a: { task: 'tick', needs: ['b'] }, b: { task: 'tock', needs: ['a'] } } }) },
        /^flows\/f\.json: flow "f" has a cycle: a -> b -> a/,
      ],
    ] as Array<[string, Record<string, FileContent>, RegExp]>
  ).map(([name, files, error]): CliCase => ({ cls: CLASSES.cycles, name, files, args: ['run', 'f'], exit: 1, error })),
  {
    cls: CLASSES.cycles,
    name: 'code: defineFlow with a cycle',
    base: 'core',
    files: {
      'tasks.mjs': `import { defineFlow } from '@cascadence/core';\n${TASKS_MJS}export const f = defineFlow({ name: 'f', steps: { a: { run: () => 1, needs: ['b'] }, b: { run: () => 2, needs: ['a'] } } });\n`,
    },
    args: ['list'],
    exit: 1,
    error: /^tasks\.mjs \(listed in "tasks"\) failed to load: flow "f" has a cycle: a -> b -> a$/,
  },
  {
    cls: CLASSES.cycles,
    name: 'code: defineFlow with a self-reference',
    base: 'core',
    files: {
      'tasks.mjs': `import { defineFlow } from '@cascadence/core';\n${TASKS_MJS}export const f = defineFlow({ name: 'f', steps: { a: { run: () => 1, needs: ['a'] } } });\n`,
    },
    args: ['run', 'tick'],
    exit: 1,
    error: /^tasks\.mjs \(listed in "tasks"\) failed to load: flow "f" has a cycle: a -> a$/,
  },

  // ------------------------------------------------------------------ duplicate step ids
  {
    cls: CLASSES.duplicates,
    name: 'JSON flow: duplicate keys in "steps"',
    files: { 'flows/f.json': '{ "name": "f", "steps": { "a": { "task": "tick" }, "a": { "task": "tock" } } }\n' },
    args: ['run', 'f'],
    exit: 1,
    error: /^flows\/f\.json: duplicate key "a" in "steps" \(line 1, column \d+\)/,
  },
  {
    cls: CLASSES.duplicates,
    name: 'JSON flow: steps as an array with a repeated id',
    files: {
      'flows/f.json': JSON.stringify({
        name: 'f',
        steps: [
          { id: 'a', task: 'tick' },
          { id: 'a', task: 'tock' },
        ],
      }),
    },
    args: ['run', 'f'],
    exit: 1,
    error: /^flows\/f\.json: "steps" must be a mapping/,
  },
  {
    cls: CLASSES.duplicates,
    name: 'code: defineFlow with steps as an array with a repeated id',
    base: 'core',
    files: {
      'tasks.mjs': `import { defineFlow } from '@cascadence/core';\n${TASKS_MJS}export const f = defineFlow({ name: 'f', steps: [{ id: 'a', run: () => 1 }, { id: 'a', run: () => 2 }] });\n`,
    },
    args: ['list'],
    exit: 1,
    error: /^tasks\.mjs \(listed in "tasks"\) failed to load: flow "f": duplicate step id "a"$/,
  },
  {
    cls: CLASSES.duplicates,
    name: 'two flows with the same name (YAML and JSON)',
    files: {
      'flows/a.yml': 'name: same\nsteps:\n  a: { task: tick }\n',
      'flows/b.json': JSON.stringify({ name: 'same', steps: { a: { task: 'tock' } } }),
    },
    args: ['list'],
    exit: 1,
    error: /"same"/,
  },

  // ------------------------------------------------------------------ processor options
  ...(
    [
      ['command is a number', '{ command: 42 }', /option "command" must be a string \(got number 42\)/],
      ['args is a string', '{ args: "echo hi" }', /option "args" must be a list of strings \(got string "echo hi"\)/],
      ['args holds numbers', '{ args: [1, 2] }', /option "args" must be a list of strings/],
      ['timeoutMs is a string', '{ command: "true", timeoutMs: soon }', /option "timeoutMs" must be a number \(got string "soon"\)/],
      ['env is a string', '{ command: "true", env: "A=1" }', /option "env" must be/],
      ['allowFailure is a string', '{ command: "true", allowFailure: "yes" }', /option "allowFailure" must be a boolean/],
      ['cwd is a number', '{ command: "true", cwd: 42 }', /option "cwd" must be a string/],
      ['input is a list', '{ command: "cat", input: [a] }', /option "input" must be a string/],
      ['unknown option', '{ command: "true", comand: "false" }', /unknown option "comand"/],
      [
        'command and args together',
        '{ command: "true", args: ["true"] }',
        /give either "command" \(run by a shell\) or "args" \(run directly, no shell\), not both/,
      ],
      ['neither command nor args', '{ timeoutMs: 5 }', /"command"|"args"/],
      ['shell with args', '{ args: ["true"], shell: "/bin/bash" }', /shell/],
      ['with is a string', '"make build"', /with|options/],
      ['maxOutputBytes negative', '{ command: "true", maxOutputBytes: -1 }', /maxOutputBytes/],
    ] as Array<[string, string, RegExp]>
  ).map(([name, withYaml, error]): CliCase => ({
    cls: CLASSES.options,
    name,
    base: 'shell',
    files: flow(`name: f\nsteps:\n  a:\n    uses: shell\n    with: ${withYaml}\n`),
    args: ['run', 'f'],
    exit: 1,
    error: new RegExp(`flow "f", step "a": .*${error.source}`),
  })),

  // ------------------------------------------------------------------ alias bombs
  {
    cls: CLASSES.aliasBomb,
    name: 'in a flow file',
    files: flow([...aliasBomb(), 'name: bomb', 'steps: { s: { task: tick } }', ''].join('\n')),
    args: ['run', 'f'],
    exit: 1,
    error: /^flows\/f\.yml: .*alias/i,
  },
  {
    cls: CLASSES.aliasBomb,
    name: 'in cascadence.config.yaml',
    base: 'yaml-config',
    files: { 'cascadence.config.yaml': [...aliasBomb(), 'tasks: [./tasks.mjs]', ''].join('\n') },
    args: ['list'],
    exit: 1,
    error: /cascadence\.config\.yaml: .*alias/i,
  },
  {
    cls: CLASSES.aliasBomb,
    name: 'in schedules.yml (task scheduler)',
    files: { 'schedules.yml': [...aliasBomb(), 'tock: "0 3 * * *"', ''].join('\n') },
    args: ['scheduler'],
    exit: 1,
    error: /schedules\.yml:\d+:\d+: .*(alias|expected a cron expression)/i,
  },
  // task schedule leaves other (even malformed) entries alone and never expands aliases; removing the anchored entry cannot be written back.
  {
    cls: CLASSES.aliasBomb,
    name: 'in schedules.yml (task unschedule of the anchored entry)',
    files: { 'schedules.yml': [...aliasBomb(), 'tock: "0 3 * * *"', ''].join('\n') },
    args: ['unschedule', 'a'],
    exit: 1,
    error: /alias/i,
  },
  {
    cls: CLASSES.aliasBomb,
    name: 'in an --input-file (JSON only, no aliases)',
    files: { 'data/bomb.json': [...aliasBomb(), ''].join('\n') },
    args: ['run', 'tick', '--input-file', 'data/bomb.json'],
    exit: 1,
    error: /^--input-file data\/bomb\.json is not valid JSON/,
  },

  // ------------------------------------------------------------------ oversized input
  {
    cls: CLASSES.oversized,
    name: '--input-file of 11 MB',
    files: { 'data/big.json': `[${'1,'.repeat(5_500_000)}1]` },
    args: ['run', 'tick', '--input-file', 'data/big.json'],
    exit: 1,
    error: /^--input-file data\/big\.json is 11000003 bytes; the limit is 10485760 bytes \(10 MiB\)/,
  },
  {
    cls: CLASSES.oversized,
    name: '--input-file of 10 MiB + 1 byte',
    files: { 'data/big.json': `"${'x'.repeat(10 * 1024 * 1024 - 1)}"` },
    args: ['run', 'tick', '--input-file', 'data/big.json'],
    exit: 1,
    error: /^--input-file data\/big\.json is 10485761 bytes; the limit is 10485760 bytes/,
  },

  // ------------------------------------------------------------------ usage errors
  ...(
    [
      ['task run without a name', ['run'], /Missing 1 required arg/],
      ['task schedule without a cron expression', ['schedule', 'tick'], /Missing 1 required arg/],
      ['unknown command', ['nonsense'], /^unknown command "nonsense"/],
      ['unknown flag', ['run', 'tick', '--bogus'], /unknown flag "--bogus"; run "task run --help" for the flags/],
      [
        '--input and --input-file together',
        ['run', 'tick', '--input', '{}', '--input-file', 'data/input.json'],
        /--input-file=data\/input\.json cannot also be provided when using --input/,
      ],
      [
        '--metrics-port not a number',
        ['scheduler', '--metrics-port', 'abc'],
        /^Parsing --metrics-port: Expected an integer but received: abc$/,
      ],
      [
        '--metrics-port out of range',
        ['run', 'tick', '--metrics-port', '70000'],
        /^Parsing --metrics-port: Expected an integer less than or equal to 65535 but received: 70000$/,
      ],
      ['--format not allowed', ['graph', 'tick', '--format', 'svg'], /^Expected --format=svg to be one of: mermaid, dot$/],
      [
        '--overlap not allowed',
        ['schedule', 'tick', '0 1 * * *', '--overlap', 'sometimes'],
        /^Expected --overlap=sometimes to be one of: skip, buffer-one, allow$/,
      ],
      [
        '--jitter negative',
        ['schedule', 'tick', '0 1 * * *', '--jitter', '-5'],
        /^Parsing --jitter: Expected an integer greater than or equal to 0 but received: -5$/,
      ],
      ['--cwd that does not exist', ['list', '--cwd', 'no/such/dir'], /^Parsing --cwd: No directory found at no\/such\/dir$/],
      ['extra argument', ['run', 'tick', 'extra'], /Unexpected argument: extra/],
    ] as Array<[string, string[], RegExp]>
  ).map(([name, args, error]): CliCase => ({ cls: CLASSES.usage, name, args, exit: 2, error })),
];

/** Broken plugin packages, one per way the loader knows; each declares the task it would provide. */
export interface PluginCase {
  name: string;
  /** Files under node_modules/<package>/ ; `undefined` = not installed. */
  files: Record<string, string> | undefined;
  /** Listed in the project's dependencies, or in the config's plugins.use. */
  via: 'dependency' | 'config';
  /** The command run (its task comes from the plugin). */
  task: string;
  error: RegExp;
}

const manifest = (extra: Record<string, unknown> = {}, task = 'plug-task') => ({
  apiVersion: 1,
  provides: ['task'],
  tasks: [task],
  ...extra,
});
const pkgJson = (name: string, cascadence?: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    name,
    version: '1.0.0',
    type: 'module',
    main: 'index.js',
    ...(cascadence === undefined ? {} : { cascadence }),
    ...extra,
  });
const goodPlugin = (name: string) =>
  `export default { name: '${name}', apiVersion: 1, kind: 'plugin', tasks: [{ kind: 'task', name: 'plug-task', run: () => 'plugged' }] };\n`;
/** Plugin code that would leave a marker file in the project if it were ever imported. */
export const MARKER_CODE = `import { writeFileSync } from 'node:fs';\nwriteFileSync(new URL('../../IMPORTED-MARKER', import.meta.url), 'imported');\n`;

export const PLUGIN_CASES: PluginCase[] = [
  {
    name: 'no manifest (a dependency matching the name pattern)',
    files: { 'package.json': pkgJson('cascadence-plugin-broken'), 'index.js': MARKER_CODE + goodPlugin('cascadence-plugin-broken') },
    via: 'dependency',
    task: 'plug-task',
    error: /^unknown task "plug-task"$/,
  },
  {
    name: 'no manifest (listed in the config)',
    files: { 'package.json': pkgJson('cascadence-plugin-broken'), 'index.js': MARKER_CODE + goodPlugin('cascadence-plugin-broken') },
    via: 'config',
    task: 'plug-task',
    error:
      /plugin cascadence-plugin-broken \(.*node_modules\/cascadence-plugin-broken\) failed to load: its package\.json has no "cascadence" manifest/,
  },
  {
    name: 'unsupported apiVersion',
    files: {
      'package.json': pkgJson('cascadence-plugin-broken', manifest({ apiVersion: 2 })),
      'index.js': MARKER_CODE + goodPlugin('cascadence-plugin-broken'),
    },
    via: 'dependency',
    task: 'plug-task',
    error:
      /^plugin cascadence-plugin-broken \(.*\) failed to load: it declares plugin apiVersion 2, but this @cascadence\/core supports 1$/,
  },
  {
    name: 'apiVersion not a number',
    files: {
      'package.json': pkgJson('cascadence-plugin-broken', manifest({ apiVersion: '1' })),
      'index.js': MARKER_CODE + goodPlugin('cascadence-plugin-broken'),
    },
    via: 'dependency',
    task: 'plug-task',
    error: /plugin cascadence-plugin-broken \(.*\) failed to load: its "cascadence" manifest has no numeric apiVersion/,
  },
  {
    name: 'manifest not an object',
    files: { 'package.json': pkgJson('cascadence-plugin-broken', true), 'index.js': MARKER_CODE + goodPlugin('cascadence-plugin-broken') },
    via: 'dependency',
    task: 'plug-task',
    error: /plugin cascadence-plugin-broken \(.*\) failed to load: its "cascadence" manifest has no numeric apiVersion/,
  },
  {
    name: 'import throws',
    files: {
      'package.json': pkgJson('cascadence-plugin-broken', manifest()),
      'index.js': `throw new Error('plugin exploded on import');\n`,
    },
    via: 'dependency',
    task: 'plug-task',
    error: /^plugin cascadence-plugin-broken \(.*node_modules\/cascadence-plugin-broken\) failed to load: plugin exploded on import$/,
  },
  {
    name: 'import has a syntax error',
    files: { 'package.json': pkgJson('cascadence-plugin-broken', manifest()), 'index.js': `export default {;\n` },
    via: 'dependency',
    task: 'plug-task',
    error: /^plugin cascadence-plugin-broken \(.*\) failed to load: .*(Unexpected token|SyntaxError)/,
  },
  {
    name: 'default export is a number',
    files: { 'package.json': pkgJson('cascadence-plugin-broken', manifest()), 'index.js': `export default 42;\n` },
    via: 'dependency',
    task: 'plug-task',
    error:
      /^plugin cascadence-plugin-broken \(.*\) failed to load: its default export is not a plugin: the export is number, not a plugin object \(use definePlugin\)$/,
  },
  {
    name: 'default export without apiVersion',
    files: { 'package.json': pkgJson('cascadence-plugin-broken', manifest()), 'index.js': `export default { name: 'x', tasks: [] };\n` },
    via: 'dependency',
    task: 'plug-task',
    error: /^plugin cascadence-plugin-broken \(.*\) failed to load: its default export is not a plugin: plugin "x" has no apiVersion$/,
  },
  {
    name: 'no default export',
    files: { 'package.json': pkgJson('cascadence-plugin-broken', manifest()), 'index.js': `export const plugin = 1;\n` },
    via: 'dependency',
    task: 'plug-task',
    error: /^plugin cascadence-plugin-broken \(.*\) failed to load: its default export is not a plugin: /,
  },
  {
    name: 'setup() throws',
    files: {
      'package.json': pkgJson('cascadence-plugin-broken', manifest()),
      'index.js': `export default { name: 'cascadence-plugin-broken', apiVersion: 1, setup() { throw new Error('setup refused'); } };\n`,
    },
    via: 'dependency',
    task: 'plug-task',
    error: /^plugin cascadence-plugin-broken \(.*\) failed to load: setup refused$/,
  },
  {
    name: 'entry file missing',
    files: { 'package.json': pkgJson('cascadence-plugin-broken', manifest(), { main: 'dist/index.js' }) },
    via: 'dependency',
    task: 'plug-task',
    error:
      /^plugin cascadence-plugin-broken \(.*\) failed to load: its entry file .*dist\/index\.js does not exist \(is the package built\?\)$/,
  },
  {
    name: 'package.json is not JSON',
    files: { 'package.json': '{ "name": "cascadence-plugin-broken", ', 'index.js': MARKER_CODE },
    via: 'dependency',
    task: 'plug-task',
    error: /plugin cascadence-plugin-broken .*failed to load: .*JSON/,
  },
  {
    name: 'listed in dependencies but not installed',
    files: undefined,
    via: 'dependency',
    task: 'plug-task',
    error: /plugin cascadence-plugin-broken is not installed in .* \(run: npm install cascadence-plugin-broken\)/,
  },
  {
    name: 'listed in the config but not installed',
    files: undefined,
    via: 'config',
    task: 'plug-task',
    error: /plugin cascadence-plugin-broken is not installed in .* \(run: npm install cascadence-plugin-broken\)/,
  },
];
