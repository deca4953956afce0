// The Temporal checks of scripts/pack-smoke.mjs, run in the scratch project where the tarballs
// were installed with npm (npm nests protobufjs copies differently from pnpm: issue 16, item 1).
// Everything runs the way a user would: the installed `task` binary as a process, the Temporal
// CLI for the server and for exporting a history. Needs a temporal binary (TEMPORAL_BIN, PATH,
// $(go env GOPATH)/bin); without one the checks are skipped, or fail under CI=true.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { indent, run } from './workspace.mjs';

const STEP_TIMEOUT_MS = 120_000;

const TASKS = `
import { defineFlow, defineTask } from '@cascadence/core';
export const double = defineTask({ name: 'double', run: (_ctx, n) => n * 2 });
export const smoke = defineFlow({
  name: 'smoke',
  steps: {
    a: { run: () => 1 },
    b: { needs: ['a'], run: (ctx) => ctx.results.a + 1 },
    c: { needs: ['a'], retry: { attempts: 2, delayMs: 10 }, run: (ctx) => { if (ctx.attempt === 1) throw new Error('first try fails'); return 3; } },
  },
});
`;

/** Loads a package's built entry (`index.js`, or a subpath's file) the way the scratch project resolves it (not through this repository). */
async function importInstalled(projectDir, name, file = 'index.js') {
  const entry = path.join(projectDir, 'node_modules', ...name.split('/'), 'dist', file);
  return import(pathToFileURL(entry).href);
}

function startWorker(projectDir, bin, env) {
  const child = spawn(process.execPath, [bin, 'worker'], { cwd: projectDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`task worker did not start within ${STEP_TIMEOUT_MS} ms:\n${indent(output)}`)),
      STEP_TIMEOUT_MS,
    );
    child.stdout.on('data', () => {
      if (/worker polling task queue/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`task worker exited (${code}) before polling:\n${indent(output)}`));
    });
  });
  return { child, ready, output: () => output };
}

/**
 * Returns { skipped: reason } or { problems: [...], notes: [...] }.
 * Checks: a flow runs on Temporal through the installed CLI, and the history the Temporal CLI
 * exports for it replays with `task replay` (no protobufjs installed by hand).
 */
export async function checkTemporal(projectDir, env) {
  const temporal = await importInstalled(projectDir, '@cascadence/temporal', 'testing.js'); // @cascadence/temporal/testing
  const binary = process.env.TEMPORAL_BIN ?? temporal.findTemporalBinary();
  if (binary === undefined) {
    const reason = `no temporal binary (${temporal.HOW_TO_GET_A_SERVER})`;
    if (process.env.CI === 'true') return { problems: [`${reason}; CI=true: a missing server fails the run`], notes: [] };
    return { skipped: reason };
  }
  const problems = [];
  const notes = [];
  const server = await temporal.startDevServer({ binary });
  const taskQueue = `pack-smoke-${process.pid}`;
  writeFileSync(path.join(projectDir, 'tasks.mjs'), TASKS);
  writeFileSync(
    path.join(projectDir, 'cascadence.config.mjs'),
    `export default { tasks: ['./tasks.mjs'], temporal: { address: ${JSON.stringify(server.address)}, taskQueue: ${JSON.stringify(taskQueue)} } };\n`,
  );
  const bin = path.join(projectDir, 'node_modules', '@cascadence', 'cli', 'bin', 'run.js');
  const taskEnv = { ...env, NO_COLOR: '1' };
  const task = (args) => run(process.execPath, [bin, ...args], { cwd: projectDir, env: taskEnv, timeout: STEP_TIMEOUT_MS });
  const worker = startWorker(projectDir, bin, taskEnv);
  try {
    await worker.ready;
    const ran = task(['run', 'smoke', '--backend', 'temporal', '--json']);
    const result = ran.ok ? JSON.parse(ran.stdout) : undefined;
    if (result?.status !== 'succeeded' || result.steps?.c?.attempts !== 2) {
      problems.push(`task run smoke --backend temporal: exit ${ran.status}\n${indent(ran.output)}`);
      return { problems, notes };
    }
    notes.push('task run --backend temporal: succeeded');
    const workflowId = `cascadence-smoke-${result.runId}`;
    const shown = run(binary, ['workflow', 'show', '--workflow-id', workflowId, '--address', server.address, '--output', 'json'], {
      timeout: STEP_TIMEOUT_MS,
    });
    if (!shown.ok) {
      problems.push(`temporal workflow show --workflow-id ${workflowId}: exit ${shown.status}\n${indent(shown.output)}`);
      return { problems, notes };
    }
    writeFileSync(path.join(projectDir, 'history.json'), shown.stdout);
    const replayed = task(['replay', 'history.json']);
    if (!replayed.ok || !replayed.stdout.startsWith('replay ok: ')) {
      problems.push(
        `task replay of a history exported by \`temporal workflow show --output json\`: exit ${replayed.status}\n${indent(replayed.output)}`,
      );
    } else {
      notes.push(`task replay (CLI-exported history): ${replayed.stdout.trim().split('\n')[0]}`);
    }
    return { problems, notes };
  } catch (error) {
    problems.push(error.message);
    return { problems, notes };
  } finally {
    worker.child.kill('SIGTERM');
    await new Promise((resolve) => (worker.child.exitCode !== null ? resolve() : worker.child.once('exit', resolve)));
    await server.stop();
  }
}
