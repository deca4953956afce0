/**
 * A client-only caller (`task run` on Temporal, a scheduler talking to the server) loads
 * `@cascadence/temporal` without `@temporalio/worker` (its native bridge and workflow bundler cost
 * ~100 ms or more to import): workers, replay and log routing load it on first use
 * (src/worker-sdk.ts). Checked on the built package, ESM and CommonJS, each in a fresh process.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const dist = path.join(__dirname, '..', 'dist');
// Every CommonJS module a process loaded, also those an ES module imported, is in require.cache.
const loadedWorkerSdk = `Object.keys(req.cache).some((file) => file.includes('@temporalio' + path.sep + 'worker' + path.sep))`;

function run(code: string, type: 'module' | 'commonjs'): string {
  return execFileSync(process.execPath, ['--input-type', type, '-e', code], { encoding: 'utf8', timeout: 60_000 }).trim();
}

describe('@cascadence/temporal loads @temporalio/worker only when a worker-side feature is used', () => {
  it('ESM: importing the package (and making a backend) does not load it; routeTemporalLogs does', () => {
    const out = run(
      `import { createRequire } from 'node:module';
       import path from 'node:path';
       const req = createRequire(import.meta.url);
       const temporal = await import(${JSON.stringify(path.join(dist, 'index.js'))});
       new temporal.TemporalBackend({ address: '127.0.0.1:1', taskQueue: 'q' });
       const before = ${loadedWorkerSdk};
       temporal.routeTemporalLogs({ logger: { debug() {}, info() {}, warn() {}, error() {} } });
       console.log(JSON.stringify({ before, after: ${loadedWorkerSdk} }));
       process.exit(0); // the installed Runtime would keep the process alive`,
      'module',
    );
    expect(JSON.parse(out)).toEqual({ before: false, after: true });
  });

  it('CommonJS: requiring the package does not load it', () => {
    const out = run(
      `const path = require('node:path');
       const req = require;
       require(${JSON.stringify(path.join(dist, 'index.cjs'))});
       console.log(JSON.stringify(${loadedWorkerSdk}));`,
      'commonjs',
    );
    expect(out).toBe('false');
  });
});
