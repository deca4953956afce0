// Quiet Temporal's runtime in tests: worker state changes, every failed activity attempt and the
// core's own warnings (e.g. the deliberate nondeterminism of replay.test.ts) would be logged.
import { DefaultLogger, Runtime } from '@temporalio/worker';

try {
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    shutdownSignals: [],
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
  });
} catch {
  // Already installed in this process.
}
