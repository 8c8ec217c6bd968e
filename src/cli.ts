import { Command, Option } from 'commander';
import { type Config, loadConfig } from './config';
import fs from 'node:fs';
import path from 'node:path';
import { timestampUnitSchema } from './backtest/input';
import { type ScoreFileOptions, scoreFile } from './backtest/score-file';
import { startBoard } from './board/server';
import { runDemo } from './cli/demo';
import { replayFile } from './cli/replay';
import { formatAnomaly, tailAnomalies } from './cli/tail';
import { detectorNameSchema } from './detectors/registry';
import { thresholdRuleKinds } from './detectors/threshold';
import { directionSchema } from './detectors/zscore';
import { connectionStatusSchema } from './device/state';
import { type FormatName, formatNameSchema } from './formats';
import { parseThresholdsCsv, type ThresholdRow } from './formats/threshold-rows';
import { runIngest } from './ingest/run';
import { logger } from './logger';
import { connectTemporalClient } from './connections/temporal';
import { defaultAuthor } from './operator/author';
import { describeDevice, describeDevices, describeViolations } from './operator/describe';
import { configureZScore, deviceState, listDevices, pushModel, resetModel, setDetectors } from './operator/devices';
import { applyThresholdRows } from './workflow-client/thresholds';
import { latestViolations } from './operator/violations';
import { type ListingKind, listingKinds } from './operator/batch-violations';
import { fixedThresholds, runBatchListings, thresholdsInForceSource } from './operator/batch-listings-run';
import { parseDuration, parseTime } from './operator/duration';
import { acknowledgeAnomaly, changeMaintenance, markFalseAlarm, snoozeDevice, unsnoozeDevice } from './workflow-client/attention';
import { fleetWorkflowId } from './workflows/definitions';
import { readFleetDefaults } from './activities/fleet';
import { describeSample, type SampleKind, sampleKindSchema } from './samples';
import { scrubSecrets } from './security/secret';
import { servicesDown, servicesStatus, servicesUp } from './services';
import { runSink } from './sink/run';
import { runAlerter } from './alerting/run';
import { runWorker } from './worker';

const say = (line: string) => process.stdout.write(`${line}\n`);

// With TLS to an IP address (TEMPORAL_ADDRESS=10.0.0.5:7233), grpc-js sends the IP as the TLS
// server name and Node warns about it once (DEP0123); the certificate is checked against the IP
// all the same. That warning would break the one line a command prints: other warnings print as before.
const [printWarning] = process.listeners('warning');
if (printWarning) {
  process.removeListener('warning', printWarning);
  process.on('warning', (warning: Error & { code?: string }) => {
    if (warning.code !== 'DEP0123') printWarning(warning);
  });
}
// The AWS SDK (S3 model stores) warns on Node 20 that its releases after early 2027 need Node 22:
// about versions this lock file does not install, and many lines before a command's one line.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

function configured(defaultLogLevel: NonNullable<Config['logLevel']> = 'info'): Config {
  const config = loadConfig();
  config.logLevel ??= defaultLogLevel;
  logger.level = config.logLevel;
  return config;
}

const program = new Command('vigil').description('Real-time, per-device anomaly detection on Temporal and Kafka');

const services = program.command('services').description('Local Temporal and Kafka: install, start, stop');
services.command('up').description('Install (first time) and start the local services, create the topics').action(async () => {
  await servicesUp(configured(), say);
});
services.command('down').description('Stop the local services').action(async () => {
  await servicesDown(configured(), say);
});
services.command('status').description('Show whether each service runs and answers').action(async () => {
  const statuses = await servicesStatus(configured());
  for (const s of statuses) {
    const how = [s.managed ? `local${s.pid ? `, pid ${s.pid}` : ''}` : 'external', ...(s.security === 'plaintext' ? [] : [s.security])].join(', ');
    say(`${s.name.padEnd(12)} ${s.healthy ? 'healthy  ' : 'down     '} ${s.where} (${how})`);
    if (s.problem) say(`             ${s.problem}`);
  }
  if (!statuses.every((s) => s.healthy)) process.exitCode = 1;
});

