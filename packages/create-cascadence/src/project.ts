import { cascadenceRange, toolVersion, type TemplateVersions } from './versions';

export type Language = 'ts' | 'js';

/** The optional parts of a project. */
export const PROJECT_PARTS = ['schedules', 'metrics', 'temporal', 'shell', 'http'] as const;
export type ProjectPart = (typeof PROJECT_PARTS)[number];

export const PART_DESCRIPTIONS: Record<ProjectPart, string> = {
  schedules: 'cron schedules (schedules.yml, `task scheduler`)',
  metrics: 'Prometheus metrics (@cascadence/metrics)',
  temporal: 'Temporal: run the same flows as durable workflows (@cascadence/temporal)',
  shell: 'shell steps in YAML flows (@cascadence/plugin-shell)',
  http: 'HTTP request steps in YAML flows (@cascadence/plugin-http)',
};

export interface ProjectOptions {
  /** npm package name of the project. */
  name: string;
  language: Language;
  parts: Record<ProjectPart, boolean>;
}

/** Files of a new project, by path relative to its folder ('/' separators). */
export type FileMap = Record<string, string>;

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
const sortKeys = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));

/** The code flow, YAML flow and task names every project has. */
export const PROJECT_NAMES = { codeFlow: 'stats', yamlFlow: 'report', httpFlow: 'ping', tasks: ['load-numbers', 'summarize'] } as const;

export function renderProject(options: ProjectOptions, versions: TemplateVersions): FileMap {
  const { parts } = options;
  const ts = options.language === 'ts';
  const ext = ts ? 'ts' : 'js';
  const files: FileMap = {};

  // package.json
  const dependencies: Record<string, string> = {
    '@cascadence/cli': cascadenceRange(versions, '@cascadence/cli'),
    '@cascadence/core': cascadenceRange(versions, '@cascadence/core'),
  };
  if (parts.metrics) dependencies['@cascadence/metrics'] = cascadenceRange(versions, '@cascadence/metrics');
  if (parts.temporal) dependencies['@cascadence/temporal'] = cascadenceRange(versions, '@cascadence/temporal');
  if (parts.shell) dependencies['@cascadence/plugin-shell'] = cascadenceRange(versions, '@cascadence/plugin-shell');
  if (parts.http) dependencies['@cascadence/plugin-http'] = cascadenceRange(versions, '@cascadence/plugin-http');
  const devDependencies: Record<string, string> = {};
  if (ts) {
    for (const tool of ['@types/node', 'tsx', 'typescript']) devDependencies[tool] = toolVersion(versions, tool);
  }
  const scripts: Record<string, string> = {
    start: `task run ${PROJECT_NAMES.yamlFlow}`,
    test: ts ? 'node --import tsx --test test/*.test.ts' : 'node --test test/*.test.js',
  };
  if (ts) scripts.typecheck = 'tsc --noEmit';
  if (parts.schedules) scripts.scheduler = 'task scheduler';
  if (parts.temporal) scripts.worker = 'task worker';
  files['package.json'] = json({
    name: options.name,
    version: '0.1.0',
    private: true,
    type: 'module',
    engines: { node: '>=20' },
    scripts,
    dependencies: sortKeys(dependencies),
    ...(ts ? { devDependencies: sortKeys(devDependencies) } : {}),
  });

  files['.gitignore'] = ['node_modules/', '# Cascadence state: disabled tasks, schedule run state, compiled TypeScript', '.cascadence/', 'dist/', '*.log', ''].join('\n');

  files[`cascadence.config.${ext}`] = renderConfig(options);
  if (ts) files['tsconfig.json'] = json(TSCONFIG);
  files[`src/tasks.${ext}`] = ts ? TASKS_TS : TASKS_JS;
  files[`flows/${PROJECT_NAMES.yamlFlow}.yml`] = renderReportFlow(options);
  if (parts.http) files[`flows/${PROJECT_NAMES.httpFlow}.yml`] = PING_FLOW;
  if (parts.schedules) files['schedules.yml'] = SCHEDULES;
  files[`test/project.test.${ext}`] = renderTest(options);
  files['README.md'] = renderReadme(options);
  return files;
}

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2022'],
    module: 'ESNext',
    moduleResolution: 'Bundler',
    strict: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: true,
    isolatedModules: true,
    noEmit: true,
    types: ['node'],
  },
  include: ['cascadence.config.ts', 'src', 'test'],
};

