import http from 'node:http';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { listenOnPort } from './listen-port';
import { logger } from './logger';

/** One registry per process, with Node's own metrics (CPU, memory, event loop lag). */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

export const ingestMetrics = {
  received: new Counter({ name: 'vigil_ingest_messages_total', help: 'Messages taken from the input and control topics', labelNames: ['topic'], registers: [registry] }),
  deadLettered: new Counter({ name: 'vigil_dead_letters_total', help: 'Messages written to the DLQ, by reason', labelNames: ['reason'], registers: [registry] }),
  lag: new Gauge({ name: 'vigil_consumer_lag', help: 'Messages behind the end of the partition at the last batch', labelNames: ['topic', 'partition'], registers: [registry] }),
  batchSize: new Histogram({
    name: 'vigil_signal_batch_size', help: 'Items per signal to a device workflow', registers: [registry],
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500],
  }),
  /** From the record's Kafka timestamp (producer or broker time) to the ingest reading it: consumer delay. */
  fetchDelaySeconds: new Histogram({
    name: 'vigil_ingest_fetch_delay_seconds', help: 'Time from a record’s Kafka timestamp until the ingest read it', registers: [registry],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  }),
  signalSeconds: new Histogram({
    name: 'vigil_signal_seconds', help: 'Time to signalWithStart a batch, retries included', registers: [registry],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  }),
};

export const workerMetrics = {
  anomalies: new Counter({ name: 'vigil_anomaly_events_total', help: 'Anomaly steps published, by detector and status', labelNames: ['detector', 'status'], registers: [registry] }),
  deviceEvents: new Counter({ name: 'vigil_device_events_total', help: 'Connection events published, by type', labelNames: ['type'], registers: [registry] }),
  aggregates: new Counter({ name: 'vigil_aggregates_total', help: 'Window aggregates published, by kind and finality', labelNames: ['kind', 'final'], registers: [registry] }),
  lateReadings: new Counter({ name: 'vigil_late_readings_total', help: 'Readings refused as later than the allowed lateness (dead-lettered)', registers: [registry] }),
  htmReadings: new Counter({ name: 'vigil_htm_readings_total', help: 'Readings scored by HTM models', registers: [registry] }),
  htmWarmingUp: new Gauge({ name: 'vigil_htm_models_warming_up', help: 'HTM models this worker last scored while they still learnt their value range', registers: [registry] }),
  htmModels: new Gauge({ name: 'vigil_htm_models_live', help: 'HTM models held live by this worker’s scoring threads', registers: [registry] }),
  htmScoring: new Counter({
    name: 'vigil_htm_scoring_calls_total',
    help: 'HTM scoring calls by where the model came from: live (held by this worker: a cache hit), restored (a miss: checkpoint and readings replayed), fresh (a new model)',
    labelNames: ['model'],
    registers: [registry],
  }),
  htmCheckpointLoads: new Counter({
    name: 'vigil_htm_checkpoint_loads_total', help: 'HTM checkpoints read to restore a model, by where: the local cache folder, the shared store, or the local folder store', labelNames: ['from'], registers: [registry],
  }),
  htmRestores: new Histogram({
    name: 'vigil_htm_restore_seconds', help: 'Time to rebuild an HTM model from its checkpoint and the readings since', registers: [registry],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  }),
  devices: new Gauge({ name: 'vigil_devices', help: 'Running devices by connection status (from visibility)', labelNames: ['status'], registers: [registry] }),
};

export const sinkMetrics = {
  rows: new Counter({ name: 'vigil_sink_rows_total', help: 'Rows the SQL sink inserted or updated, by table', labelNames: ['table'], registers: [registry] }),
  skipped: new Counter({ name: 'vigil_sink_skipped_total', help: 'Records the sink could not read (invalid readings are dead-lettered by the ingest)', labelNames: ['topic'], registers: [registry] }),
};

export const alerterMetrics = {
  posted: new Counter({ name: 'vigil_alerts_posted_total', help: 'Alert changes Alertmanager took (raise, update, resolve), by alert name and state', labelNames: ['alertname', 'state'], registers: [registry] }),
  reposted: new Counter({ name: 'vigil_alerts_reposted_total', help: 'Open alerts posted again so they do not expire', registers: [registry] }),
  failures: new Counter({ name: 'vigil_alertmanager_failures_total', help: 'Posts to Alertmanager that failed (each is retried)', registers: [registry] }),
  up: new Gauge({ name: 'vigil_alertmanager_up', help: '1 when Alertmanager took the last post, 0 when it did not', registers: [registry] }),
  open: new Gauge({ name: 'vigil_alerts_open', help: 'Alerts the router holds open', registers: [registry] }),
  skipped: new Counter({ name: 'vigil_alerter_skipped_total', help: 'Records the alert router could not read', labelNames: ['topic'], registers: [registry] }),
};

/**
 * Serves, on `host` (127.0.0.1 unless VIGIL_METRICS_HOST says otherwise, as in a container),
 * `/metrics` for Prometheus, `/healthz` (200 while the process answers: liveness) and `/readyz`
 * (200 once `ready()` says the process does its work, 503 before and while it stops: readiness).
 * Port 0 picks a free one; a port another process holds, a free one, logged with `setting`
 * (see listenOnPort). Resolves with the bound port.
 */
export async function serveMetrics(port: number, options: { setting: string; host?: string; ready?: () => boolean }): Promise<{ port: number; close: () => Promise<void> }> {
  const { host = '127.0.0.1', ready = () => true } = options;
  const server = http.createServer((request, response) => {
    const url = request.url?.split('?')[0];
    if (url === '/healthz') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    if (url === '/readyz') {
      const isReady = ready();
      response.writeHead(isReady ? 200 : 503, { 'content-type': 'text/plain' }).end(isReady ? 'ready\n' : 'not ready\n');
      return;
    }
    if (url !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: unknown) => response.writeHead(500).end(String(error)),
    );
  });
  const bound = await listenOnPort(server, port, host, options.setting);
  logger.info({ metrics: `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${bound}/metrics` }, 'metrics served');
  return { port: bound, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