program.command('worker').description('Run a Temporal worker for the device workflows').action(async () => {
  await runWorker(configured());
  // Stopped gracefully (SIGINT/SIGTERM): end now, as the ingest and the sink do, rather than wait
  // for what a client library may still hold open (a looped fault run saw a worker live on).
  process.exit(0);
});
program.command('ingest').description('Consume readings from Kafka and route them to the device workflows').action(async () => {
  await runIngest(configured());
});
program
  .command('replay <file>')
  .description('Send a CSV (with a header row) or JSON-lines file into the readings topic, keyed by device')
  .addOption(new Option('-f, --format <format>', 'input format').choices(formatNameSchema.options).default('reading'))
  .option('-a, --accelerator <n>', 'play event time N× faster (default: as fast as possible); with --step_frequency, the meter producer\'s meaning', (v) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--accelerator must be a positive number, not ${v}`);
    return n;
  })
  .option('--step_frequency <s>', 'the meter producer\'s pacing: every <s> seconds, the next <s> × accelerator minutes of the file', (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--step_frequency must be a positive whole number of seconds, not ${v}`);
    return n;
  })
  .option('-t, --topic <topic>', 'topic to write to (default: the input topic of that format)')
  .option('-d, --device <id>', 'device (message key) of every row, for formats whose rows name none (usage; default VIGIL_USAGE_DEVICE_ID)')
  .action(async (file: string, options: { format: FormatName; accelerator?: number; step_frequency?: number; topic?: string; device?: string }) => {
    const { step_frequency: stepFrequency, ...rest } = options;
    const result = await replayFile(configured(), file, { ...rest, ...(stepFrequency === undefined ? {} : { stepFrequency }), progress: process.stderr.isTTY });
    say(`${result.sent} readings sent`);
    if (result.invalid.length > 0) {
      for (const { line, reason } of result.invalid.slice(0, 20)) process.stderr.write(`line ${line}: ${reason}\n`);
      if (result.invalid.length > 20) process.stderr.write(`… and ${result.invalid.length - 20} more\n`);
      throw new Error(`${result.invalid.length} invalid rows were not sent`);
    }
  });
program
  .command('sample')
  .description('Write deterministic sample data with anomalies injected at known places, and list them')
  .addOption(new Option('-k, --kind <kind>', 'sensor: sensor records {id, ts, temp, hum}; usage: a meter\'s 5-minute CSV; epa: EPA AQS hourly rows').choices(sampleKindSchema.options).default('sensor'))
  .option('-o, --out <file>', 'file to write (default: .vigil/samples/<kind>.csv)')
  .option('--seed <n>', 'random seed (default: per kind)', numberOption('--seed', Number.isSafeInteger))
  .action((options: { kind: SampleKind; out?: string; seed?: number }) => {
    const config = configured();
    const file = options.out ?? path.join(config.home, 'samples', `${options.kind}.csv`);
    const sample = describeSample(options.kind, options.seed);
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    fs.writeFileSync(file, sample.csv);
    say(`wrote ${file}: ${sample.summary}`);
    say(`${sample.anomalies.length} injected anomalies (what the detectors should report):`);
    for (const line of sample.anomalies) say(`  ${line}`);
    say(`replay it with: bin/vigil replay ${file} --format ${sample.format}${sample.format === 'usage' ? ' --device <id>' : ''}`);
  });
