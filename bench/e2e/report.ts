import type { FloorResult } from './floor';
import type { HotSpot } from './profile';
import type { ServerStep } from './scrape';

export interface BenchResults {
  at: string;
  machine: { cpus: number; cpuModel: string; memoryGb: number; node: string; platform: string };
  /** Which Temporal was measured. */
  temporal?: string;
  options: { devices: number; rate: number; warmup: number; seconds: number; spikesPerSecond: number; partitions: number; recoverySeconds: number; batchMs?: number };
  sustained: {
    seconds: number;
    producedPerSecond: number;
    readingsPerSecond: number;
    acceptedPerSecond: number;
    latencyMs: { anomalies: number; p50: number | null; p95: number | null; p99: number | null; max: number | null };
    signalsPerSecond: number;
    meanBatchSize: number | null;
    workflowTasksPerSignal: number | null;
    actionsPerDeviceHour: { total: number; byType: Record<string, number> } | null;
    activitiesPerSignal: number | null;
    historyBytesPerReading: number | null;
    workerBytesPerCachedWorkflow: number | null;
    cachedWorkflows: number;
    cpuCores: Record<string, number>;
    stepSeconds: Record<string, { count: number; mean: number }>;
    serverSteps: ServerStep[];
  };
  ceilings: { kafkajsConsumePerSecond: number | null; signalWithStartPerSecond: number | null; signalWithStartReadingsEach: number };
  recovery: {
    workerRestartSeconds: number;
    firstAnomalyAfterKillSeconds: number | null;
    firstAnomalyOfANewReadingSeconds: number | null;
    latencyBackToP99Seconds: number | null;
  } | null;
  /** One reading per device before the load: seconds until every device had applied it. */
  coldStart: { readings: number; seconds: number };
  floor: FloorResult | null;
  vsFloor: { latencyP50: number | null; latencyP99: number | null; workflowTasksPerSignal: number | null } | null;
  drained: boolean;
  counts: Record<string, number>;
  profile: Record<string, HotSpot[]> | null;
}

const int = (x: number | null) => (x === null ? '–' : Math.round(x).toLocaleString('en-US'));
const secs = (x: number | null) => (x === null ? '–' : `${x.toFixed(1)} s`);
const fixed = (x: number | null | undefined, digits = 2) => (x === null || x === undefined ? '–' : x.toFixed(digits));
/** Actions per device-hour, in all and by type, the largest first. */
const actions = (a: { total: number; byType: Record<string, number> } | null | undefined) =>
  a
    ? `${Math.round(a.total).toLocaleString('en-US')} (${Object.entries(a.byType).sort((x, y) => y[1] - x[1]).map(([type, n]) => `${type.replace(/^(command|grpc)_/, '')} ${Math.round(n).toLocaleString('en-US')}`).join(', ')})`
    : '–';
const kb = (x: number | null | undefined) => (x === null || x === undefined ? '–' : `${Math.round(x / 1024).toLocaleString('en-US')} KB`);