function renderConfig({ name, language, parts }: ProjectOptions): string {
  const ts = language === 'ts';
  const lines: string[] = [];
  if (ts) {
    lines.push("import type { CascadenceConfig } from '@cascadence/cli';", '');
  }
  lines.push(
    '// Read by the `task` command (npx task --help). flows/*.yml is read without being listed;',
    '// plugins (@cascadence/plugin-*, cascadence-plugin-*) are found in package.json dependencies.',
    'export default {',
    '  // Modules whose exported tasks and flows join the project.',
    `  tasks: ['./src/tasks.${ts ? 'ts' : 'js'}'],`,
    '  // Default time zone of schedules.',
    "  timezone: 'UTC',",
  );
  if (parts.metrics) {
    lines.push('  // `task scheduler` serves Prometheus metrics on http://localhost:9464/metrics.', '  metrics: { port: 9464 },');
  }
  if (parts.temporal) {
    lines.push(
      '  // `task worker` and `task run NAME --backend temporal`. TEMPORAL_ADDRESS (default localhost:7233)',
      '  // and TEMPORAL_NAMESPACE come from the environment; set backend: \'temporal\' to make it the default.',
      `  temporal: { taskQueue: '${name.replace(/^@[^/]+\//, '')}' },`,
    );
  }
  lines.push(ts ? '} satisfies CascadenceConfig;' : '};', '');
  return lines.join('\n');
}

const TASKS_TS = `import { defineFlow, defineTask, NonRetryableError } from '@cascadence/core';

export interface Summary {
  count: number;
  total: number;
  mean: number;
}

/** Produces the numbers to work on: the run's input \`{ "numbers": [...] }\`, or 1 to 5. */
export const loadNumbers = defineTask<{ numbers?: unknown } | undefined, number[]>({
  name: 'load-numbers',
  description: 'Returns the numbers of the input ({"numbers": [...]}), or 1 to 5',
  // In real life this would read a file or call an API: retried, and given a deadline.
  retry: { attempts: 3, backoff: 'exponential', delayMs: 200 },
  timeoutMs: 5_000,
  run(ctx, input) {
    const numbers = input?.numbers ?? [1, 2, 3, 4, 5];
    if (!Array.isArray(numbers) || !numbers.every((n) => typeof n === 'number' && Number.isFinite(n))) {
      // Retrying cannot fix bad input.
      throw new NonRetryableError(\`input.numbers must be a list of numbers (got \${JSON.stringify(numbers)})\`);
    }
    ctx.log.info(\`loaded \${numbers.length} numbers\`);
    return numbers;
  },
});

/** Count, total and mean of the numbers produced by the step it needs (step id \`numbers\`). */
export const summarize = defineTask<unknown, Summary, { numbers: number[] }>({
  name: 'summarize',
  description: 'Count, total and mean of the numbers from the step "numbers"',
  run(ctx) {
    const numbers = ctx.results.numbers;
    const total = numbers.reduce((sum, n) => sum + n, 0);
    return { count: numbers.length, total, mean: numbers.length === 0 ? 0 : total / numbers.length };
  },
});

/** A flow in code: the two tasks as steps; \`needs\` passes the output of one to the other. */
export const stats = defineFlow({
  name: 'stats',
  description: 'Load numbers, then summarize them',
  steps: {
    numbers: { task: loadNumbers },
    summary: { task: summarize, needs: ['numbers'] },
  },
});
`;

const TASKS_JS = `import { defineFlow, defineTask, NonRetryableError } from '@cascadence/core';

/** Produces the numbers to work on: the run's input \`{ "numbers": [...] }\`, or 1 to 5. */
export const loadNumbers = defineTask({
  name: 'load-numbers',
  description: 'Returns the numbers of the input ({"numbers": [...]}), or 1 to 5',
  // In real life this would read a file or call an API: retried, and given a deadline.
  retry: { attempts: 3, backoff: 'exponential', delayMs: 200 },
  timeoutMs: 5_000,
  run(ctx, input) {
    const numbers = input?.numbers ?? [1, 2, 3, 4, 5];
    if (!Array.isArray(numbers) || !numbers.every((n) => typeof n === 'number' && Number.isFinite(n))) {
      // Retrying cannot fix bad input.
      throw new NonRetryableError(\`input.numbers must be a list of numbers (got \${JSON.stringify(numbers)})\`);
    }
    ctx.log.info(\`loaded \${numbers.length} numbers\`);
    return numbers;
  },
});

/** Count, total and mean of the numbers produced by the step it needs (step id \`numbers\`). */
export const summarize = defineTask({
  name: 'summarize',
  description: 'Count, total and mean of the numbers from the step "numbers"',
  run(ctx) {
    const numbers = ctx.results.numbers;
    const total = numbers.reduce((sum, n) => sum + n, 0);
    return { count: numbers.length, total, mean: numbers.length === 0 ? 0 : total / numbers.length };
  },
});

/** A flow in code: the two tasks as steps; \`needs\` passes the output of one to the other. */
export const stats = defineFlow({
  name: 'stats',
  description: 'Load numbers, then summarize them',
  steps: {
    numbers: { task: loadNumbers },
    summary: { task: summarize, needs: ['numbers'] },
  },
});
`;

