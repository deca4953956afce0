// The new project's own test file (node:test), covering the parts it was made with.
import type { ProjectOptions } from './project-options';

export function renderTest({ language, parts, name }: ProjectOptions): string {
  const ts = language === 'ts';
  const t = (typed: string, plain: string) => (ts ? typed : plain);
  const imports = [
    "import { test } from 'node:test';",
    "import assert from 'node:assert/strict';",
    "import { execFileSync } from 'node:child_process';",
  ];
  if (parts.http) imports.push("import { createServer } from 'node:http';");
  imports.push(
    "import { createRequire } from 'node:module';",
    "import { dirname, join } from 'node:path';",
    "import { fileURLToPath } from 'node:url';",
  );
  const core = ['Engine', 'silentLogger'];
  if (parts.http) core.unshift('defineFlow', 'loadPlugins');
  imports.push(`import { ${core.sort().join(', ')} } from '@cascadence/core';`);
  if (parts.metrics) imports.push("import { createMetrics } from '@cascadence/metrics';");
  if (parts.temporal) imports.push("import { compileGraph, createWorker, TemporalBackend } from '@cascadence/temporal';");
  imports.push(`import { stats } from '../src/tasks${ts ? '' : '.js'}';`);
  if (ts && parts.http) imports.push("import type { AddressInfo } from 'node:net';");

  const out: string[] = [
    "// Run with `npm test`: node's own test runner" + (ts ? ' (TypeScript through tsx).' : '.'),
    ...imports,
    '',
    "const project = join(dirname(fileURLToPath(import.meta.url)), '..');",
    "const taskBin = join(dirname(createRequire(import.meta.url).resolve('@cascadence/cli/package.json')), 'bin', 'run.js');",
    '',
    "/** Runs this project's `task` command (what `npx task ...` runs) and returns what it printed. */",
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
    '  assert.equal(result.steps.numbers?.attempts, 1);',
    '  assert.match(String(result.steps.numbers?.error?.message), /input.numbers must be a list of numbers/);',
    "  assert.equal(result.steps.summary?.status, 'skipped');",
    '});',
    '',
    "test('task list shows the tasks and both flows', () => {",
    `  const entries${t(': Array<{ name: string; kind: string }>', '')} = JSON.parse(task('list', '--json'));`,
    "  const names = entries.map((e) => `${e.name}:${e.kind}`).filter((n) => !n.startsWith('example:'));",
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
      '  await new Promise' + t('<void>', '') + "((resolve) => server.listen(0, '127.0.0.1', resolve));",
      `  const { port } = server.address()${t(' as AddressInfo', '')};`,
      '  try {',
      '    const { registry, loaded } = await loadPlugins({ projectDir: project });',
      "    assert.ok(loaded.some((p) => p.name === '@cascadence/plugin-http'));",
      "    const flow = defineFlow({ name: 'ping-local', steps: { site: { uses: 'http', with: { url: `http://127.0.0.1:${port}/` } } } });",
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
