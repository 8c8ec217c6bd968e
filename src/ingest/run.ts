import type { Config } from '../config';
import { checkConnections } from '../connections/check';
import { createKafka } from '../kafka/client';
import { logger } from '../logger';
import { serveMetrics } from '../metrics';
import { connectTemporalClient } from '../connections/temporal';
import { temporalDelivery, temporalFleetThresholds } from './delivery';
import { Ingest } from './ingest';

const log = logger.child({ component: 'ingest' });

/** The ingest as it runs: Kafka in, Temporal out. Stopping it also closes its Temporal client. */
export async function connectIngest(config: Config): Promise<{ start(): Promise<void>; stop(): Promise<void> }> {
  // Wrong settings stop the ingest here, in one line, before any client retries.
  await checkConnections(config, ['temporal', 'kafka']);
  const client = await connectTemporalClient(config);
  const ingest = new Ingest(config, createKafka(config, 'ingest'), temporalDelivery(client, config), temporalFleetThresholds(client, config));
  return {
    start: () => ingest.start(),
    async stop() {
      await ingest.stop();
      await client.connection.close();
    },
  };
}

/** `vigil ingest`: runs until SIGINT/SIGTERM. */
export async function runIngest(config: Config): Promise<void> {
  // The stop handler exits the process, which also ends the metrics server.
  let ready = false;
  await serveMetrics(config.metrics.ingestPort, { setting: 'VIGIL_INGEST_METRICS_PORT', host: config.metrics.host, ready: () => ready });
  const ingest = await connectIngest(config);
  const stop = () => {
    ready = false;
    ingest.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'ingest stop failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await ingest.start();
  ready = true;
}
