// Runs this example through the real `task` binary, as its README says to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const project = join(here, '..');
const bin = join(dirname(createRequire(import.meta.url).resolve('@cascadence/cli/package.json')), 'bin', 'run.js');
const task = (...args) => execFileSync(process.execPath, [bin, ...args], { cwd: project, encoding: 'utf8' });

test('task list shows the two tasks, the YAML flow and the built-in example', () => {
  const names = JSON.parse(task('list', '--json')).map((entry) => `${entry.name}:${entry.kind}`);
  assert.deepEqual(names, ['example:task', 'load-orders:task', 'report:flow', 'summarize:task']);
});

test('task run report totals the orders per customer', () => {
  const result = JSON.parse(task('run', 'report', '--json'));
  assert.equal(result.status, 'succeeded');
  assert.deepEqual(result.steps.totals.output, { orders: 3, totals: { ada: 165, grace: 80 } });
  assert.equal(result.steps.greet.output.message, 'Hello, report reader!');
});
