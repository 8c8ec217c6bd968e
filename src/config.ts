import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { DetectorName } from './detectors/registry';
import { defaultJudging, parseJudging } from './device/judging';
import { type DeviceSettings, deviceSettingsSchema } from './device/settings';
import { modelStoreFromEnv, modelStoreSettingsSchema, s3ServerFromEnv, s3ServerSchema } from './model-store-settings';
import { type DropInSettings, dropInOutputs, dropInOutputSchema, dropInTopicsSchema } from './drop-in';
import { formatNameSchema, formatSettingsSchema, formatsByTopic, type InputFormat } from './formats';
import { DEFAULT_USAGE_DEVICE_ID } from './formats/usage';
import { envBoolean, envSecret, envValue, type ReadFile, readSettingFile } from './security/env-settings';
import { alertmanagerSecurityFromEnv, alertmanagerSecuritySchema } from './security/alertmanager-security';
import { kafkaSecurityFromEnv, kafkaSecuritySchema } from './security/kafka-security';
import { withLocalTemporalServerClient } from './security/local-certificates';
import { postgresConnectionFromEnv, postgresConnectionSchema } from './security/postgres-ssl';
import { secretSchema } from './security/secret';
import { temporalSecurityFromEnv, temporalSecuritySchema } from './security/temporal-security';