/** The results as the markdown table BENCHMARKS.md quotes. */
export function markdownReport(r: BenchResults): string {
  const { sustained: s, ceilings: c, options: o } = r;
  const lines = [
    `### ${o.devices} devices, target ${int(o.rate)} readings/s (${r.at})`,
    '',
    `Machine: ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGb} GB, ${r.machine.platform}, Node ${r.machine.node}. ` +
      `Warm-up ${o.warmup} s, measured ${s.seconds} s, ${o.partitions} partitions, ${o.spikesPerSecond} spikes/s injected` +
      `${o.batchMs === undefined ? '' : `, VIGIL_DEVICE_BATCH_MS ${o.batchMs}`}.` +
      (r.temporal ? ` Temporal: ${r.temporal}.` : ''),
    '',
    '| figure | value |',
    '|---|---|',
    `| cold start: all ${int(o.devices)} devices running (one reading each, applied) | ${secs(r.coldStart.seconds)} |`,
    `| produced (readings/s) | ${int(s.producedPerSecond)} |`,
    `| accepted by Temporal (signalled, offsets committed; readings/s) | ${int(s.acceptedPerSecond)} |`,
    `| **applied by the device workflows (readings/s; an upper bound: a retried workflow task counts again)** | **${int(s.readingsPerSecond)}** |`,
    `| latency append → anomaly published, p50 / p95 / p99 / max (ms) | ${int(s.latencyMs.p50)} / ${int(s.latencyMs.p95)} / ${int(s.latencyMs.p99)} / ${int(s.latencyMs.max)} (${s.latencyMs.anomalies} anomalies) |`,
    `| signals/s (signalWithStart) | ${int(s.signalsPerSecond)} |`,
    `| mean batch (readings per signal) | ${s.meanBatchSize === null ? '–' : s.meanBatchSize.toFixed(1)} |`,
    `| workflow tasks / activities per signal (server) | ${fixed(s.workflowTasksPerSignal)} / ${fixed(s.activitiesPerSignal)} |`,
    `| billable actions per device-hour (server's \`action\` counter, queries left out) | ${actions(s.actionsPerDeviceHour)} |`,
    `| history per reading (every run of the fleet's workflows) | ${s.historyBytesPerReading === null ? '–' : `${Math.round(s.historyBytesPerReading)} bytes`} |`,
    `| worker memory per cached workflow (resident growth / ${int(s.cachedWorkflows)} cached) | ${kb(s.workerBytesPerCachedWorkflow)} |`,
    `| CPU (cores) | ${Object.entries(s.cpuCores).map(([name, cores]) => `${name} ${cores.toFixed(2)}`).join(', ')} |`,
    `| ceiling: kafkajs consume, no processing (messages/s) | ${int(c.kafkajsConsumePerSecond)} |`,
    `| ceiling: Temporal signalWithStart alone (calls/s, ${c.signalWithStartReadingsEach} readings each) | ${int(c.signalWithStartPerSecond)} |`,
  ];
  const f = r.floor;
  if (f) {
    lines.push(
      `| **floor** (the same fleet, a workflow that only records offsets): append → applied p50 / p99 (ms) | ${int(f.latencyMs.p50)} / ${int(f.latencyMs.p99)} (${int(f.latencyMs.readings)} readings) |`,
      `| floor: applied (readings/s), signals/s, readings per signal | ${int(f.readingsPerSecond)}, ${int(f.signalsPerSecond)}, ${fixed(f.meanBatchSize, 1)} |`,
      `| floor: workflow tasks / activities per signal, history per reading | ${fixed(f.workflowTasksPerSignal)} / ${fixed(f.activitiesPerSignal)}, ${f.historyBytesPerReading === null ? '–' : `${Math.round(f.historyBytesPerReading)} bytes`} |`,
      `| floor: billable actions per device-hour | ${actions(f.actionsPerDeviceHour)} |`,
      `| floor: CPU (cores) | ${Object.entries(f.cpuCores).map(([name, cores]) => `${name} ${cores.toFixed(2)}`).join(', ')} |`,
      `| Vigil ÷ floor: latency p50, p99; workflow tasks per signal | ${fixed(r.vsFloor?.latencyP50)}, ${fixed(r.vsFloor?.latencyP99)}; ${fixed(r.vsFloor?.workflowTasksPerSignal)} |`,
    );
  }
  for (const [step, { count, mean }] of Object.entries(s.stepSeconds)) {
    lines.push(`| mean \`${step}\` (ms, ${int(count)} samples) | ${(mean * 1000).toFixed(1)} |`);
  }
  if (r.recovery) {
    lines.push(
      `| worker kill -9 → new worker polling | ${secs(r.recovery.workerRestartSeconds)} |`,
      `| worker kill -9 → first anomaly published | ${secs(r.recovery.firstAnomalyAfterKillSeconds)} |`,
      `| worker kill -9 → first anomaly of a reading sent after the kill | ${secs(r.recovery.firstAnomalyOfANewReadingSeconds)} |`,
      `| worker kill -9 → latency back under the measured p99 (2 s at least) for good | ${secs(r.recovery.latencyBackToP99Seconds)} |`,
    );
  }
  if (s.serverSteps.length > 0) {
    lines.push(
      '',
      'Where the Temporal server\'s time went in the measured window (its own metrics; busy = seconds spent per second, concurrent calls summed):',
      '',
      '| step | per second | mean (ms) | busy |',
      '|---|---|---|---|',
      ...s.serverSteps.map((x) => `| ${x.step} | ${x.perSecond.toFixed(1)} | ${x.meanMs.toFixed(1)} | ${x.busy.toFixed(2)} |`),
    );
  }
  lines.push('', `Counts: ${Object.entries(r.counts).map(([k, v]) => `${k} ${int(v)}`).join(', ')}.`, '');
  if (!r.drained) lines.push('**Not drained**: the backlog was not worked off within the drain limit, so the counts above are a snapshot, not in = out.', '');
  for (const [name, spots] of Object.entries(r.profile ?? {})) {
    lines.push(`Hot spots of the ${name}'s busiest thread (share of its busy time):`, '', '| % | function |', '|---|---|', ...spots.map((h) => `| ${h.selfPercent} | \`${h.where}\` |`), '');
  }
  return `${lines.join('\n')}\n`;
}
