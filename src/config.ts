import path from 'node:path';
import { z } from 'zod';
import { defaultEventTimeSettings, htmSettingsSchema, seasonalSettingsSchema } from './device-state';
import { formatNameSchema, formatSettingsSchema } from './formats';

const positiveInt = z.coerce.number().int().positive();
const direction = z.enum(['above', 'below', 'both']);

/** Every setting Vigil reads from the environment, validated once. */
export const configSchema = z.object({
  /** Where the project keeps local services, their data and logs (git-ignored). */
  home: z.string().min(1),
  temporal: z.object({
    address: z.string().min(1),
    namespace: z.string().min(1),
    taskQueue: z.string().min(1),
    /** False when TEMPORAL_ADDRESS points at a server we do not manage. */
    managed: z.boolean(),
    uiUrl: z.string().url(),
    /** The server's Prometheus endpoint; the local dev server serves it on this URL's port. */
    metricsUrl: z.string().url(),
  }),
  kafka: z.object({
    brokers: z.array(z.string().min(1)).min(1),
    managed: z.boolean(),
    clientId: z.string().min(1),
    groupId: z.string().min(1),
    readingsPartitions: positiveInt,
    /** Topics the ingest reads, each with the format of its messages. */
    inputs: z.array(z.object({ topic: z.string().min(1), format: formatNameSchema })).min(1),
    topics: z.object({
      readings: z.string().min(1),
      dlq: z.string().min(1),
      anomalies: z.string().min(1),
      enriched: z.string().min(1),
      deviceEvents: z.string().min(1),
      aggregates: z.string().min(1),
      control: z.string().min(1),
    }),
  }),
  ingest: z.object({
    /** Most readings carried by one signal: keeps payloads far below Temporal's 2 MB limit. */
    maxReadingsPerSignal: positiveInt,
    /** Buffered, not yet acknowledged readings per partition before the partition is paused. */
    maxBufferedPerPartition: positiveInt,
    maxMessageBytes: positiveInt,
    /** signalWithStart calls in flight at once, across devices: more floods the server and starves workflow tasks. */
    maxSignalsInFlight: positiveInt,
  }),
  zscore: z.object({
    k: z.coerce.number().positive(),
    minSamples: positiveInt,
    direction,
    clearAfter: positiveInt,
    learnAnomalies: z.boolean(),
  }),
  /** Seed 001: DISCONNECTED after this much silence, retired (workflow completed) after that. */
  connection: z.object({
    disconnectAfterMs: positiveInt,
    retireAfterMs: positiveInt,
  }),
  /** The SQL sink's database: the local one the services command runs, unless DATABASE_URL names another. */
  postgres: z.object({
    url: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
    /** False when DATABASE_URL points at a server we do not manage. */
    managed: z.boolean(),
    port: z.coerce.number().int().min(1).max(65535),
  }),
  sink: z.object({
    groupId: z.string().min(1),
    /** Seed 004's `data_dump`: also keep every valid reading of the input topics. */
    storeReadings: z.boolean(),
    /** Most rows per INSERT statement. */
    batchRows: positiveInt,
  }),
  /**
   * Event time: a reading older than its device's newest reading minus this is too late. It is
   * dead-lettered (reason `late`) instead of being applied; hourly windows stay open this long.
   */
  allowedLatenessMs: positiveInt,
  /** Open windows are re-published at most this often per device (sooner with an anomaly). */
  windowUpdateEveryMs: positiveInt,
  /** Seed 003's seasonal Isolation Forest: the fields it judges, and its settings. */
  seasonal: seasonalSettingsSchema,
  /** Seed 002's HTM: the fields it scores, the anomaly threshold, checkpoints, value ranges. */
  htm: htmSettingsSchema,
  /** Where HTM models are checkpointed: a local folder (a shared store implements the same interface). */
  modelStoreDir: z.string().min(1),
  /**
   * Workflow tasks a worker runs at once, and its long polls for them. Hundreds of devices each
   * with a task ready need many waiting polls: a task no poll takes at once is queued by the
   * server, and a sticky one left 10 s goes back to the shared queue (measured by bench:e2e).
   */
  worker: z.object({ workflowTasks: positiveInt, workflowTaskPolls: positiveInt }),
  /** Threads that score HTM models in each worker; undefined: min(2, cores). */
  htmThreads: z.coerce.number().int().positive().optional(),
  /** Live HTM models kept per scoring thread (each is megabytes); others are rebuilt on use. */
  htmCacheSize: positiveInt,
  /** Settings of input formats: seed 003's usage rows carry no zone and no device id. */
  formats: formatSettingsSchema,
  board: z.object({ port: z.coerce.number().int().min(0).max(65535) }),
  /** The browser of the board's test; undefined: Debian's /usr/bin/chromium. */
  chromiumPath: z.string().min(1).optional(),
  /** Prometheus `/metrics` ports on 127.0.0.1; 0 picks a free one. */
  metrics: z.object({
    ingestPort: z.coerce.number().int().min(0).max(65535),
    workerPort: z.coerce.number().int().min(0).max(65535),
    sinkPort: z.coerce.number().int().min(0).max(65535),
    /** The Temporal SDK's own worker metrics (task latencies, slots, cache); 0 turns them off. */
    sdkPort: z.coerce.number().int().min(0).max(65535),
  }),
  /** Undefined: each command's own default (info; warn for the demo). */
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).optional(),
});