const positiveInt = z.coerce.number().int().positive();

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
    /**
     * Which server `services up` runs when managed: the dev server (SQLite), or the production
     * server built from its Go module, on the local PostgreSQL, with TLS on its frontend.
     */
    backend: z.enum(['dev', 'server']),
    /** The production server's settings (backend `server`). */
    server: z.object({
      /**
       * Its database in the local PostgreSQL (visibility in `<database>_visibility`); its
       * configuration, pid file and log are in `.vigil/temporal-server/<database>`. Two servers
       * (the test suite's, your own) never share one.
       */
      database: z.string().regex(/^[a-z_][a-z0-9_]{0,40}$/, 'must be a lowercase SQL name'),
      /** History shards: fixed when the server first creates its database. */
      shards: positiveInt,
      /** The persistence connection pool of each of its services (frontend, history, matching, worker). */
      maxConns: positiveInt,
      maxIdleConns: positiveInt,
    }),
    /** TLS, mTLS and API key (security/temporal-security.ts): Temporal's own client variables. */
    security: temporalSecuritySchema,
  }),
  kafka: z.object({
    brokers: z.array(z.string().min(1)).min(1),
    managed: z.boolean(),
    /** The managed broker's SASL_SSL listener (SCRAM, the local CA's certificate), beside its plaintext one. */
    saslPort: z.coerce.number().int().min(1).max(65535),
    clientId: z.string().min(1),
    groupId: z.string().min(1),
    /** TLS and SASL (security/kafka-security.ts). */
    security: kafkaSecuritySchema,
    readingsPartitions: positiveInt,
    /** Partitions of the EPA input topic Vigil creates: the air-quality pipeline's `monitoring20` has 10. */
    epaPartitions: positiveInt,
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
      /** The sensor notebook's model stream (`{id, m2}` records), judged as it judged; undefined: not read. */
      model: z.string().min(1).optional(),
    }),
  }),
  /**
   * Drop-in outputs: the topics and tables the users of the systems Vigil replaces consume, in
   * their shapes (drop-in): on by default, each switchable off, topics renamable.
   */
  dropIn: z.object({
    outputs: z.array(dropInOutputSchema),
    topics: dropInTopicsSchema,
    /** The EPA MonitoringRecord's four numbers while HTM learns: 0 as the pipeline's class has them, or null. */
    monitoringUnknown: z.enum(['zero', 'null']),
  }),
  ingest: z.object({
    /** Most readings carried by one signal: keeps payloads far below Temporal's 2 MB limit. */
    maxReadingsPerSignal: positiveInt,
    /** Buffered, not yet acknowledged readings per partition before the partition is paused. */
    maxBufferedPerPartition: positiveInt,
    maxMessageBytes: positiveInt,
    /** signalWithStart calls in flight at once, across devices: more floods the server and starves workflow tasks. */
    maxSignalsInFlight: positiveInt,
    /** Least time between two signals of one device (a full signal goes at once): latency traded for Temporal actions. */
    deviceBatchMs: z.coerce.number().int().nonnegative(),
  }),
  /**
   * What a new device starts with: connection and event-time settings and every detector's
   * settings (their schemas come from the detectors; `detectorEnvironment` maps variables onto them).
   */
  device: deviceSettingsSchema,
  /**
   * The SQL sink's database: the local one the services command runs, unless DATABASE_URL names
   * another. `url` is DATABASE_URL without its password (safe to print); the password and TLS
   * settings beside it (security/postgres-ssl.ts); every client is made by postgresClientConfig.
   */
  postgres: postgresConnectionSchema.extend({
    /** False when DATABASE_URL points at a server we do not manage. */
    managed: z.boolean(),
    port: z.coerce.number().int().min(1).max(65535),
    /**
     * As root, the local server runs as the `postgres` user: when that user cannot enter the
     * checkout (under a mode-700 folder such as /root), the cluster lives in a folder of its own
     * under this one, linked from the state folder.
     */
    clustersDir: z.string().min(1).refine((dir) => path.isAbsolute(dir), 'must be an absolute path'),
  }),
  sink: z.object({
    groupId: z.string().min(1),
    /** Also keep every valid reading of the input topics (the `readings` table). */
    storeReadings: z.boolean(),
    /** Most rows per INSERT statement. */
    batchRows: positiveInt,
  }),
  /** Where HTM models are checkpointed (VIGIL_MODEL_STORE: a folder, PostgreSQL or S3; model-store-settings.ts). */
  modelStore: modelStoreSettingsSchema,
  /** The local S3-compatible server `services up` may run (S3Proxy). */
  s3Server: s3ServerSchema,
  /**
   * HTM scoring follows its device to the worker that holds its live model: each worker also
   * polls a task queue of its own, which it names in its replies (VIGIL_HTM_AFFINITY=false: off).
   */
  htmAffinity: z.boolean(),
  /** This worker's name, unique among the workers of a task queue: its own task queue is `<task queue>@<name>`. */
  workerName: z.string().min(1),
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
  /** Settings of input formats: the usage format's rows carry no zone and no device id. */
  formats: formatSettingsSchema,
  /**
   * The Anomaly Board listens on `host`; beyond loopback only with `token`, which every request
   * must then carry (board/access.ts).
   */
  board: z.object({ port: z.coerce.number().int().min(0).max(65535), host: z.string().min(1), token: secretSchema.optional() }),
  /**
   * Alerts to people: the alert router (`vigil alerter`, src/alerting/) posts anomalies and
   * disconnections to Alertmanager's v2 API; `services up` runs a local Alertmanager unless
   * VIGIL_ALERTMANAGER_URL names another.
   */
  alerting: z.object({
    alertmanagerUrl: z.string().url().refine((u) => /^https?:\/\//.test(u), 'must be an http:// or https:// URL'),
    /** False when VIGIL_ALERTMANAGER_URL points at an Alertmanager we do not manage. */
    managed: z.boolean(),
    port: z.coerce.number().int().min(1).max(65535),
    /** The routing file the local Alertmanager runs with. */
    routingFile: z.string().min(1),
    security: alertmanagerSecuritySchema,
    groupId: z.string().min(1),
    /** Open alerts are posted again this often, each valid for `leaseMs` (so none expires while Vigil runs). */
    repostEveryMs: positiveInt,
    leaseMs: positiveInt,
    /** Where an alert's `generatorURL` points: the board's device page. */
    boardUrl: z.string().url(),
    /** Severity by detector (`connection`: disconnections; `*`: the rest). */
    severities: z.record(z.string(), z.string().regex(/^[a-z][a-z0-9_-]*$/, 'a severity is a lowercase word')),
    /** The `device_group` label: the first capture group of this pattern on the device id. */
    deviceGroupPattern: z.string().refine((p) => {
      try {
        return new RegExp(p).source.length > 0;
      } catch {
        return false;
      }
    }, 'must be a regular expression'),
  }),
  /** The browser of the board's test; undefined: Debian's /usr/bin/chromium. */
  chromiumPath: z.string().min(1).optional(),
  /**
   * Prometheus `/metrics`, with `/healthz` and `/readyz`, on `host` (loopback by default;
   * 0.0.0.0 in a container, for the probes and the scraper); port 0 picks a free one.
   */
  metrics: z.object({
    host: z.string().min(1),
    ingestPort: z.coerce.number().int().min(0).max(65535),
    workerPort: z.coerce.number().int().min(0).max(65535),
    sinkPort: z.coerce.number().int().min(0).max(65535),
    alerterPort: z.coerce.number().int().min(0).max(65535),
    /** The Temporal SDK's own worker metrics (task latencies, slots, cache); 0 turns them off. */
    sdkPort: z.coerce.number().int().min(0).max(65535),
  }),
  /** Undefined: each command's own default (info; warn for the demo). */
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).optional(),
});

