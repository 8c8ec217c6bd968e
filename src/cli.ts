import { Command, Option } from 'commander';
import { type Config, loadConfig } from './config';
import { runDemo } from './demo';
import { type FormatName, formatNameSchema } from './formats';
import { runIngest } from './ingest';
import { logger } from './logger';
import { replayFile } from './replay';
import { servicesDown, servicesStatus, servicesUp } from './services';
import { formatAnomaly, tailAnomalies } from './tail';
import { runWorker } from './worker';

const say = (line: string) => process.stdout.write(`${line}\n`);

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
    say(`${s.name.padEnd(9)} ${s.healthy ? 'healthy  ' : 'down     '} ${s.where}${s.managed ? ` (local${s.pid ? `, pid ${s.pid}` : ''})` : ' (external)'}`);
  }
  if (!statuses.every((s) => s.healthy)) process.exitCode = 1;
});

program.command('worker').description('Run a Temporal worker for the device workflows').action(async () => {
  await runWorker(configured());
});
program.command('ingest').description('Consume readings from Kafka and route them to the device workflows').action(async () => {
  await runIngest(configured());
});
program
  .command('replay <file>')
  .description('Send a CSV (with a header row) or JSON-lines file into the readings topic, keyed by device')
  .addOption(new Option('-f, --format <format>', 'input format').choices(formatNameSchema.options).default('reading'))
  .option('-a, --accelerator <n>', 'play event time N× faster (default: as fast as possible)', (v) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--accelerator must be a positive number, not ${v}`);
    return n;
  })
  .option('-t, --topic <topic>', 'topic to write to (default: the input topic of that format)')
  .action(async (file: string, options: { format: FormatName; accelerator?: number; topic?: string }) => {
    const result = await replayFile(configured(), file, { ...options, progress: process.stderr.isTTY });
    say(`${result.sent} readings sent`);
    if (result.invalid.length > 0) {
      for (const { line, reason } of result.invalid.slice(0, 20)) process.stderr.write(`line ${line}: ${reason}\n`);
      if (result.invalid.length > 20) process.stderr.write(`… and ${result.invalid.length - 20} more\n`);
      throw new Error(`${result.invalid.length} invalid rows were not sent`);
    }
  });
program
  .command('tail')
  .description('Print anomalies as they are published')
  .option('--from-beginning', 'start with the oldest anomaly in the topic')
  .action(async (options: { fromBeginning?: boolean }) => {
    await tailAnomalies(configured(), (anomaly) => say(formatAnomaly(anomaly)), options);
  });
program.command('demo').description('Run everything end to end on the local services and print the anomalies').action(async () => {
  await runDemo(configured('warn'), say);
});

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`vigil: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
