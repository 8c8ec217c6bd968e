import { z } from 'zod';
import { jsonContract, type KafkaRecord } from '../contracts/contract';
import { type ClosedReportWindows, REPORT_WINDOW_SECONDS } from '../device/anomaly-report';
import { javaDouble } from './java-double';

/**
 * `anomalyMemReport`: the sensor notebook's anomaly report, one record per 1-minute window
 * sliding by 1 s that holds an anomalous temp reading of a device, emitted once when the window
 * closes (src/device/anomaly-report.ts says when): `{id, window: {start, end}, count, temp}` as
 * Spark's `to_json` writes the report's rows (timestamps `2024-01-08T09:00:00.000Z`, in UTC;
 * `count` a long, `temp` a double as Java prints it). Keyed by the device id, so a device's
 * windows stay in order.
 */
export const sensorAnomalyWindowSchema = z.strictObject({
  id: z.string(),
  window: z.strictObject({ start: z.string(), end: z.string() }),
  count: z.number().int().positive(),
  temp: z.number(),
});
export type SensorAnomalyWindow = z.infer<typeof sensorAnomalyWindowSchema>;

const timestamp = (second: number) => new Date(second * 1000).toISOString();

/** The messages of a device's closed windows: one per window of each run, in window order. */
export function sensorAnomalyWindowMessages({ deviceId, runs }: ClosedReportWindows): KafkaRecord[] {
  const messages: KafkaRecord[] = [];
  const id = JSON.stringify(deviceId);
  for (const [first, last, count, temp] of runs) {
    for (let start = first; start <= last; start += 1) {
      const window = `{"start":"${timestamp(start)}","end":"${timestamp(start + REPORT_WINDOW_SECONDS)}"}`;
      messages.push({ key: deviceId, value: `{"id":${id},"window":${window},"count":${count},"temp":${javaDouble(temp)}}` });
    }
  }
  return messages;
}

/** Decodes the records (what consumers do); `sensorAnomalyWindowMessages` writes them. */
export const sensorAnomalyWindowsContract = jsonContract('anomalyMemReport', sensorAnomalyWindowSchema, (row) => row.id);