export type Config = z.infer<typeof configSchema>;

/** Reads the environment into one validated Config; throws a readable error on a bad value. */
/** `topic=format,topic=format`, e.g. `readings=reading,sensor-raw=sensor`. */
function parseInputs(spec: string) {
  return spec
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const [topic, format] = entry.split('=');
      return { topic, format };
    });
}

/** `field:min:max,…`, e.g. `sampleMeasurement:0:0.12`; a malformed entry fails validation. */
function parseRanges(spec: string): Record<string, { min: number; max: number }> {
  const entries = spec.split(',').map((entry) => entry.trim()).filter(Boolean).map((entry) => {
    const [field = '', min, max] = entry.split(':');
    return [field, { min: Number(min), max: Number(max) }] as const;
  });
  return Object.fromEntries(entries);
}

/** An unset variable stays undefined (the schema's default applies); a set one must be a number. */
const optionalNumber = (value: string | undefined) => (value === undefined || value === '' ? undefined : Number(value));

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const prefix = env.VIGIL_TOPIC_PREFIX ?? '';
  const topic = (name: string) => `${prefix}${name}`;
  const temporalAddress = env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  // Seed 003's columns are `…_eastern_time`: Boston's wall clock.
  const usageTimeZone = env.VIGIL_USAGE_TIME_ZONE ?? 'America/New_York';
  const raw = {
    home: env.VIGIL_HOME ?? path.resolve(__dirname, '..', '.vigil'),
    temporal: {
      address: temporalAddress,
      namespace: env.TEMPORAL_NAMESPACE ?? 'default',
      taskQueue: env.VIGIL_TASK_QUEUE ?? 'vigil-devices',
      managed: env.TEMPORAL_ADDRESS === undefined,
      uiUrl: env.TEMPORAL_UI_URL ?? 'http://127.0.0.1:8233',
      metricsUrl: env.TEMPORAL_METRICS_URL ?? 'http://127.0.0.1:7235/metrics',
    },
    kafka: {
      brokers: (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((b) => b.trim()).filter(Boolean),
      managed: env.KAFKA_BROKERS === undefined,
      clientId: env.VIGIL_CLIENT_ID ?? 'vigil',
      groupId: env.VIGIL_GROUP_ID ?? 'vigil-ingest',
      readingsPartitions: env.VIGIL_READINGS_PARTITIONS ?? 8,
      inputs: parseInputs(
        env.VIGIL_INPUTS ??
          `${topic('readings')}=reading,${topic('sensor-raw')}=sensor,${topic('host-metrics')}=host,${topic('sensor-csv')}=csv3,${topic('usage')}=usage,${topic('epa-raw')}=epa`,
      ),
      topics: {
        readings: env.VIGIL_READINGS_TOPIC ?? topic('readings'),
        dlq: env.VIGIL_DLQ_TOPIC ?? topic('readings.dlq'),
        anomalies: env.VIGIL_ANOMALIES_TOPIC ?? topic('anomalies'),
        enriched: topic('readings.enriched'),
        deviceEvents: topic('device-events'),
        aggregates: topic('aggregates'),
        control: topic('control'),
      },
    },
    ingest: {
      maxReadingsPerSignal: env.VIGIL_MAX_READINGS_PER_SIGNAL ?? 500,
      maxBufferedPerPartition: env.VIGIL_MAX_BUFFERED_PER_PARTITION ?? 20_000,
      maxMessageBytes: env.VIGIL_MAX_MESSAGE_BYTES ?? 64 * 1024,
      maxSignalsInFlight: env.VIGIL_MAX_SIGNALS_IN_FLIGHT ?? 16,
    },
    zscore: {
      k: env.VIGIL_ZSCORE_K ?? 4,
      minSamples: env.VIGIL_ZSCORE_MIN_SAMPLES ?? 30,
      direction: env.VIGIL_ZSCORE_DIRECTION ?? 'above',
      clearAfter: env.VIGIL_ZSCORE_CLEAR_AFTER ?? 1,
      learnAnomalies: (env.VIGIL_ZSCORE_LEARN_ANOMALIES ?? 'false') === 'true',
    },
    connection: {
      disconnectAfterMs: env.VIGIL_DISCONNECT_AFTER_MS ?? 60_000,
      retireAfterMs: env.VIGIL_RETIRE_AFTER_MS ?? 24 * 3600_000,
    },
    postgres: {
      url: env.DATABASE_URL ?? `postgres://vigil@127.0.0.1:${env.VIGIL_POSTGRES_PORT ?? 5433}/vigil`,
      managed: env.DATABASE_URL === undefined,
      port: env.VIGIL_POSTGRES_PORT ?? 5433,
    },
    sink: {
      groupId: env.VIGIL_SINK_GROUP_ID ?? 'vigil-sink',
      storeReadings: (env.VIGIL_SINK_STORE_READINGS ?? 'false') === 'true',
      batchRows: env.VIGIL_SINK_BATCH_ROWS ?? 500,
    },
    allowedLatenessMs: env.VIGIL_ALLOWED_LATENESS_MS ?? defaultEventTimeSettings.allowedLatenessMs,
    windowUpdateEveryMs: env.VIGIL_WINDOW_UPDATE_EVERY_MS ?? defaultEventTimeSettings.updateEveryMs,
    htm: {
      fields: (env.VIGIL_HTM_FIELDS ?? 'sampleMeasurement').split(',').map((f) => f.trim()).filter(Boolean),
      threshold: optionalNumber(env.VIGIL_HTM_THRESHOLD),
      checkpointEvery: optionalNumber(env.VIGIL_HTM_CHECKPOINT_EVERY),
      ranges: parseRanges(env.VIGIL_HTM_RANGES ?? ''),
    },
    modelStoreDir: env.VIGIL_MODEL_STORE_DIR ?? path.join(env.VIGIL_HOME ?? path.resolve(__dirname, '..', '.vigil'), 'models'),
    worker: { workflowTasks: env.VIGIL_WORKER_WORKFLOW_TASKS ?? 120, workflowTaskPolls: env.VIGIL_WORKER_WORKFLOW_TASK_POLLS ?? 60 },
    htmThreads: env.VIGIL_HTM_THREADS,
    htmCacheSize: env.VIGIL_HTM_CACHE_SIZE ?? 64,
    seasonal: {
      fields: (env.VIGIL_SEASONAL_FIELDS ?? 'usage').split(',').map((f) => f.trim()).filter(Boolean),
      config: {
        historyDays: optionalNumber(env.VIGIL_SEASONAL_HISTORY_DAYS),
        minComparables: optionalNumber(env.VIGIL_SEASONAL_MIN_COMPARABLES),
        // Usage is seasonal in its meter's wall clock: the zone its readings are written in.
        timeZone: env.VIGIL_SEASONAL_TIME_ZONE ?? usageTimeZone,
        slotMinutes: optionalNumber(env.VIGIL_SEASONAL_SLOT_MINUTES),
        scoreThreshold: optionalNumber(env.VIGIL_SEASONAL_SCORE_THRESHOLD),
        learnAnomalies: env.VIGIL_SEASONAL_LEARN_ANOMALIES === undefined ? undefined : env.VIGIL_SEASONAL_LEARN_ANOMALIES === 'true',
      },
    },
    formats: {
      usage: { timeZone: usageTimeZone, deviceId: env.VIGIL_USAGE_DEVICE_ID },
    },
    board: { port: env.VIGIL_BOARD_PORT ?? 8090 },
    chromiumPath: env.CHROMIUM_PATH,
    metrics: {
      ingestPort: env.VIGIL_INGEST_METRICS_PORT ?? 9464,
      workerPort: env.VIGIL_WORKER_METRICS_PORT ?? 9465,
      sdkPort: env.VIGIL_WORKER_SDK_METRICS_PORT ?? 9466,
      sinkPort: env.VIGIL_SINK_METRICS_PORT ?? 9467,
    },
    logLevel: env.LOG_LEVEL,
  };
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`Invalid configuration:\n${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}
