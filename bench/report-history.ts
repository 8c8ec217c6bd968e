/**
 * What the sensor notebook's anomaly report (anomalyMemReport) costs a device workflow: one
 * device, 10 minutes of 1 Hz sensor readings delivered one reading per signal (the ingest's
 * pace for a 1 Hz device), with lone spikes and a 20-second run of anomalous readings. Prints the
 * history's size, the report's share of the publications (runs, and the rows they stand for),
 * and writes bench/results/report-history.json.
 *
 *   npm run bench:report-history [-- --seconds 600]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import type { createActivities } from '../src/activities';
import { createFleetActivities } from '../src/activities/fleet';
import type { Publication } from '../src/activities/publish';
import type { SourcedItem } from '../src/device/item';
import { sensorAnomalyWindowMessages } from '../src/drop-in/sensor-anomaly-windows';
import { seededRandom } from '../src/samples';
import { sharedWorkflowModules, workflowsPath } from '../src/workflow-bundle';
import { deliverSignal, deliveryOf, stateQuery, workflowIdFor } from '../src/workflows/definitions';
import { testSettings } from '../test/support/reference';
import { createLocalTemporal } from '../test/support/temporal';

const at = process.argv.indexOf('--seconds');
const seconds = at === -1 ? 600 : Number(process.argv[at + 1]);
const T0 = Date.UTC(2024, 0, 8, 9, 0, 0);
const deviceId = 'bench-report';
const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** temp about 20; lone spikes every 97 s from 45 s on, and from 300 s to 340 s a spike every other second (a dense run of anomalous readings). */
function readings(): SourcedItem[] {
  const random = seededRandom(3);
  return Array.from({ length: seconds }, (_, i) => {
    const spike = i >= 45 && i % 97 === 45 ? 40 : 0;
    const step = i >= 300 && i < 340 && i % 2 === 0 ? 30 + (i % 7) : 0;
    return { source: { topic: 'sensor-raw', partition: 0, offset: i }, reading: { deviceId, ts: T0 + i * 1000 + 100, values: { temp: 20 + (random() * 2 - 1) + spike + step, hum: 50 } } };
  });
}

async function main(): Promise<void> {
  const env = await createLocalTemporal();
  const publications: Publication[] = [];
  const activities = {
    publishBatch: async (publication: Publication) => void publications.push(publication),
    ...createFleetActivities(env.client),
  } as unknown as ReturnType<typeof createActivities>;
  const bundle = await bundleWorkflowCode({ workflowsPath, preloadModules: sharedWorkflowModules, logger: quiet });
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: 'bench-report', workflowBundle: bundle, activities });
  const items = readings();
  await worker.runUntil(async () => {
    const handle = env.client.workflow.getHandle(workflowIdFor(deviceId));
    for (const [i, item] of items.entries()) {
      await env.client.workflow.signalWithStart('deviceWorkflow', {
        workflowId: workflowIdFor(deviceId),
        taskQueue: 'bench-report',
        args: [{ deviceId, settings: testSettings() }],
        signal: deliverSignal,
        signalArgs: [deliveryOf([item])],
      });
      while ((await handle.query(stateQuery)).counters.readingsApplied < i + 1) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await handle.terminate('measured');
  });
  const histories = [];
  for await (const run of env.client.workflow.list({ query: `WorkflowId = '${workflowIdFor(deviceId)}'` })) histories.push(await env.client.workflow.getHandle(run.workflowId, run.runId).fetchHistory());
  const historyBytes = histories.reduce((n, h) => n + Buffer.byteLength(JSON.stringify(h)), 0);
  const events = histories.reduce((n, h) => n + (h.events?.length ?? 0), 0);
  const reports = publications.flatMap((p) => (p.report ? [p.report] : []));
  const runs = reports.reduce((n, r) => n + r.runs.length, 0);
  const runBytes = reports.reduce((n, r) => n + Buffer.byteLength(JSON.stringify(r)), 0);
  const rows = reports.flatMap((r) => sensorAnomalyWindowMessages(r));
  const rowBytes = rows.reduce((n, m) => n + Buffer.byteLength(m.value), 0);
  // Publication is a local activity: its input is not in the history; what is, is the state a continue-as-new carries.
  const runsInHistory = histories.reduce((n, h) => n + (JSON.stringify(h).match(/closedThrough/g)?.length ?? 0), 0);
  const publicationBytes = publications.reduce((n, p) => n + Buffer.byteLength(JSON.stringify(p)), 0);
  const anomalies = publications.reduce((n, p) => n + p.anomalies.filter((a) => a.field === 'temp' && a.status !== 'resolved').length, 0);
  const result = {
    seconds, readings: items.length, anomalousTempReadings: anomalies,
    history: { runs: histories.length, events, bytes: historyBytes },
    publications: { count: publications.length, bytes: publicationBytes },
    report: { statesInHistory: runsInHistory, publicationsWithIt: reports.length, runs, runBytes, rows: rows.length, rowBytes },
  };
  console.log(JSON.stringify(result, null, 2));
  mkdirSync(join(__dirname, 'results'), { recursive: true });
  writeFileSync(join(__dirname, 'results', 'report-history.json'), `${JSON.stringify(result, null, 2)}\n`);
  await env.teardown();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