export type Config = z.infer<typeof configSchema> & { device: DeviceSettings };

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

/** `true` (or unset): every drop-in output; `false`/`none`: none; else a list such as `sensor,csv3`. */
function parseDropInOutputs(spec: string | undefined): string[] {
  const value = (spec ?? 'true').trim();
  if (value === 'true' || value === 'all') return [...dropInOutputs];
  if (value === 'false' || value === 'none' || value === '') return [];
  return value.split(',').map((name) => name.trim()).filter(Boolean);
}

/** `field:min:max,…`, e.g. `sampleMeasurement:0:0.12`; a malformed entry fails validation. */
function parseRanges(spec: string): Record<string, { min: number; max: number }> {
  const entries = spec.split(',').map((entry) => entry.trim()).filter(Boolean).map((entry) => {
    const [field = '', min, max] = entry.split(':');
    return [field, { min: Number(min), max: Number(max) }] as const;
  });
  return Object.fromEntries(entries);
}

/** `detector=severity,…`, e.g. `threshold=critical,*=warning`. */
function parseSeverities(spec: string): Record<string, string> {
  return Object.fromEntries(
    spec.split(',').map((entry) => entry.trim()).filter(Boolean).map((entry) => {
      const [detector = '', severity = ''] = entry.split('=');
      return [detector.trim(), severity.trim()];
    }),
  );
}

/** An unset variable stays undefined (the schema's default applies); a set one must be a number. */
const optionalNumber = (value: string | undefined) => (value === undefined || value === '' ? undefined : Number(value));
/** A count, or `off` (null) for none; unset stays undefined. */
const optionalCount = (value: string | undefined) => (value === 'off' ? null : optionalNumber(value));
/** An unset variable stays undefined; a set one is true only when it says `true`. */
const optionalBoolean = (value: string | undefined) => (value === undefined || value === '' ? undefined : value === 'true');

/**
 * The environment variables of each detector's settings. A detector without an entry runs
 * with its schema's defaults; unset variables leave a default as it is.
 */