program
  .command('score <csv>')
  .description('Backtest: run a detector offline over historical readings, exactly as the live path scores them; one CSV row per reading')
  .addOption(new Option('--detector <detector>', 'the detector to run').choices(detectorNameSchema.options).makeOptionMandatory())
  .addOption(new Option('-f, --format <format>', 'decode rows as this input format, as replay/ingest do (default: generic --timestamp-column/--value-column CSV)').choices(formatNameSchema.options))
  .option('--timestamp-column <column>', 'generic CSV: the timestamp column (default timestamp): epoch ms, ISO-8601 with a zone, or YYYY-MM-DD HH:MM:SS')
  .option('--value-column <column>', 'generic CSV: the value column (default value)')
  .addOption(new Option('--timestamp-unit <unit>', 'generic CSV: what a plain number in the timestamp column counts (default ms)').choices(timestampUnitSchema.options))
  .option('--time-zone <zone>', 'IANA zone of naive YYYY-MM-DD HH:MM:SS times (generic CSV: default UTC; --format usage: default VIGIL_USAGE_TIME_ZONE)')
  .option('--field <field>', 'the field to score (default: the only one; generic CSV: value)')
  .option('-d, --device <id>', 'score this device\'s rows (needed when the file holds several); usage and generic rows: their device id')
  .option('-o, --out <file>', 'write the CSV here (default: stdout)')
  .option('--min <n>', 'htm: the metric\'s expected minimum (with --max; default: learnt from the first readings)', numberOption('--min'))
  .option('--max <n>', 'htm: the metric\'s expected maximum', numberOption('--max'))
  .option('--k <k>', 'zscore: standard deviations that count as anomalous (default VIGIL_ZSCORE_K)', numberOption('--k'))
  .option('--min-samples <n>', 'zscore: readings before judging (default VIGIL_ZSCORE_MIN_SAMPLES)', numberOption('--min-samples'))
  .addOption(new Option('--direction <direction>', 'zscore: which side is anomalous (default VIGIL_ZSCORE_DIRECTION)').choices(directionSchema.options))
  .option('--low <n>', 'threshold: low bound', numberOption('--low'))
  .option('--high <n>', 'threshold: high bound', numberOption('--high'))
  .addOption(new Option('--rule <rule>', 'threshold: window rule (default each)').choices(thresholdRuleKinds))
  .option('--n <n>', 'threshold: N of at-least-N-in-window and N-consecutive (default 3)', numberOption('--n'))
  .option('--window-ms <ms>', 'threshold: window of the window rules in event time (default 60000)', numberOption('--window-ms'))
  .action((file: string, options: ScoreFileOptions & { out?: string }) => {
    const { out, ...scoreOptions } = options;
    const result = scoreFile(configured('warn'), file, scoreOptions);
    if (out === undefined) process.stdout.write(result.csv);
    else fs.writeFileSync(out, result.csv);
    for (const { line, reason } of result.rejected) process.stderr.write(`line ${line}: ${reason}\n`);
    process.stderr.write(`${result.summary}\n`);
    // The scores are written either way; the exit code says that some rows could not be read.
    if (result.rejected.length > 0) throw new Error(`${result.rejected.length} rejected row(s) were not scored`);
  });
program
  .command('tail')
  .description('Print anomalies as they are published')
  .option('--from-beginning', 'start with the oldest anomaly in the topic')
  .action(async (options: { fromBeginning?: boolean }) => {
    await tailAnomalies(configured(), (anomaly) => say(formatAnomaly(anomaly)), options);
  });
function numberOption(name: string, check: (n: number) => boolean = Number.isFinite) {
  return (value: string) => {
    const n = Number(value);
    if (value.trim() === '' || !check(n)) throw new Error(`${name} must be a valid number, not ${JSON.stringify(value)}`);
    return n;
  };
}
/** A whole number, or `off` for none (null). */
function nullableNumberOption(name: string) {
  return (value: string) => (value === 'off' ? null : numberOption(name, Number.isInteger)(value));
}

interface ConfigureOptions {
  field?: string;
  detectors?: string;
  k?: number;
  minSamples?: number;
  direction?: 'above' | 'below' | 'both';
  clearAfter?: number;
  learnAnomalies?: 'on' | 'off';
  relearnAfter?: number | null;
  window?: number | null;
  by: string;
  reason?: string;
}

const byOption = () => new Option('--by <who>', 'who makes the change (kept in the workflow history)').default(defaultAuthor());
const reasonOption = () => new Option('--reason <text>', 'why (kept in the workflow history)');

/** Runs an operator command with a Temporal client, closing it afterwards. */
/** A thresholds file's rows; its invalid rows each on stderr, then a one-line error saying what `outcome` was. */
function readThresholdsFile(file: string, outcome: string): ThresholdRow[] {
  const { rows, errors } = parseThresholdsCsv(fs.readFileSync(file, 'utf8'));
  if (errors.length > 0) {
    for (const { line, reason } of errors) process.stderr.write(`line ${line}: ${reason}\n`);
    throw new Error(`${errors.length} invalid row(s) in ${file}; ${outcome}`);
  }
  return rows;
}

