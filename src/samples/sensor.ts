import { seededRandom } from './random';

/** The sensor sample: temperature spikes at known places, for the demo and the tests. */

export interface SensorRecord {
  id: string;
  ts: number;
  temp: number;
  hum: number;
}

export interface SensorSample {
  records: SensorRecord[];
  /** The (device, ts) of every injected temperature spike: exactly the anomalies to expect. */
  spikes: Array<{ id: string; ts: number; temp: number }>;
}

export interface SensorSampleOptions {
  devices: number;
  readingsPerDevice: number;
  spikesPerDevice: number;
  seed: number;
  /** Device ids are `${prefix}${n}`. */
  prefix: string;
  startTs: number;
  intervalMs: number;
}

/**
 * Sensor records `{id, ts, temp, hum}`, interleaved across devices in time order. Noise is bounded
 * (uniform ±1 °C, stdev ≈ 0.58), so no ordinary reading is 4 stdev from the mean; each spike is
 * +15 °C (≈ 26 stdev) and comes after the model's 30-reading warm-up.
 */
export function generateSensorSample(options: SensorSampleOptions): SensorSample {
  const random = seededRandom(options.seed);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  const spikeAt = new Map<string, Set<number>>();
  const devices = Array.from({ length: options.devices }, (_, d) => `${options.prefix}${d + 1}`);
  for (const id of devices) {
    const positions = new Set<number>();
    while (positions.size < options.spikesPerDevice) {
      positions.add(40 + Math.floor(random() * (options.readingsPerDevice - 40)));
    }
    spikeAt.set(id, positions);
  }
  const records: SensorRecord[] = [];
  const spikes: SensorSample['spikes'] = [];
  for (let i = 0; i < options.readingsPerDevice; i += 1) {
    devices.forEach((id, d) => {
      const ts = options.startTs + i * options.intervalMs;
      const spike = spikeAt.get(id)?.has(i) ?? false;
      const temp = round(20 + d + (random() * 2 - 1) + (spike ? 15 : 0));
      const hum = round(45 + (random() * 4 - 2));
      records.push({ id, ts, temp, hum });
      if (spike) spikes.push({ id, ts, temp });
    });
  }
  return { records, spikes };
}

export function sensorSampleCsv(sample: SensorSample): string {
  return ['id,ts,temp,hum', ...sample.records.map((r) => `${r.id},${r.ts},${r.temp},${r.hum}`)].join('\n') + '\n';
}