const detectorEnvironment: Partial<Record<DetectorName, (env: NodeJS.ProcessEnv) => unknown>> = {
  zscore: (env) => ({
    defaults: {
      k: optionalNumber(env.VIGIL_ZSCORE_K),
      minSamples: optionalNumber(env.VIGIL_ZSCORE_MIN_SAMPLES),
      direction: env.VIGIL_ZSCORE_DIRECTION,
      clearAfter: optionalNumber(env.VIGIL_ZSCORE_CLEAR_AFTER),
      learnAnomalies: optionalBoolean(env.VIGIL_ZSCORE_LEARN_ANOMALIES),
      relearnAfter: optionalCount(env.VIGIL_ZSCORE_RELEARN_AFTER),
      window: optionalCount(env.VIGIL_ZSCORE_WINDOW),
    },
  }),
  flatline: (env) => ({
    minReadings: optionalNumber(env.VIGIL_FLATLINE_MIN_READINGS),
    minDurationMs: optionalNumber(env.VIGIL_FLATLINE_MIN_DURATION_MS),
    epsilon: optionalNumber(env.VIGIL_FLATLINE_EPSILON),
  }),
  'seasonal-iforest': (env) => ({
    config: {
      historyDays: optionalNumber(env.VIGIL_SEASONAL_HISTORY_DAYS),
      minComparables: optionalNumber(env.VIGIL_SEASONAL_MIN_COMPARABLES),
      // Usage is seasonal in its meter's wall clock: by default, the zone the usage format reads its rows in.
      timeZone: env.VIGIL_SEASONAL_TIME_ZONE ?? usageTimeZoneOf(env),
      slotMinutes: optionalNumber(env.VIGIL_SEASONAL_SLOT_MINUTES),
      scoreThreshold: optionalNumber(env.VIGIL_SEASONAL_SCORE_THRESHOLD),
      learnAnomalies: optionalBoolean(env.VIGIL_SEASONAL_LEARN_ANOMALIES),
    },
  }),
  htm: (env) => ({
    threshold: optionalNumber(env.VIGIL_HTM_THRESHOLD),
    checkpointEvery: optionalNumber(env.VIGIL_HTM_CHECKPOINT_EVERY),
    temporalMemory: env.VIGIL_HTM_TEMPORAL_MEMORY,
    ranges: env.VIGIL_HTM_RANGES === undefined ? undefined : parseRanges(env.VIGIL_HTM_RANGES),
  }),
};

/** The meter CSV's columns are `…_eastern_time`: Boston's wall clock, unless configured. */
const usageTimeZoneOf = (env: NodeJS.ProcessEnv) => env.VIGIL_USAGE_TIME_ZONE ?? 'America/New_York';

/** Keeps only what is set, so the schemas' defaults fill in the rest. */
function withoutUnset(value: unknown): unknown {
  if (Array.isArray(value) || value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, withoutUnset(v)]));
}

/** The shortest board token accepted: a guessable one protects nothing. */
export const MIN_BOARD_TOKEN_LENGTH = 16;