function renderReportFlow({ parts }: ProjectOptions): string {
  const lines = [
    '# A flow written in YAML: steps name tasks (src/) or processors (plugins) and say what they need.',
    '# npx task run report        npx task run report --input \'{"numbers": [2, 4, 9]}\'',
    'name: report',
    'description: Load numbers, summarize them' + (parts.shell ? ', print the summary' : ''),
    'steps:',
    '  numbers:',
    '    task: load-numbers',
    '  summary:',
    '    task: summarize',
    '    needs: [numbers]',
  ];
  if (parts.shell) {
    lines.push(
      '  print:',
      '    uses: shell                # from @cascadence/plugin-shell',
      '    needs: [summary]',
      '    timeoutMs: 10000',
      '    with:',
      '      # run by /bin/sh; the outputs of `needs` arrive as CASCADENCE_RESULT_<STEP>[_<FIELD>]',
      '      command: echo "mean $CASCADENCE_RESULT_SUMMARY_MEAN of $CASCADENCE_RESULT_SUMMARY_COUNT numbers"',
    );
  }
  return `${lines.join('\n')}\n`;
}

const PING_FLOW = `# An HTTP request as a flow step (@cascadence/plugin-http): npx task run ping
name: ping
description: Check that a web site answers
steps:
  site:
    uses: http
    retry: { attempts: 3, backoff: exponential, delayMs: 500 }
    with:
      url: https://example.com/
      timeoutMs: 5000
      expectStatus: [200]
`;

const SCHEDULES = `# Task or flow name → crontab expression (or { cron, timezone, overlap, catchUp, jitter, paused }).
# Run them with \`npx task scheduler\`; change them with \`npx task schedule NAME "CRON"\`.
report: "0 7 * * 1-5"
`;

