/**
 * A worker that runs the floor workflow (workflow.ts) as the device workflow: what bench:e2e's
 * floor run starts instead of `vigil worker`, with the same configuration from the environment.
 *
 *   node --import tsx bench/floor/worker.ts
 */
import { loadConfig } from '../../src/config';
import { runWorker } from '../../src/worker';

/** The bundle's entry, as the worker's `workflowsPath` takes it. */
export const floorWorkflowsPath = require.resolve('./workflows');

if (require.main === module) {
  runWorker(loadConfig(), { workflowsPath: floorWorkflowsPath }).then(() => process.exit(0), (error: unknown) => {
    process.stderr.write(`floor worker: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