async function withClient<T>(run: (client: Awaited<ReturnType<typeof connectTemporalClient>>, config: Config) => Promise<T>): Promise<T> {
  const config = configured('warn');
  const client = await connectTemporalClient(config);
  try {
    return await run(client, config);
  } finally {
    await client.connection.close();
  }
}

program
  .command('thresholds')
  .description('Threshold files (host,field,low,high)')
  .command('apply <file>')
  .description('Validate a thresholds CSV and apply it: each device named (started if new), `*` to every device. A row without a rule is `each`; a row with both bounds empty removes the threshold')
  .option('--replace', 'the file is the whole truth for the devices it names and for `*`: their rules the file does not name are removed')
  .addOption(byOption())
  .addOption(reasonOption())
  .action(async (file: string, options: { by: string; reason?: string; replace?: boolean }) => {
    const rows = readThresholdsFile(file, 'nothing was applied');
    const outcomes = await withClient((client, config) => applyThresholdRows(client, config, rows, options.by, options.reason, options.replace ?? false));
    for (const o of outcomes) say(`${o.applied ? 'applied ' : 'rejected'} ${o.device}${o.applied ? '' : `: ${o.message}`}`);
    const rejected = outcomes.filter((o) => !o.applied).length;
    if (rejected > 0) throw new Error(`${rejected} of ${outcomes.length} device(s) rejected the change`);
  });

program
  .command('devices')
  .description('Devices known to Temporal')
  .command('list')
  .description('List running devices from visibility (works with no worker running)')
  .addOption(new Option('--status <status>', 'only devices in this connection status').choices(connectionStatusSchema.options))
  .action(async (options: { status?: string }) => {
    const rows = await withClient((client, config) => listDevices(client, config, options.status));
    say(rows.length === 0 ? 'No devices.' : describeDevices(rows));
  });