function renderTest({ language, parts, name }: ProjectOptions): string {
  const ts = language === 'ts';
  const t = (typed: string, plain: string) => (ts ? typed : plain);
  const imports = [
    "import { test } from 'node:test';",
    "import assert from 'node:assert/strict';",
    "import { execFileSync } from 'node:child_process';",
  ];
  if (parts.http) imports.push("import { createServer } from 'node:http';");
  imports.push("import { createRequire } from 'node:module';", "import { dirname, join } from 'node:path';", "import { fileURLToPath } from 'node:url';");
  const core = ['Engine', 'silentLogger'];
  if (parts.http) core.unshift('defineFlow', 'loadPlugins');
  imports.push(`import { ${core.sort().join(', ')} } from '@cascadence/core';`);
  if (parts.metrics) imports.push("import { createMetrics } from '@cascadence/metrics';");
  if (parts.temporal) imports.push("import { compileGraph, createWorker, TemporalBackend } from '@cascadence/temporal';");
  imports.push(`import { stats } from '../src/tasks${ts ? '' : '.js'}';`);
  if (ts && parts.http) imports.push("import type { AddressInfo } from 'node:net';");

  const out: string[] = [
    '// Run with `npm test`: node\'s own test runner' + (ts ? ' (TypeScript through tsx).' : '.'),
    ...imports,
    '',
    'const project = join(dirname(fileURLToPath(import.meta.url)), \'..\');',
    "const taskBin = join(dirname(createRequire(import.meta.url).resolve('@cascadence/cli/package.json')), 'bin', 'run.js');",
    '',
    '/** Runs this project\'s `task` command (what `npx task ...` runs) and returns what it printed. */',
    `function task(${t('...args: string[]', '...args')})${t(': string', '')} {`,
    "  return execFileSync(process.execPath, [taskBin, ...args], { cwd: project, encoding: 'utf8' });",
    '}',
    '',
    "test('the stats flow summarizes the numbers it is given', async () => {",
    '  const result = await new Engine({ logger: silentLogger }).run(stats, { numbers: [2, 4, 9] });',
    "  assert.equal(result.status, 'succeeded');",
    '  assert.deepEqual(result.steps.summary?.output, { count: 3, total: 15, mean: 5 });',
    '});',
    '',
    "test('bad input fails the first step once, without retries, and skips the next', async () => {",
    "  const result = await new Engine({ logger: silentLogger }).run(stats, { numbers: 'many' });",
    "  assert.equal(result.status, 'failed');",
    "  assert.equal(result.steps.numbers?.attempts, 1);",
    "  assert.match(String(result.steps.numbers?.error?.message), /input.numbers must be a list of numbers/);",
    "  assert.equal(result.steps.summary?.status, 'skipped');",
    '});',
    '',
    "test('task list shows the tasks and both flows', () => {",
    `  const entries${t(': Array<{ name: string; kind: string }>', '')} = JSON.parse(task('list', '--json'));`,
    '  const names = entries.map((e) => `${e.name}:${e.kind}`).filter((n) => !n.startsWith(\'example:\'));',
    `  assert.deepEqual(names.sort(), [${[
      'load-numbers:task',
      ...(parts.http ? ['ping:flow'] : []),
      'report:flow',
      'stats:flow',
      'summarize:task',
    ]
      .map((n) => `'${n}'`)
      .join(', ')}]);`,
    '});',
    '',
    "test('task run report runs the YAML flow', () => {",
    "  const result = JSON.parse(task('run', 'report', '--json', '--input', '{\"numbers\": [1, 2, 3, 4]}'));",
    "  assert.equal(result.status, 'succeeded');",
    '  assert.deepEqual(result.steps.summary.output, { count: 4, total: 10, mean: 2.5 });',
  ];
  if (parts.shell) out.push("  assert.equal(result.steps.print.output.stdout, 'mean 2.5 of 4 numbers');");
  out.push('});');

  if (parts.schedules) {
    out.push(
      '',
      "test('schedules.yml runs the report at 07:00 UTC on weekdays', () => {",
      `  const jobs${t(': Array<{ task: string; cron: string; nextRun: string }>', '')} = JSON.parse(task('schedules', '--json'));`,
      "  assert.deepEqual(jobs.map((j) => [j.task, j.cron]), [['report', '0 7 * * 1-5']]);",
      '  const next = new Date(jobs[0]' + t('!', '') + '.nextRun);',
      '  assert.equal(next.getUTCHours(), 7);',
      '  assert.ok(next.getUTCDay() >= 1 && next.getUTCDay() <= 5, `next run ${next.toISOString()} is not on a weekday`);',
      '});',
    );
  }
  if (parts.metrics) {
    out.push(
      '',
      "test('metrics count each step of a run', async () => {",
      '  const engine = new Engine({ logger: silentLogger });',
      '  const metrics = createMetrics();',
      '  metrics.instrument(engine);',
      '  await engine.run(stats);',
      '  const text = await metrics.text();',
      '  assert.match(text, /^task_success_total\\{task="summarize",flow="stats",step="summary"\\} 1$/m);',
      '  assert.match(text, /^task_failure_total\\{task="load-numbers",flow="stats",step="numbers",status="failed"\\} 0$/m);',
      '});',
    );
  }
  if (parts.temporal) {
    out.push(
      '',
      '// Temporal: the first test needs no server. The second runs the flow on a real Temporal server',
      '// when TEMPORAL_ADDRESS is set (e.g. `temporal server start-dev`, then TEMPORAL_ADDRESS=localhost:7233),',
      '// and is skipped otherwise.',
      "test('the stats flow compiles to the graph the Temporal workflow interprets', () => {",
      '  const graph = compileGraph(stats, undefined);',
      "  assert.equal(graph.name, 'stats');",
      `  assert.deepEqual(graph.steps.map((s${t(': { id: string }', '')}) => s.id), ['numbers', 'summary']);`,
      '});',
      '',
      "test('the stats flow runs on Temporal', { skip: process.env.TEMPORAL_ADDRESS ? false : 'TEMPORAL_ADDRESS is not set' }, async () => {",
      `  const taskQueue = \`${name.replace(/^@[^/]+\//, '')}-test-\${process.pid}\`;`,
      '  const worker = await createWorker({ taskQueue, tasks: [stats] });',
      '  const running = worker.run();',
      '  const backend = new TemporalBackend({ taskQueue });',
      '  try {',
      '    const result = await backend.run(stats, { numbers: [2, 4, 9] });',
      "    assert.equal(result.status, 'succeeded');",
      '    assert.deepEqual(result.steps.summary?.output, { count: 3, total: 15, mean: 5 });',
      '  } finally {',
      '    await backend.close();',
      '    worker.shutdown();',
      '    await running;',
      '  }',
      '});',
    );
  }
  if (parts.http) {
    out.push(
      '',
      "test('the http plugin is found in package.json and its steps make requests', async () => {",
      "  const server = createServer((_req, res) => res.setHeader('content-type', 'application/json').end('{\"ok\":true}'));",
      "  await new Promise" + t('<void>', '') + "((resolve) => server.listen(0, '127.0.0.1', resolve));",
      `  const { port } = server.address()${t(' as AddressInfo', '')};`,
      '  try {',
      '    const { registry, loaded } = await loadPlugins({ projectDir: project });',
      "    assert.ok(loaded.some((p) => p.name === '@cascadence/plugin-http'));",
      '    const flow = defineFlow({ name: \'ping-local\', steps: { site: { uses: \'http\', with: { url: `http://127.0.0.1:${port}/` } } } });',
      '    const result = await new Engine({ resolver: registry, logger: silentLogger }).run(flow);',
      "    assert.equal(result.status, 'succeeded');",
      `    assert.deepEqual((result.steps.site?.output${t(' as { status: number; body: unknown }', '')}).body, { ok: true });`,
      '  } finally {',
      '    server.close();',
      '  }',
      '});',
      '',
      "test('flows/ping.yml is valid', () => {",
      "  assert.match(task('graph', 'ping'), /site/);",
      '});',
    );
  }
  return `${out.join('\n')}\n`;
}

