import { createRequire } from 'node:module';

type WorkerSdk = typeof import('@temporalio/worker');

let sdk: WorkerSdk | undefined;

/**
 * `@temporalio/worker`, loaded on first use. It brings the native core bridge and the workflow
 * bundler (~100 ms to import), which a client-only caller — `task run` on Temporal, a scheduler
 * talking to the server — never needs; only workers, replay and log routing load it.
 */
export function workerSdk(): WorkerSdk {
  return (sdk ??= createRequire(import.meta.url)('@temporalio/worker') as WorkerSdk);
}
