// What the Temporal suites share: a dev server with its cleanups, hand-written workflows on a plain
// Temporal worker (the peer of every TemporalBackend row), a client, and the alternating timing loop.
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findTemporalBinary, startDevServer } from '@cascadence/temporal/testing';
import { median } from '../lib.mjs';

// @temporalio/* come with @cascadence/temporal: load them from there, as its worker does.
const temporalEntry = fileURLToPath(import.meta.resolve('@cascadence/temporal'));
const requireFromTemporal = createRequire(temporalEntry);
const { Worker, NativeConnection, DefaultLogger, Runtime, bundleWorkflowCode } = requireFromTemporal('@temporalio/worker');
const { Client, Connection } = requireFromTemporal('@temporalio/client');

/** The row a suite returns when no server binary is found. */
export const NO_BINARY_ROW = {
  case: 'skipped: no temporal binary (see packages/temporal/README.md, "Getting a server")',
  value: 0,
  unit: '',
};

/**
 * Runs `body({ server, binary, dir, cleanups, client, handWorker })` against a fresh dev server,
 * then runs the cleanups it pushed (last first), stops the server and removes the temp folder.
 * Resolves to undefined without a server binary (the caller reports NO_BINARY_ROW).
 */
export async function withDevServer(prefix, body) {
  const binary = findTemporalBinary();
  if (binary === undefined) return undefined;
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
  } catch {
    // already installed
  }
  const server = await startDevServer({ binary });
  const dir = mkdtempSync(path.join(os.tmpdir(), `cascadence-bench-${prefix}-`));
  const cleanups = [];
  let connection;
  const env = {
    server,
    binary,
    dir,
    cleanups,
    /** A client of the dev server (one connection, closed at the end). */
    async client() {
      // Histories of 10,000-step runs come in pages over gRPC's default 4 MB.
      connection ??= await Connection.connect({
        address: server.address,
        channelArgs: { 'grpc.max_receive_message_length': 256 * 1024 * 1024 },
      });
      if (!cleanups.includes(closeConnection)) cleanups.push(closeConnection);
      return new Client({ connection });
    },
    /** A plain Temporal worker polling `taskQueue` for the workflows in `source` (module text) with `activities`. */
    async handWorker(taskQueue, source, activities) {
      const workflowsPath = path.join(dir, `${taskQueue}.mjs`);
      writeFileSync(workflowsPath, source);
      const temporalModules = path.resolve(path.dirname(requireFromTemporal.resolve('@temporalio/workflow/package.json')), '..', '..');
      const bundle = await bundleWorkflowCode({
        workflowsPath,
        logger: new DefaultLogger('ERROR'),
        webpackConfigHook: (config) => ({ ...config, resolve: { ...config.resolve, modules: [temporalModules, 'node_modules'] } }),
      });
      const nativeConnection = await NativeConnection.connect({ address: server.address });
      const worker = await Worker.create({ connection: nativeConnection, taskQueue, workflowBundle: { code: bundle.code }, activities });
      const running = worker.run();
      cleanups.push(async () => {
        worker.shutdown();
        await running;
        await nativeConnection.close();
      });
      return worker;
    },
  };
  const closeConnection = () => connection?.close();
  try {
    return await body(env);
  } finally {
    for (const cleanup of cleanups.reverse())
      await Promise.resolve()
        .then(cleanup)
        .catch(() => undefined);
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Times each contender (name → async fn) `warmup + reps` times, alternating the order every round so
 * that drift in load hits both alike. Returns the samples (ms) per contender and their medians.
 * A contender may return a value; the last one is kept in `last`.
 */
export async function alternating(contenders, { warmup = 1, reps = 5 } = {}) {
  const samples = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]));
  const last = {};
  for (let round = 0; round < warmup + reps; round++) {
    const names = Object.keys(contenders);
    if (round % 2 === 1) names.reverse();
    for (const name of names) {
      const t0 = performance.now();
      last[name] = await contenders[name]();
      if (round >= warmup) samples[name].push(performance.now() - t0);
    }
  }
  const medians = Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]));
  const fastest = Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, Math.min(...values)]));
  return { samples, medians, fastest, last };
}
