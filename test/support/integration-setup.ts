// Each integration file runs in a fresh module registry: install the Temporal Runtime once, quietly.
import { DefaultLogger, Runtime } from '@temporalio/worker';

try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // already installed in this worker process
}
