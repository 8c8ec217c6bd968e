import { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadConfig } from '../../src/config';
import { temporalPaths } from '../../src/services/temporal';
import { searchAttributeKeys } from '../../src/workflows/definitions';

export const temporalBinary = temporalPaths(loadConfig()).binary;

/** An in-memory dev server from the `temporal` binary the project installed (no download). */
export function createLocalTemporal(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalBinary },
      searchAttributes: searchAttributeKeys,
      log: { format: 'pretty', level: 'error' },
    },
  });
}
