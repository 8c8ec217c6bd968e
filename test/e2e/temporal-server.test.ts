import { expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { connectTemporalClient } from '../../src/connections/temporal';
import { terminateWorkflows } from '../support/cleanup';
import { fetchMetrics, sumSeries } from '../support/vigil-process';

const config = loadConfig();

/** Reads of cluster metadata (where search attributes live) the server made, from its own metrics. */
async function clusterMetadataReads(): Promise<number> {
  const metrics = await fetchMetrics(config.temporal.metricsUrl);
  return sumSeries(metrics, (series) => series.startsWith('persistence_latency_count{') && series.includes('operation="GetCurrentClusterMetadata"'));
}

// Left to itself the dev server reads the search attributes from SQLite on every call: two reads
// per signalWithStart, a third of its database time under bench:e2e.
it.skipIf(!config.temporal.managed)('the local Temporal dev server serves its metrics and caches search attributes: 50 signalWithStart calls read no cluster metadata', async () => {
  const client = await connectTemporalClient(config);
  const { connection } = client;
  const prefix = `sa-cache-${Date.now().toString(36)}-`;
  const ids = Array.from({ length: 50 }, (_, i) => `${prefix}${i}`);
  try {
    // The first call may fill the cache.
    await client.workflow.signalWithStart('nobodyPolls', { workflowId: `${prefix}warm`, taskQueue: `${prefix}queue`, signal: 'deliver', signalArgs: [{}] });
    const before = await clusterMetadataReads();
    for (const id of ids) await client.workflow.signalWithStart('nobodyPolls', { workflowId: id, taskQueue: `${prefix}queue`, signal: 'deliver', signalArgs: [{}] });
    expect(await clusterMetadataReads()).toBeLessThan(before + 5);
  } finally {
    await terminateWorkflows(client, [`${prefix}warm`, ...ids], 'test finished');
    await connection.close();
  }
});