program
  .command('violations')
  .description(
    "The latest threshold violation per (device, field), as the host rules' row_number() query prints it, from the sink's PostgreSQL (needs the sink, not a worker); with --listing, the notebook's per-batch listings read from the host input topic",
  )
  .addOption(new Option('--listing <query>', "per batch of event time, from the host input topic: latest (row_no = 1), count (cnt > N), consecutive (value, value1, value2)").choices(listingKinds))
  .option('--batch <duration>', 'the batch length in event time (with --listing; default 60s)')
  .option('--more-than <n>', 'count: list a (host, field) with more than N violations in the batch (default 3, the notebook\'s cnt > 3)', numberOption('--more-than', (n) => Number.isInteger(n) && n >= 0))
  .option('--thresholds <file>', "judge by this thresholds file (host,field,low,high), as the notebook read thresholds.csv (default: the thresholds in force in Temporal, as thresholds apply left them)")
  .option('--from <time>', 'start at the messages written at or after this time, e.g. 2026-12-08T06:00:00Z (default: the beginning of the topic)')
  .option('--follow', 'go on reading, and print each batch once the input\'s event time has passed its end (default: read to the end of the topic, print, exit)')
  .option('-t, --topic <topic>', 'the host input topic (default: the configured topic of the host format)')
  .action(async (options: { listing?: ListingKind; batch?: string; moreThan?: number; thresholds?: string; from?: string; follow?: boolean; topic?: string }) => {
    const { listing, ...perBatch } = options;
    if (listing === undefined) {
      const given = Object.keys(perBatch).map((o) => `--${o.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
      if (given.length > 0) throw new Error(`${given.join(', ')} ${given.length === 1 ? 'needs' : 'need'} --listing latest|count|consecutive`);
      const rows = await latestViolations(configured('warn'));
      say(rows.length === 0 ? 'No threshold violations.' : describeViolations(rows));
      return;
    }
    const config = configured('warn');
    const batchMs = options.batch === undefined ? 60_000 : parseDuration(options.batch, '--batch');
    const from = options.from === undefined ? undefined : parseTime(options.from, '--from');
    const thresholds = options.thresholds === undefined ? thresholdsInForceSource(config) : fixedThresholds(readThresholdsFile(options.thresholds, 'nothing was listed'));
    try {
      const run = await runBatchListings(
        config,
        { kind: listing, moreThan: options.moreThan ?? 3, batchMs, topic: options.topic, from, follow: options.follow ?? false },
        thresholds.boundsOf,
        { print: (text) => say(text), warn: (line) => process.stderr.write(`${line}\n`) },
      );
      if (options.follow) {
        const stop = () => void run.stop().then(thresholds.close).then(() => process.exit(0));
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      }
      await run.finished;
    } finally {
      if (!options.follow) await thresholds.close();
    }
  });

const device = program.command('device').description('One device: inspect it, change its rules, reset its model');
device
  .command('show <id>')
  .description("The device's state, readable (the `state` query; needs a running worker)")
  .option('--json', 'print the raw state')
  .action(async (id: string, options: { json?: boolean }) => {
    const state = await withClient((client) => deviceState(client, id));
    say(options.json ? JSON.stringify(state, null, 2) : describeDevice(state));
  });
device
  .command('reset <id>')
  .description('Forget the z-score model of one field, or of every field')
  .option('--field <field>', 'only this field')
  .addOption(byOption())
  .addOption(reasonOption())
  .action(async (id: string, options: { field?: string; by: string; reason?: string }) => {
    const fields = await withClient((client) => resetModel(client, id, options.field, options.by, options.reason));
    say(`reset ${fields.length > 0 ? fields.join(', ') : 'nothing (no model yet)'}`);
  });
device
  .command('configure <id>')
  .description("Change which detectors judge a field, and the device's z-score rule and learn gate, or one field's")
  .option('--field <field>', 'only this field')
  .option('--detectors <names>', `the detectors that judge --field, comma-separated (${detectorNameSchema.options.join(', ')}), or "default"`)
  .option('--k <k>', 'standard deviations that count as anomalous', numberOption('--k'))
  .option('--min-samples <n>', 'readings before judging', numberOption('--min-samples'))
  .addOption(new Option('--direction <direction>', 'which side is anomalous').choices(['above', 'below', 'both']))
  .option('--clear-after <n>', 'normal readings that resolve an anomaly', numberOption('--clear-after'))
  .addOption(new Option('--learn-anomalies <on|off>', 'whether anomalous values teach the model (the learn gate)').choices(['on', 'off']))
  .option('--relearn-after <n|off>', 'anomalous readings in a row that make a new level (the model re-baselines), or "off"', nullableNumberOption('--relearn-after'))
  .option('--window <n|off>', 'readings the z-score model weighs (older ones fade), or "off" for all alike', nullableNumberOption('--window'))
  .addOption(byOption())
  .addOption(reasonOption())
  .action(async (id: string, o: ConfigureOptions) => {
    const learnAnomalies = o.learnAnomalies === undefined ? undefined : o.learnAnomalies === 'on';
    const rule = Object.fromEntries(
      Object.entries({ k: o.k, minSamples: o.minSamples, direction: o.direction, clearAfter: o.clearAfter, learnAnomalies, relearnAfter: o.relearnAfter, window: o.window }).filter(([, v]) => v !== undefined),
    );
    if (o.detectors === undefined && Object.keys(rule).length === 0) throw new Error('nothing to change: give --detectors or a z-score option (--k, --direction, …)');
    await withClient(async (client) => {
      if (o.detectors !== undefined) {
        if (o.field === undefined) throw new Error('--detectors needs --field');
        const detectors = o.detectors === 'default' ? null : o.detectors.split(',').map((name) => name.trim()).filter(Boolean);
        const judging = await setDetectors(client, id, { field: o.field, detectors: detectors as never, by: o.by, reason: o.reason });
        say(`${o.field}: ${judging.fields[o.field]?.join(', ') ?? 'the defaults'}`);
      }
      if (Object.keys(rule).length > 0) say(JSON.stringify(await configureZScore(client, id, { field: o.field, rule, by: o.by, reason: o.reason })));
    });
  });
device
  .command('push-model <id>')
  .description('Replace the z-score model of a field with {n, mean, m2} (an M2 model)')
  .requiredOption('--field <field>', 'the field')
  .requiredOption('--n <n>', 'count', numberOption('--n'))
  .requiredOption('--mean <mean>', 'mean', numberOption('--mean'))
  .requiredOption('--m2 <m2>', 'sum of squared deviations', numberOption('--m2'))
  .addOption(byOption())
  .addOption(reasonOption())
  .action(async (id: string, o: { field: string; n: number; mean: number; m2: number; by: string; reason?: string }) => {
    await withClient((client) => pushModel(client, id, { field: o.field, model: { n: o.n, mean: o.mean, m2: o.m2 }, by: o.by, reason: o.reason }));
    say(`model of ${o.field} replaced`);
  });

device
  .command('snooze <id>')
  .description('Snooze the device, or one field: its anomalies are still detected and recorded, marked suppressed, but not routed to Alertmanager nor shown as open on the board')
  .option('--field <field>', 'only this field')
  .requiredOption('--for <duration>', 'how long: 90s, 30m, 2h, 1d (at most 30 days)')
  .addOption(byOption())
  .addOption(reasonOption())
  .action(async (id: string, o: { field?: string; for: string; by: string; reason?: string }) => {
    const forMs = parseDuration(o.for, '--for');
    const snoozed = await withClient((client) => snoozeDevice(client, id, { field: o.field, forMs, by: o.by, reason: o.reason }));
    say(`${id}${snoozed.field === null ? '' : ` ${snoozed.field}`} snoozed until ${new Date(snoozed.until).toISOString()}`);
  });
device
  .command('unsnooze <id>')
  .description('End the snooze of one field, or every snooze of the device')
  .option('--field <field>', 'only this field')
  .addOption(byOption())
  .addOption(reasonOption())
  .action(async (id: string, o: { field?: string; by: string; reason?: string }) => {
    const ended = await withClient((client) => unsnoozeDevice(client, id, { field: o.field, by: o.by, reason: o.reason }));
    say(ended === 0 ? 'nothing was snoozed' : `${ended} snooze${ended === 1 ? '' : 's'} ended`);
  });
device
  .command('ack <id> <anomalyId>')
  .description('Acknowledge an open anomaly (who, when, a note); `device show` lists the open ones')
  .option('--note <text>', 'a note (kept in the workflow history)')
  .addOption(byOption())
  .action(async (id: string, anomalyId: string, o: { note?: string; by: string }) => {
    const ack = await withClient((client) => acknowledgeAnomaly(client, id, { anomalyId, by: o.by, note: o.note }));
    say(`${anomalyId} acknowledged by ${ack.by} at ${new Date(ack.at).toISOString()}`);
  });
device
  .command('false-alarm <id> <anomalyId>')
  .description('Mark an anomaly (open, or one of the last 20 raised) as a false alarm: z-score learns the value, a threshold suggests the bound that would have kept it quiet, other detectors record it for evaluation')
  .option('--note <text>', 'a note (kept in the workflow history)')
  .addOption(byOption())
  .action(async (id: string, anomalyId: string, o: { note?: string; by: string }) => {
    const marked = await withClient((client) => markFalseAlarm(client, id, { anomalyId, by: o.by, note: o.note }));
    say(`${anomalyId} marked as a false alarm (${marked.detector} on ${marked.field}, ${marked.value})`);
    if (marked.lesson === 'model') say(`z-score: ${marked.value} joined the model of ${marked.field}`);
    else if (marked.suggestion) {
      const { side, bound } = marked.suggestion;
      say(`threshold: a ${side} bound of ${bound} on ${marked.field} would have kept it quiet (the rule fires ${side === 'high' ? 'above' : 'below'} it); change it with bin/vigil thresholds apply`);
    } else say(`${marked.detector}: recorded for evaluation`);
  });

const maintenance = program.command('maintenance').description('Maintenance windows of a device or a device-id pattern: anomalies recorded as suppressed, not routed');
maintenance
  .command('add')
  .description('Add (or replace, by --id) a window for a device or a pattern (* and ?): running devices that match get it now, devices that start later take it from the fleet')
  .requiredOption('--devices <pattern>', 'a device id, or a pattern such as "pump-*"')
  .option('--start <time>', '"now" or a time with its zone, e.g. 2026-12-08T06:00:00Z', 'now')
  .option('--end <time>', 'when it ends (or --for)')
  .option('--for <duration>', 'how long from its start: 90s, 30m, 2h, 1d')
  .option('--id <id>', 'its name (default: made from the pattern and the start)')
  .addOption(byOption())
  .addOption(reasonOption())
  .action(async (o: { devices: string; start: string; end?: string; for?: string; id?: string; by: string; reason?: string }) => {
    if ((o.end === undefined) === (o.for === undefined)) throw new Error('give --end or --for (one of them)');
    const start = parseTime(o.start, '--start');
    const end = o.end !== undefined ? parseTime(o.end, '--end') : start + parseDuration(o.for as string, '--for');
    const id = o.id ?? `${o.devices.replace(/[^\w.:@-]+/g, '_').slice(0, 60)}@${new Date(start).toISOString().replace(/[-:]|\.\d+/g, '')}`;
    const window = { id, devices: o.devices, start, end, by: o.by, ...(o.reason ? { reason: o.reason } : {}) };
    const outcome = await withClient((client, config) => changeMaintenance(client, config, { add: window, by: o.by, reason: o.reason }));
    say(`maintenance ${id}: ${o.devices} from ${new Date(start).toISOString()} to ${new Date(end).toISOString()}; running devices now in it: ${outcome.devices.join(', ') || 'none'}`);
    for (const r of outcome.refused) process.stderr.write(`${r.device}: ${r.message}\n`);
    if (outcome.refused.length > 0) throw new Error(`${outcome.refused.length} device(s) refused the window`);
  });
maintenance
  .command('remove <windowId>')
  .description('Remove a maintenance window from the fleet and the devices that have it')
  .addOption(byOption())
  .addOption(reasonOption())
  .action(async (windowId: string, o: { by: string; reason?: string }) => {
    const outcome = await withClient((client, config) => changeMaintenance(client, config, { remove: windowId, by: o.by, reason: o.reason }));
    say(`maintenance ${windowId} removed; from running devices: ${outcome.devices.join(', ') || 'none'}`);
  });
maintenance
  .command('list')
  .description("The fleet's maintenance windows that have not ended")
  .action(async () => {
    // From the fleet's memo: no worker needed.
    const { maintenance: windows } = await withClient((client, config) => readFleetDefaults(client, fleetWorkflowId(config.temporal.taskQueue)));
    const now = Date.now();
    const open = windows.filter((w) => w.end > now);
    say(open.length === 0 ? 'No maintenance windows.' : open.map((w) => `${w.id}  ${w.devices}  ${new Date(w.start).toISOString()} … ${new Date(w.end).toISOString()}${w.start <= now ? ' (now)' : ''}  by ${w.by}${w.reason ? `: ${w.reason}` : ''}`).join('\n'));
  });

program
  .command('sink')
  .description('Write anomalies, hourly aggregates and (VIGIL_SINK_STORE_READINGS=true) every reading to PostgreSQL')
  .action(async () => {
    await runSink(configured());
  });

program
  .command('alerter')
  .description('Route anomalies and disconnections to Alertmanager (VIGIL_ALERTMANAGER_URL), posting open ones again until they resolve')
  .action(async () => {
    await runAlerter(configured());
  });

program
  .command('board')
  .description('Serve the live Anomaly Board (on 127.0.0.1; beyond loopback only with VIGIL_BOARD_TOKEN)')
  .option('-p, --port <port>', 'port (default VIGIL_BOARD_PORT or 8090; 0 picks a free one)', numberOption('--port', (n) => Number.isInteger(n) && n >= 0 && n < 65536))
  .option('--host <address>', 'address to listen on (default VIGIL_BOARD_HOST or 127.0.0.1); beyond loopback it needs VIGIL_BOARD_TOKEN')
  .option('--from-beginning', 'also replay the readings already in the input topics')
  .action(async (options: { port?: number; host?: string; fromBeginning?: boolean }) => {
    const config = configured();
    const board = await startBoard(config, { port: options.port ?? config.board.port, host: options.host ?? config.board.host, fromBeginning: options.fromBeginning });
    say(`Anomaly Board: ${board.url}`);
    const stop = () => void board.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

program.command('demo').description('Run everything end to end on the local services and print the anomalies').action(async () => {
  await runDemo(configured('warn'), say);
});

// One line (a connection failure names the server and the setting), never a stack, never a secret.
program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`vigil: ${scrubSecrets(error instanceof Error ? error.message : String(error))}\n`);
  process.exit(1);
});
