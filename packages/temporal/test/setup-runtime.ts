// Quiet Temporal's native runtime in tests (worker state changes and every failed activity attempt would be logged).
import { DefaultLogger, Runtime } from '@temporalio/worker';

try {
  Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
} catch {
  // Already installed in this process.
}
