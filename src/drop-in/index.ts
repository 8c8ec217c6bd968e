/**
 * Drop-in outputs: the topics the users of the systems Vigil replaces already consume, in their
 * shapes, beside Vigil's own (docs/drop-in-outputs.md has the table). Each is one contract here; this module
 * says which records of a device's outputs go to them. The tables (csv3's `data_dump` and
 * `data_anomaly`, the meter's `hourly_usage`) are the sink's.
 */
import { z } from 'zod';
import type { FormatName } from '../formats';
import type { AnomalyEvent } from '../contracts/anomalies';
import type { KafkaRecord } from '../contracts/contract';
import type { EnrichedReading } from '../contracts/enriched';
import type { ClosedReportWindows } from '../device/anomaly-report';
import { meterAnomaly, meterAnomalyMessage } from './meter-anomalies';
import { monitoringRecord, monitoringRecordsContract, type MonitoringUnknown } from './monitoring-records';
import { sensorAnomalyReport, sensorAnomalyReportsContract } from './sensor-anomaly-reports';
import { sensorAnomalyWindowMessages } from './sensor-anomaly-windows';

export { meterAnomaliesContract, meterAnomalySchema, type MeterAnomaly } from './meter-anomalies';
export { monitoringRecordsContract, monitoringRecordSchema, type MonitoringRecord } from './monitoring-records';
export { sensorAnomalyReportsContract, sensorAnomalyReportSchema, type SensorAnomalyReport } from './sensor-anomaly-reports';
export { sensorAnomalyWindowsContract, sensorAnomalyWindowSchema, type SensorAnomalyWindow } from './sensor-anomaly-windows';

/** The drop-in outputs, by the input format whose users consume them. */
export const dropInOutputSchema = z.enum(['sensor', 'usage', 'epa', 'csv3']);
export type DropInOutput = z.infer<typeof dropInOutputSchema>;
export const dropInOutputs = dropInOutputSchema.options;

export const dropInTopicsSchema = z.object({
  /** The sensor format's `{id, ts, temp}` anomalies. */
  sensorAnomalies: z.string().min(1),
  /** The sensor format's anomaly report: count and max temp per 1-minute window sliding by 1 s (`anomalyMemReport`). */
  sensorAnomalyWindows: z.string().min(1),
  /** The usage format's `{ts, usage}` anomalies. */
  meterAnomalies: z.string().min(1),
  /** The EPA format's enriched `MonitoringRecord`s. */
  monitoringRecords: z.string().min(1),
});
export type DropInTopics = z.infer<typeof dropInTopicsSchema>;

export interface DropInSettings {
  /** The outputs switched on. */
  outputs: readonly DropInOutput[];
  topics: DropInTopics;
  /** The zone the usage format reads its rows' wall times in: the meter's records give them back. */
  usageTimeZone: string;
  /** The format of each input topic: an output serves the readings of its format only. */
  formatOfTopic: ReadonlyMap<string, FormatName>;
  /** The MonitoringRecord's numbers while HTM has none (VIGIL_MONITORING_UNKNOWN): 0, as the class's doubles, or null. */
  monitoringUnknown?: MonitoringUnknown;
}

export interface TopicMessages {
  topic: string;
  messages: KafkaRecord[];
}

const isOn = (settings: DropInSettings, output: DropInOutput, topic: string) => settings.outputs.includes(output) && settings.formatOfTopic.get(topic) === output;

/** The drop-in records of a batch of anomaly steps, by topic (none when nothing applies). */
export function dropInAnomalyMessages(anomalies: readonly AnomalyEvent[], settings: DropInSettings): TopicMessages[] {
  const sensor: KafkaRecord[] = [];
  const meter: KafkaRecord[] = [];
  for (const event of anomalies) {
    if (isOn(settings, 'sensor', event.source.topic)) {
      const report = sensorAnomalyReport(event);
      if (report) sensor.push(sensorAnomalyReportsContract.encode(report));
    } else if (isOn(settings, 'usage', event.source.topic)) {
      const anomaly = meterAnomaly(event, settings.usageTimeZone);
      if (anomaly) meter.push(meterAnomalyMessage(anomaly, event));
    }
  }
  return [
    { topic: settings.topics.sensorAnomalies, messages: sensor },
    { topic: settings.topics.meterAnomalies, messages: meter },
  ].filter((t) => t.messages.length > 0);
}

/** The drop-in records of enriched readings (each with its reading's attributes), by topic. */
export function dropInEnrichedMessages(enriched: ReadonlyArray<{ record: EnrichedReading; attrs: Readonly<Record<string, string>> | undefined }>, settings: DropInSettings): TopicMessages[] {
  const records = enriched
    .filter(({ record }) => isOn(settings, 'epa', record.source.topic))
    .map(({ record, attrs }) => monitoringRecordsContract.encode(monitoringRecord(record, attrs ?? {}, settings.monitoringUnknown), record.deviceId));
  return records.length > 0 ? [{ topic: settings.topics.monitoringRecords, messages: records }] : [];
}

/** The anomaly report's rows of the windows a device closed, when its readings are the sensor format's. */
export function dropInReportMessages(report: ClosedReportWindows | undefined, settings: DropInSettings): TopicMessages[] {
  if (!report || !isOn(settings, 'sensor', report.topic)) return [];
  return [{ topic: settings.topics.sensorAnomalyWindows, messages: sensorAnomalyWindowMessages(report) }];
}
