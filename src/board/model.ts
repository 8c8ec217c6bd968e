import { type Aggregate, aggregateKey } from '../contracts/aggregates';
import type { AnomalyEvent } from '../contracts/anomalies';
import type { DeviceEvent } from '../contracts/device-events';
import type { Reading } from '../reading';

const WINDOW_MS = 60_000;
const SERIES_POINTS = 300;
const ANOMALIES_KEPT = 100;
const AGGREGATES_KEPT = 96;

export type BoardStatus = 'NEW' | 'CONNECTED' | 'DISCONNECTED' | 'RETIRED';
export type Severity = 'ok' | 'recent' | 'open' | 'offline';

export interface DeviceSummary {
  deviceId: string;
  status: BoardStatus;
  readings: number;
  lastReadingTs: number | null;
  /** The last-minute report: anomalies and the max value over the device's last minute of event time. */
  anomaliesLastMinute: number;
  maxLastMinute: number | null;
  /** The field the chart's y-axis shows: the one of the latest anomaly, else the first seen. */
  field: string | null;
  openAnomalies: number;
  anomaliesTotal: number;
  severity: Severity;
}

export interface DeviceDetail extends DeviceSummary {
  series: Record<string, Array<[number, number]>>;
  anomalies: AnomalyEvent[];
  /** HTM scores (readings.enriched), when the device has them. */
  scores: Array<{ ts: number; field: string; anomaly: number; likelihood: number }>;
  /** Window aggregates, newest window first: the latest version of each. */
  aggregates: Aggregate[];
}

interface DeviceBoard {
  deviceId: string;
  status: BoardStatus;
  readings: number;
  lastReadingTs: number | null;
  fields: string[];
  series: Map<string, Array<[number, number]>>;
  anomalies: AnomalyEvent[];
  anomaliesTotal: number;
  open: Map<string, AnomalyEvent>;
  scores: DeviceDetail['scores'];
  aggregates: Map<string, Aggregate>;
}

/**
 * What the Anomaly Board shows, folded from the Kafka topics. Pure: the server feeds it,
 * the tests drive it directly. Memory per device is bounded.
 */
export class BoardModel {
  private readonly devices = new Map<string, DeviceBoard>();
  private version = 0;

  private device(deviceId: string): DeviceBoard {
    let device = this.devices.get(deviceId);
    if (!device) {
      device = { deviceId, status: 'NEW', readings: 0, lastReadingTs: null, fields: [], series: new Map(), anomalies: [], anomaliesTotal: 0, open: new Map(), scores: [], aggregates: new Map() };
      this.devices.set(deviceId, device);
    }
    return device;
  }

  /** Bumped on every change, so the server only pushes what is new. */
  get changes(): number {
    return this.version;
  }

  addReading(reading: Reading): void {
    const device = this.device(reading.deviceId);
    device.readings += 1;
    device.lastReadingTs = Math.max(device.lastReadingTs ?? reading.ts, reading.ts);
    if (device.status !== 'DISCONNECTED' && device.status !== 'RETIRED') device.status = 'CONNECTED';
    for (const [field, value] of Object.entries(reading.values)) {
      if (!device.series.has(field)) {
        device.series.set(field, []);
        device.fields.push(field);
      }
      const points = device.series.get(field) as Array<[number, number]>;
      points.push([reading.ts, value]);
      if (points.length > SERIES_POINTS) points.splice(0, points.length - SERIES_POINTS);
    }
    this.version += 1;
  }

  addAnomaly(event: AnomalyEvent): void {
    const device = this.device(event.deviceId);
    if (device.anomalies.some((a) => a.eventId === event.eventId)) return; // a re-publication
    device.anomalies.push(event);
    if (device.anomalies.length > ANOMALIES_KEPT) device.anomalies.shift();
    if (event.status === 'raised') device.anomaliesTotal += 1;
    if (event.status === 'resolved') device.open.delete(event.anomalyId);
    else device.open.set(event.anomalyId, event);
    this.version += 1;
  }

  addDeviceEvent(event: DeviceEvent): void {
    this.device(event.deviceId).status = event.type;
    this.version += 1;
  }

  addScore(deviceId: string, score: DeviceDetail['scores'][number]): void {
    const device = this.device(deviceId);
    device.scores.push(score);
    if (device.scores.length > SERIES_POINTS) device.scores.shift();
    this.version += 1;
  }

  /** Later versions of a window replace earlier ones, as the compacted topic does. */
  addAggregate(aggregate: Aggregate): void {
    const device = this.device(aggregate.deviceId);
    device.aggregates.set(aggregateKey(aggregate), aggregate);
    if (device.aggregates.size > AGGREGATES_KEPT) {
      const oldest = [...device.aggregates.entries()].sort(([, a], [, b]) => a.windowStart - b.windowStart)[0];
      if (oldest) device.aggregates.delete(oldest[0]);
    }
    this.version += 1;
  }

  summaries(): DeviceSummary[] {
    return [...this.devices.values()].map((d) => this.summarize(d)).sort((a, b) => a.deviceId.localeCompare(b.deviceId));
  }

  detail(deviceId: string): DeviceDetail | undefined {
    const device = this.devices.get(deviceId);
    if (!device) return undefined;
    const aggregates = [...device.aggregates.values()].sort((a, b) => b.windowStart - a.windowStart || a.field.localeCompare(b.field));
    return { ...this.summarize(device), series: Object.fromEntries(device.series), anomalies: [...device.anomalies], scores: [...device.scores], aggregates };
  }

  private summarize(device: DeviceBoard): DeviceSummary {
    const latest = device.lastReadingTs ?? Math.max(0, ...device.anomalies.map((a) => a.ts));
    const since = latest - WINDOW_MS;
    const flagged = device.anomalies.filter((a) => a.status !== 'resolved' && a.ts > since);
    const field = device.anomalies.at(-1)?.field ?? device.fields[0] ?? null;
    const recentValues = (field ? (device.series.get(field) ?? []) : []).filter(([ts]) => ts > since).map(([, v]) => v);
    const status = device.status;
    const severity: Severity = status === 'DISCONNECTED' || status === 'RETIRED' ? 'offline' : device.open.size > 0 ? 'open' : flagged.length > 0 ? 'recent' : 'ok';
    return {
      deviceId: device.deviceId,
      status,
      readings: device.readings,
      lastReadingTs: device.lastReadingTs,
      anomaliesLastMinute: flagged.length,
      maxLastMinute: recentValues.length > 0 ? Math.max(...recentValues) : null,
      field,
      openAnomalies: device.open.size,
      anomaliesTotal: device.anomaliesTotal,
      severity,
    };
  }
}
