/**
 * Deterministic samples with anomalies at known places, for the demo, the tests and
 * `vigil sample`: sensor records, a meter's usage, EPA air-quality rows.
 */
import { z } from 'zod';
import type { FormatName } from '../formats';
import { EPA_FIELD } from '../formats/epa';
import { defaultEpaSampleOptions, epaSampleCsv, generateEpaSample } from './epa';
import { generateSensorSample, sensorSampleCsv, type SensorSampleOptions } from './sensor';
import { defaultUsageSampleOptions, generateUsageSample, USAGE_SAMPLE_TIME_ZONE, usageSampleCsv } from './usage';

export * from './epa';
export { seededRandom } from './random';
export * from './sensor';
export * from './usage';


export const sampleKindSchema = z.enum(['sensor', 'usage', 'epa']);
export type SampleKind = z.infer<typeof sampleKindSchema>;

export interface DescribedSample {
  csv: string;
  /** The format `replay` reads it with. */
  format: FormatName;
  summary: string;
  /** One line per injected anomaly. */
  anomalies: string[];
}

/** The demo's sensor sample, from a fixed start so the file is the same on every run. */
const sensorSampleDefaults: SensorSampleOptions = {
  devices: 5,
  readingsPerDevice: 300,
  spikesPerDevice: 3,
  seed: 42,
  prefix: 'demo-sensor-',
  startTs: Date.UTC(2024, 0, 1),
  intervalMs: 1000,
};

export function describeSample(kind: SampleKind, seed?: number): DescribedSample {
  switch (kind) {
    case 'sensor': {
      const options = { ...sensorSampleDefaults, seed: seed ?? sensorSampleDefaults.seed };
      const sample = generateSensorSample(options);
      return {
        csv: sensorSampleCsv(sample),
        format: 'sensor',
        summary: `${options.devices} devices × ${options.readingsPerDevice} readings of sensor records {id, ts, temp, hum}, 1 s apart`,
        anomalies: sample.spikes.map((s) => `${s.id} ${new Date(s.ts).toISOString()} temp=${s.temp}`),
      };
    }
    case 'usage': {
      const options = { ...defaultUsageSampleOptions, seed: seed ?? defaultUsageSampleOptions.seed };
      const sample = generateUsageSample(options);
      return {
        csv: usageSampleCsv(sample),
        format: 'usage',
        summary: `${sample.rows.length} 5-minute rows of a meter's usage, ${options.weeks} weeks from ${options.startDate} (${USAGE_SAMPLE_TIME_ZONE} wall time)`,
        anomalies: sample.anomalies.map((a) => `${a.ts} (${new Date(a.epochMs).toISOString()}) usage=${a.value} kW`),
      };
    }
    case 'epa': {
      const options = { ...defaultEpaSampleOptions, seed: seed ?? defaultEpaSampleOptions.seed };
      const sample = generateEpaSample(options);
      return {
        csv: epaSampleCsv(sample),
        format: 'epa',
        summary: `${sample.rows.length} hourly EPA AQS rows (ozone and PM2.5 of one site), ${options.days} days from ${options.startDate} GMT`,
        anomalies: sample.spikes.map((s) => `${s.deviceId} ${new Date(s.ts).toISOString()} ${EPA_FIELD}=${s.value}`),
      };
    }
  }
}

