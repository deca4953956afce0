/**
 * Starts one real Temporal dev server for every test file. The binary comes from
 * scripts/ensure-temporal.sh (PATH, $(go env GOPATH)/bin, or a `go install` build).
 * No binary: the Temporal tests print how to get one and are skipped — unless CI=true, where a
 * missing server fails the run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const packageDir = path.resolve(__dirname, '..');
const repoRoot = path.resolve(packageDir, '..', '..');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** The tests load the built workflow (dist/workflow.js) and the child worker loads dist: keep it fresh. */
function ensureBuilt(): void {
  const built = ['index.js', 'index.cjs', 'workflow.js'].map((f) => path.join(packageDir, 'dist', f));
  let oldest = Infinity;
  for (const file of built) {
    try {
      oldest = Math.min(oldest, statSync(file).mtimeMs);
    } catch {
      oldest = 0;
    }
  }
  if (oldest > newestMtime(path.join(packageDir, 'src'))) return;
  console.log('\n[temporal tests] building @cascadence/temporal (dist is missing or older than src)...');
  const build = spawnSync(process.execPath, [require.resolve('tsup/dist/cli-default.js', { paths: [packageDir] })], {
    cwd: packageDir,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (build.status !== 0) throw new Error('[temporal tests] tsup build of @cascadence/temporal failed');
}

function findBinary(): string | undefined {
  if (process.env.TEMPORAL_BIN) return process.env.TEMPORAL_BIN;
  const script = path.join(repoRoot, 'scripts', 'ensure-temporal.sh');
  console.log('\n[temporal tests] locating a temporal binary with scripts/ensure-temporal.sh (a first go build takes minutes)...');
  const found = spawnSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 30 * 60 * 1000 });
  const line = found.stdout?.trim().split('\n').pop();
  return found.status === 0 && line ? line : undefined;
}

export default async function globalSetup(): Promise<void> {
  ensureBuilt();
  // Loaded after the build so that it is the fresh code.
  const { bundleCascadenceWorkflow } = await import('../src');
  const { startDevServer, HOW_TO_GET_A_SERVER } = await import('../src/testing');
  const binary = findBinary();
  if (binary === undefined) {
    const message = `\n[temporal tests] ${HOW_TO_GET_A_SERVER}\n`;
    if (process.env.CI === 'true') throw new Error(`${message}CI=true: a Temporal server is required, failing the run.`);
    console.warn(`${message}[temporal tests] SKIPPING every test that needs a Temporal server.\n`);
    process.env.CASCADENCE_TEMPORAL_TEST_SKIP = 'no temporal binary';
    return;
  }
  const server = await startDevServer({ binary });
  (globalThis as { __temporalServer?: { stop(): Promise<void> } }).__temporalServer = server;
  process.env.CASCADENCE_TEMPORAL_TEST_ADDRESS = server.address;
  process.env.CASCADENCE_TEMPORAL_TEST_BINARY = binary;
  // Bundle the workflow once; every worker of every test file (and child processes) reuses it.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cascadence-temporal-test-'));
  const bundle = await bundleCascadenceWorkflow(path.join(packageDir, 'dist', 'workflow.js'));
  const codePath = path.join(dir, 'workflow-bundle.js');
  writeFileSync(codePath, 'code' in bundle ? bundle.code : '');
  process.env.CASCADENCE_TEMPORAL_TEST_BUNDLE = codePath;
  process.env.CASCADENCE_TEMPORAL_TEST_DIR = dir;
  console.log(`[temporal tests] dev server ${server.address} (${binary}) ready`);
}
