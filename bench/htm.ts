/**
 * HTM model benchmark: one model with default parameters over 20,000 readings of a noisy
 * daily pattern at 5-minute steps. Prints the figures and writes bench/results/htm.json.
 *
 *   npm run bench:htm [-- --readings 20000] [-- --noise 3] [-- --temporal-memory plain]
 *
 * --noise sets the noise's standard deviation (default 3, about 6 RDSE buckets); a larger
 * one makes successive inputs less alike and the Temporal Memory grow more segments.
 * --temporal-memory runs the other TM than the default (backtracking or plain).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { HtmModel, resolveHtmParams, type TemporalMemoryKind, temporalMemoryKinds } from '../src/htm';
import { MT19937 } from '../src/random/mt19937';

const STEP_MS = 5 * 60_000;
const START_MS = Date.UTC(2024, 0, 1);

function argument(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
}

/** 50 + 20·sin(daily phase) + N(0, noise²), plus 5 on weekdays: a plausible device metric. */
function makeReadings(count: number, noiseSd: number): { timestamp: number; value: number }[] {
  const rng = new MT19937(7);
  const readings: { timestamp: number; value: number }[] = [];
  for (let k = 0; k < count; k++) {
    const timestamp = START_MS + k * STEP_MS;
    const dayPhase = ((timestamp % 86_400_000) / 86_400_000) * 2 * Math.PI;
    const weekday = new Date(timestamp).getUTCDay();
    const bump = weekday >= 1 && weekday <= 5 ? 5 : 0;
    // Box–Muller from two uniforms in (0, 1].
    const u1 = 1 - rng.uniform(0, 1);
    const u2 = rng.uniform(0, 1);
    const noise = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    readings.push({ timestamp, value: 50 + 20 * Math.sin(dayPhase) + bump + noiseSd * noise });
  }
  return readings;
}

function temporalMemoryOption(): TemporalMemoryKind {
  const at = process.argv.indexOf('--temporal-memory');
  const fallback = resolveHtmParams().temporalMemory;
  if (at === -1) return fallback;
  const kind = process.argv[at + 1] as TemporalMemoryKind;
  if (!temporalMemoryKinds.includes(kind)) throw new Error(`--temporal-memory must be one of ${temporalMemoryKinds.join(', ')}`);
  return kind;
}

function main(): void {
  const count = argument('readings', 20_000);
  const noiseSd = argument('noise', 3);
  const temporalMemory = temporalMemoryOption();
  const isDefault = temporalMemory === resolveHtmParams().temporalMemory;
  const readings = makeReadings(count, noiseSd);
  const createStart = performance.now();
  const model = HtmModel.create({ temporalMemory });
  const createMs = performance.now() - createStart;

  const quarterMs: number[] = [0, 0, 0, 0];
  let anomalies = 0;
  let rawSum = 0;
  let rawCount = 0;
  let absErrorSum = 0;
  let errorCount = 0;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  for (let k = 0; k < count; k++) {
    const stepStart = performance.now();
    const reading = readings[k]!;
    const result = model.compute(reading.timestamp, reading.value);
    quarterMs[Math.min(3, Math.floor((4 * k) / count))]! += performance.now() - stepStart;
    if (result.score >= 0.5) anomalies++;
    if (k >= count - 2000 && result.rawScore !== null) {
      rawSum += result.rawScore;
      rawCount++;
    }
    if (k >= count - 2000 && result.error !== null) {
      absErrorSum += Math.abs(result.error);
      errorCount++;
    }
  }
  const totalMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const memory = process.memoryUsage();

  const snapshotStart = performance.now();
  const snapshot = model.snapshot();
  const snapshotMs = performance.now() - snapshotStart;
  const restoreStart = performance.now();
  const restored = HtmModel.restore(snapshot);
  const restoreMs = performance.now() - restoreStart;
  const probe = { timestamp: START_MS + count * STEP_MS, value: 50 };
  const sameAfterRestore =
    JSON.stringify(model.compute(probe.timestamp, probe.value)) === JSON.stringify(restored.compute(probe.timestamp, probe.value));

  const mb = (bytes: number): number => Math.round((bytes / 1_048_576) * 10) / 10;
  const results = {
    readings: count,
    noiseSd,
    temporalMemory,
    createMs: Math.round(createMs),
    totalMs: Math.round(totalMs),
    msPerRecord: Math.round((totalMs / count) * 1000) / 1000,
    // CPU time is steadier than wall time when other work shares the machine.
    cpuMsPerRecord: Math.round((cpuMs / count) * 1000) / 1000,
    recordsPerSecond: Math.round(count / (totalMs / 1000)),
    msPerRecordByQuarter: quarterMs.map((ms) => Math.round((ms / (count / 4)) * 1000) / 1000),
    memoryMB: { heapUsed: mb(memory.heapUsed), arrayBuffers: mb(memory.arrayBuffers), rss: mb(memory.rss) },
    model: model.stats,
    valueRange: model.valueRange,
    snapshotBytes: snapshot.byteLength,
    snapshotMs: Math.round(snapshotMs * 10) / 10,
    restoreMs: Math.round(restoreMs * 10) / 10,
    sameAfterRestore,
    quality: {
      scoresAtLeastHalf: anomalies,
      meanRawLast2000: rawCount === 0 ? null : Math.round((rawSum / rawCount) * 1000) / 1000,
      meanAbsErrorLast2000: errorCount === 0 ? null : Math.round((absErrorSum / errorCount) * 1000) / 1000,
    },
    node: process.version,
  };
  console.log(JSON.stringify(results, null, 2));
  const directory = join(__dirname, 'results');
  mkdirSync(directory, { recursive: true });
  const suffix = isDefault ? '' : `-${temporalMemory}`;
  const name = noiseSd === 3 && count === 20_000 ? `htm${suffix}.json` : `htm-${count}-noise${noiseSd}${suffix}.json`;
  writeFileSync(join(directory, name), `${JSON.stringify(results, null, 2)}\n`);
}

main();
