import { Client as PgClient } from 'pg';
import type { Config } from '../../config';
import { pgConfig } from '../../connections/postgres';
import { connectIngest } from '../../ingest/run';
import { servicesUp } from '../../services';
import { Sink } from '../../sink/sink';
import { createWorker } from '../../worker';
import { renderClosingTable } from './closing-table';
import type { DemoContext, PartOutcome } from './context';
import { csv3Title, demoCsv3 } from './csv3';
import { demoEpa, epaTitle } from './epa';
import { demoHosts, hostsTitle } from './hosts';
import { boardCommand } from './links';
import { demoMeter, meterTitle } from './meter';
import { DemoOutputs } from './outputs';
import { demoSensors, sensorsTitle } from './sensors';

/** The five systems, in the order of their documents. */
const parts: ReadonlyArray<{ title: string; run: (ctx: DemoContext) => Promise<PartOutcome> }> = [
  { title: sensorsTitle, run: demoSensors },
  { title: hostsTitle, run: demoHosts },
  { title: epaTitle, run: demoEpa },
  { title: meterTitle, run: demoMeter },
  { title: csv3Title, run: demoCsv3 },
];

/**
 * `vigil demo`: services up; a worker, the ingest, the SQL sink and a follower of the output
 * topics in this process; the five systems' samples replayed one after the other, each with what
 * came out of it; a closing table. Throws one line when an outcome is missing.
 */
export async function runDemo(config: Config, say: (line: string) => void): Promise<void> {
  const started = Date.now();
  const steps = parts.length + 3;
  say(`1/${steps} Starting the local services (the first run installs Temporal, Kafka and PostgreSQL)…`);
  await servicesUp(config, (line) => say(`    ${line}`));

  say(`2/${steps} Starting a worker, the ingest, the SQL sink and a follower of the output topics…`);
  const { worker, close, client } = await createWorker(config);
  const workerRun = worker.run();
  const ingest = await connectIngest(config);
  await ingest.start();
  const sink = new Sink(config);
  await sink.start();
  const outputs = await DemoOutputs.follow(config);
  const db = new PgClient(pgConfig(config));
  await db.connect();

  const outcomes: PartOutcome[] = [];
  try {
    // One tag per run in every device id: a run never meets an earlier run's devices.
    const ctx: DemoContext = { config, say: (line) => say(`    ${line}`), tag: Date.now().toString(36), outputs, client, db };
    for (const [i, part] of parts.entries()) {
      say(`${i + 3}/${steps} ${part.title}`);
      outcomes.push(await part.run(ctx));
    }
  } finally {
    await db.end();
    await outputs.stop();
    await sink.stop();
    await ingest.stop();
    worker.shutdown();
    await workerRun;
    await close();
  }

  say(`${steps}/${steps} What went in and what came out:`);
  for (const line of renderClosingTable(outcomes.map((o) => o.row))) say(`    ${line}`);
  say(`    Board: ${boardCommand(config)}`);
  say(`    Temporal UI: ${config.temporal.uiUrl} (a device's summary stays visible there with no worker running)`);
  say('    The services keep running; stop them with: bin/vigil services down');
  say(`    The demo took ${Math.round((Date.now() - started) / 1000)} s.`);
  const problems = outcomes.flatMap((o) => o.problems);
  if (problems.length > 0) throw new Error(problems.join('; '));
}
