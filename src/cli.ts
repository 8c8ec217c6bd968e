import { Command } from 'commander';
import { loadConfig } from './config';
import { logger } from './logger';
import { runIngest } from './ingest';
import { servicesDown, servicesStatus, servicesUp } from './services';
import { runWorker } from './worker';

const say = (line: string) => process.stdout.write(`${line}\n`);

function configured() {
  const config = loadConfig();
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

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`vigil: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