function renderReadme({ name, language, parts }: ProjectOptions): string {
  const ts = language === 'ts';
  const ext = ts ? 'ts' : 'js';
  const lines = [
    `# ${name}`,
    '',
    'A [Cascadence](https://www.npmjs.com/package/@cascadence/core) project: tasks and flows of tasks,',
    'run from the command line' + (parts.schedules ? ', on a schedule' : '') + (parts.temporal ? ', or on Temporal' : '') + '.',
    '',
    '## Next',
    '',
    '```sh',
    'npm install',
    'npx task run report      # the YAML flow in flows/report.yml',
    'npm test                 # test/: the flows, through the engine and the `task` command',
    '```',
    '',
    '## What is here',
    '',
    `- \`cascadence.config.${ext}\` — where the tasks are` + (parts.metrics ? ', the metrics port' : '') + (parts.temporal ? ', the Temporal task queue' : '') + '.',
    `- \`src/tasks.${ext}\` — two tasks (\`load-numbers\`, \`summarize\`) and a flow in code (\`stats\`).`,
    '- `flows/report.yml` — the same steps as a YAML flow' + (parts.shell ? ', plus a `shell` step' : '') + '.',
  ];
  if (parts.http) lines.push('- `flows/ping.yml` — an HTTP request step (`npx task run ping` needs internet access).');
  if (parts.schedules) lines.push('- `schedules.yml` — runs `report` at 07:00 UTC on weekdays: `npx task scheduler` (Ctrl-C stops it).');
  lines.push(`- \`test/project.test.${ext}\` — node's test runner${ts ? ' (through tsx)' : ''}.`, '- `.cascadence/` — state the `task` command keeps (disabled tasks, schedule state, caches); not committed.');
  lines.push('', '## More commands', '', '```sh');
  lines.push('npx task list                        # tasks and flows', 'npx task run stats --input \'{"numbers": [2, 4, 9]}\'', 'npx task graph report                # the flow as Mermaid (--format dot)', 'npx task disable summarize           # and `task enable`');
  if (ts) lines.push('npm run typecheck');
  if (parts.schedules) lines.push('npx task schedule stats "*/15 * * * *"   # adds to schedules.yml', 'npx task schedules');
  if (parts.metrics) lines.push('npx task scheduler                   # also serves http://localhost:9464/metrics');
  lines.push('```');
  if (parts.temporal) {
    lines.push(
      '',
      '## Temporal',
      '',
      'The same tasks and flows run as durable workflows on [Temporal](https://temporal.io). Start a',
      'server (`temporal server start-dev` from the Temporal CLI), then, with',
      '`TEMPORAL_ADDRESS=localhost:7233` in the environment:',
      '',
      '```sh',
      'npx task worker                         # in one terminal: runs the steps',
      'npx task run report --backend temporal  # in another',
      'npm test                                # also runs the Temporal test',
      '```',
      '',
      'Without `TEMPORAL_ADDRESS`, `npm test` checks only that the flow compiles for Temporal and skips',
      'the test that needs a server.',
    );
  }
  if (parts.shell || parts.http) {
    lines.push('', '> Plugins are trusted code: they run in the same process as your tasks, with its rights.');
  }
  return `${lines.join('\n')}\n`;
}
