import type { Config } from '../config';
import { serveMetrics } from '../metrics';
import { Sink } from './sink';

/** `vigil sink`: runs until SIGINT/SIGTERM. */
export async function runSink(config: Config): Promise<void> {
  // The stop handler exits the process, which also ends the metrics server.
  let ready = false;
  await serveMetrics(config.metrics.sinkPort, { setting: 'VIGIL_SINK_METRICS_PORT', host: config.metrics.host, ready: () => ready });
  const sink = new Sink(config);
  await sink.start();
  ready = true;
  const stop = () => {
    ready = false;
    void sink.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