/**
 * Reads the environment into one validated Config; throws a readable error on a bad value. Files
 * that security settings name (CAs, certificates, keys) are read here, once, with `readFile`.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, readFile: ReadFile = readSettingFile): Config {
  const prefix = env.VIGIL_TOPIC_PREFIX ?? '';
  const topic = (name: string) => `${prefix}${name}`;
  // The managed services' ports: moved with VIGIL_*_PORT, they stay managed (an address in
  // TEMPORAL_ADDRESS or KAFKA_BROKERS names a server someone else runs).
  const temporalAddress = env.TEMPORAL_ADDRESS ?? `127.0.0.1:${env.VIGIL_TEMPORAL_PORT ?? 7233}`;
  const kafkaPort = Number(env.VIGIL_KAFKA_PORT ?? 9092);
  const home = env.VIGIL_HOME ?? path.resolve(__dirname, '..', '.vigil');
  // 9095: Alertmanager's own 9093 is the local Kafka's controller port, and 9094 its SASL_SSL listener.
  const alertmanagerPort = env.VIGIL_ALERTMANAGER_PORT ?? 9095;
  const alertmanagerUrl = envValue(env, 'VIGIL_ALERTMANAGER_URL') ?? `http://127.0.0.1:${alertmanagerPort}`;
  const boardPort = env.VIGIL_BOARD_PORT ?? 8090;
  const postgres = postgresConnectionFromEnv(env, `postgres://vigil@127.0.0.1:${env.VIGIL_POSTGRES_PORT ?? 5433}/vigil`, readFile);
  const s3Server = s3ServerFromEnv(env);
  const raw = {
    home,
    temporal: {
      address: temporalAddress,
      namespace: env.TEMPORAL_NAMESPACE ?? 'default',
      taskQueue: env.VIGIL_TASK_QUEUE ?? 'vigil-devices',
      managed: env.TEMPORAL_ADDRESS === undefined,
      uiUrl: env.TEMPORAL_UI_URL ?? 'http://127.0.0.1:8233',
      metricsUrl: env.TEMPORAL_METRICS_URL ?? 'http://127.0.0.1:7235/metrics',
      backend: env.VIGIL_TEMPORAL_BACKEND ?? 'dev',
      server: {
        database: env.VIGIL_TEMPORAL_DATABASE ?? 'temporal',
        shards: env.VIGIL_TEMPORAL_SHARDS ?? 8,
        maxConns: env.VIGIL_TEMPORAL_DB_MAX_CONNS ?? 20,
        maxIdleConns: env.VIGIL_TEMPORAL_DB_MAX_IDLE_CONNS ?? env.VIGIL_TEMPORAL_DB_MAX_CONNS ?? 20,
      },
      security: temporalSecurityFromEnv(withLocalTemporalServerClient(env, home), readFile),
    },
    kafka: {
      brokers: (env.KAFKA_BROKERS ?? `127.0.0.1:${kafkaPort}`).split(',').map((b) => b.trim()).filter(Boolean),
      managed: env.KAFKA_BROKERS === undefined,
      // The plaintext port + 1 is the controller's.
      saslPort: env.VIGIL_KAFKA_SASL_PORT ?? kafkaPort + 2,
      clientId: env.VIGIL_CLIENT_ID ?? 'vigil',
      groupId: env.VIGIL_GROUP_ID ?? 'vigil-ingest',
      security: kafkaSecurityFromEnv(env, readFile),
      readingsPartitions: env.VIGIL_READINGS_PARTITIONS ?? 8,
      epaPartitions: env.VIGIL_EPA_PARTITIONS ?? 10,
      inputs: parseInputs(
        env.VIGIL_INPUTS ??
          [
            `${env.VIGIL_READINGS_TOPIC ?? topic('readings')}=reading`,
            `${env.VIGIL_SENSOR_TOPIC ?? topic('sensor-raw')}=sensor`,
            `${env.VIGIL_HOST_TOPIC ?? topic('host-metrics')}=host`,
            `${env.VIGIL_CSV3_TOPIC ?? topic('sensor-csv')}=csv3`,
            `${env.VIGIL_USAGE_TOPIC ?? topic('usage')}=usage`,
            `${env.VIGIL_EPA_TOPIC ?? topic('monitoring20')}=epa`,
          ].join(','),
      ),
      topics: {
        readings: env.VIGIL_READINGS_TOPIC ?? topic('readings'),
        dlq: env.VIGIL_DLQ_TOPIC ?? topic('readings.dlq'),
        anomalies: env.VIGIL_ANOMALIES_TOPIC ?? topic('anomalies'),
        enriched: env.VIGIL_ENRICHED_TOPIC ?? topic('readings.enriched'),
        deviceEvents: topic('device-events'),
        aggregates: topic('aggregates'),
        control: topic('control'),
        model: env.VIGIL_MODEL_TOPIC === 'none' ? undefined : (env.VIGIL_MODEL_TOPIC ?? topic('modelTopic')),
      },
    },
    dropIn: {
      outputs: parseDropInOutputs(env.VIGIL_COMPAT_OUTPUTS),
      monitoringUnknown: env.VIGIL_MONITORING_UNKNOWN ?? 'zero',
      topics: {
        sensorAnomalies: env.VIGIL_SENSOR_ANOMALY_TOPIC ?? topic('anomalyTopic'),
        sensorAnomalyWindows: env.VIGIL_SENSOR_ANOMALY_REPORT_TOPIC ?? topic('anomalyMemReport'),
        meterAnomalies: env.VIGIL_METER_ANOMALY_TOPIC ?? topic('anomaly'),
        monitoringRecords: env.VIGIL_MONITORING_ENRICHED_TOPIC ?? topic('monitoringEnriched2'),
      },
    },
    ingest: {
      maxReadingsPerSignal: env.VIGIL_MAX_READINGS_PER_SIGNAL ?? 500,
      maxBufferedPerPartition: env.VIGIL_MAX_BUFFERED_PER_PARTITION ?? 20_000,
      maxMessageBytes: env.VIGIL_MAX_MESSAGE_BYTES ?? 64 * 1024,
      maxSignalsInFlight: env.VIGIL_MAX_SIGNALS_IN_FLIGHT ?? 8,
      deviceBatchMs: env.VIGIL_DEVICE_BATCH_MS ?? 1000,
    },
    device: withoutUnset({
      connection: { disconnectAfterMs: optionalNumber(env.VIGIL_DISCONNECT_AFTER_MS), retireAfterMs: optionalNumber(env.VIGIL_RETIRE_AFTER_MS), silenceFrom: env.VIGIL_SILENCE_FROM },
      eventTime: {
        allowedLatenessMs: optionalNumber(env.VIGIL_ALLOWED_LATENESS_MS),
        updateEveryMs: optionalNumber(env.VIGIL_WINDOW_UPDATE_EVERY_MS),
        reorderWaitMs: optionalNumber(env.VIGIL_REORDER_WAIT_MS),
      },
      // Which detectors judge which fields: `*=zscore;usage=seasonal-iforest` (`*`: the rest).
      judging: env.VIGIL_DETECTORS === undefined ? undefined : { defaults: { ...defaultJudging().defaults, ...parseJudging(env.VIGIL_DETECTORS) }, fields: {} },
      detectors: Object.fromEntries(Object.entries(detectorEnvironment).map(([name, read]) => [name, read(env)])),
    }),
    postgres: {
      ...postgres,
      managed: env.DATABASE_URL === undefined,
      port: env.VIGIL_POSTGRES_PORT ?? 5433,
      clustersDir: env.VIGIL_POSTGRES_CLUSTERS_DIR ?? '/var/lib/vigil/postgres',
    },
    sink: {
      groupId: env.VIGIL_SINK_GROUP_ID ?? 'vigil-sink',
      storeReadings: (env.VIGIL_SINK_STORE_READINGS ?? 'false') === 'true',
      batchRows: env.VIGIL_SINK_BATCH_ROWS ?? 500,
    },
    modelStore: modelStoreFromEnv(env, { home, sink: postgres, s3Port: Number(s3Server.port), readFile }),
    s3Server,
    htmAffinity: envBoolean(env, 'VIGIL_HTM_AFFINITY') ?? true,
    workerName: envValue(env, 'VIGIL_WORKER_NAME') ?? `${os.hostname()}-${process.pid}`,
    worker: { workflowTasks: env.VIGIL_WORKER_WORKFLOW_TASKS ?? 120, workflowTaskPolls: env.VIGIL_WORKER_WORKFLOW_TASK_POLLS ?? 60 },
    htmThreads: env.VIGIL_HTM_THREADS,
    htmCacheSize: env.VIGIL_HTM_CACHE_SIZE ?? 64,
    formats: {
      usage: { timeZone: usageTimeZoneOf(env), deviceId: env.VIGIL_USAGE_DEVICE_ID === 'none' ? undefined : (env.VIGIL_USAGE_DEVICE_ID ?? DEFAULT_USAGE_DEVICE_ID) },
      csv3: { tempAbove: env.VIGIL_CSV3_TEMP_ABOVE === 'none' ? null : optionalNumber(env.VIGIL_CSV3_TEMP_ABOVE) },
    },
    alerting: {
      alertmanagerUrl,
      managed: envValue(env, 'VIGIL_ALERTMANAGER_URL') === undefined,
      port: alertmanagerPort,
      routingFile: env.VIGIL_ALERTMANAGER_ROUTING_FILE ?? path.resolve(__dirname, '..', 'services', 'alertmanager', 'alertmanager.yml'),
      security: alertmanagerSecurityFromEnv(env, alertmanagerUrl, readFile),
      groupId: env.VIGIL_ALERTS_GROUP_ID ?? 'vigil-alerts',
      repostEveryMs: env.VIGIL_ALERTS_REPOST_MS ?? 60_000,
      leaseMs: env.VIGIL_ALERTS_LEASE_MS ?? 300_000,
      boardUrl: env.VIGIL_BOARD_URL ?? `http://127.0.0.1:${boardPort}/`,
      severities: parseSeverities(env.VIGIL_ALERT_SEVERITIES ?? 'threshold=critical,connection=warning,*=warning'),
      deviceGroupPattern: env.VIGIL_ALERT_DEVICE_GROUP ?? '^([^-_.:/]+)',
    },
    board: { port: boardPort, host: envValue(env, 'VIGIL_BOARD_HOST') ?? '127.0.0.1', token: boardToken(env, readFile) },
    chromiumPath: env.CHROMIUM_PATH,
    metrics: {
      host: envValue(env, 'VIGIL_METRICS_HOST') ?? '127.0.0.1',
      ingestPort: env.VIGIL_INGEST_METRICS_PORT ?? 9464,
      workerPort: env.VIGIL_WORKER_METRICS_PORT ?? 9465,
      sdkPort: env.VIGIL_WORKER_SDK_METRICS_PORT ?? 9466,
      sinkPort: env.VIGIL_SINK_METRICS_PORT ?? 9467,
      alerterPort: env.VIGIL_ALERTER_METRICS_PORT ?? 9468,
    },
    logLevel: env.LOG_LEVEL,
  };
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`Invalid configuration:\n${z.prettifyError(parsed.error)}`);
  }
  return parsed.data as Config;
}

function boardToken(env: NodeJS.ProcessEnv, readFile: ReadFile) {
  const token = envSecret(env, 'VIGIL_BOARD_TOKEN', readFile);
  if (token && token.reveal().length < MIN_BOARD_TOKEN_LENGTH) {
    throw new Error(`VIGIL_BOARD_TOKEN must be at least ${MIN_BOARD_TOKEN_LENGTH} characters (e.g. openssl rand -hex 32)`);
  }
  return token;
}

const inputFormatsByConfig = new WeakMap<Config, ReadonlyMap<string, InputFormat>>();

/**
 * Each input topic's format with the configured settings (usage's zone and default device,
 * csv3's rule): what the ingest routes with, and what the sink and the board read the inputs
 * with. Built once per configuration.
 */
export function inputFormatsOf(config: Config): ReadonlyMap<string, InputFormat> {
  let formats = inputFormatsByConfig.get(config);
  if (!formats) {
    formats = formatsByTopic(config.kafka.inputs, config.formats);
    inputFormatsByConfig.set(config, formats);
  }
  return formats;
}

/** What the drop-in outputs need to know: which are on, their topics, and each input topic's format. */
export function dropInSettingsOf(config: Config): DropInSettings {
  return {
    outputs: config.dropIn.outputs,
    topics: config.dropIn.topics,
    usageTimeZone: config.formats.usage.timeZone,
    monitoringUnknown: config.dropIn.monitoringUnknown,
    formatOfTopic: new Map(config.kafka.inputs.map((input) => [input.topic, input.format])),
  };
}
