import { type Aggregate, aggregateKey } from '../contracts/aggregates';
import type { AnomalyEvent } from '../contracts/anomalies';
import type { DeviceEvent } from '../contracts/device-events';
import { incidentKey } from '../device/apply';
import type { Reading } from '../reading';
import { AnomalousMinute } from './last-minute';
import { BoundedSeries } from './series';
import type { DeviceSnapshot } from './snapshot';
import type { BoardStatus, DeviceSummary, Severity } from './summary';

const SERIES_POINTS = 300;
const STEPS_KEPT = 100;
const AGGREGATES_KEPT = 48;

/** One anomaly step as the device page lists it (the record minus its explanation and source). */
export type AnomalyStep = Pick<AnomalyEvent, 'eventId' | 'anomalyId' | 'status' | 'detector' | 'field' | 'ts' | 'value'> & { suppressed?: true };
export type Score = { ts: number; field: string; anomaly: number; likelihood: number };

export interface DeviceDetail extends DeviceSummary {
  series: Record<string, Array<[number, number]>>;
  /** The newest anomaly steps, oldest first. */
  anomalies: AnomalyStep[];
  /** HTM scores (readings.enriched), when the device has them. */
  scores: Score[];
  /** Window aggregates, newest window first: the latest version of each. */
  aggregates: Aggregate[];
}

interface DeviceBoard {
  deviceId: string;
  status: BoardStatus;
  /** Where the status came from: a device event beats visibility, which beats a reading. */
  statusFrom: 'none' | 'reading' | 'visibility' | 'event';
  lastReadingTs: number | null;
  series: Map<string, BoundedSeries>;
  steps: AnomalyStep[];
  /** The open anomalies by `detector:field`: a device has at most one open per detector and field. */
  open: Set<string>;
  /** When the latest snooze or maintenance window seen on its anomalies ends (epoch ms). */
  silencedUntil: number | null;
  raisedSeen: number;
  /** What visibility said at start, and the raises seen since that it could not have counted. */
  visibility: { anomalyCount: number; lastReadingTs: number | null } | undefined;
  raisedSinceVisibility: number;
  minute: AnomalousMinute;
  scores: Score[];
  aggregates: Map<string, Aggregate>;
  /** The summary as last computed; undefined when something changed since. */
  summary: DeviceSummary | undefined;
}

/**
 * What the Anomaly Board knows of each device, folded from Temporal visibility (at start) and
 * the Kafka topics. Pure: the server feeds it, the tests drive it directly. Memory per device is
 * bounded, and a summary is computed again only for a device that changed.
 */
export class BoardModel {
  private readonly devices = new Map<string, DeviceBoard>();
  /** Device ids in order; rebuilt when a device is added. */
  private order: string[] | undefined;
  private version = 0;

  /** Bumped on every change, so the server only pushes what is new. */
  get changes(): number {
    return this.version;
  }

  get size(): number {
    return this.devices.size;
  }

  private device(deviceId: string): DeviceBoard {
    let device = this.devices.get(deviceId);
    if (!device) {
      device = {
        deviceId, status: 'NEW', statusFrom: 'none', lastReadingTs: null, series: new Map(), steps: [], open: new Set(), silencedUntil: null, raisedSeen: 0,
        visibility: undefined, raisedSinceVisibility: 0, minute: new AnomalousMinute(), scores: [], aggregates: new Map(), summary: undefined,
      };
      this.devices.set(deviceId, device);
      this.order = undefined;
    }
    device.summary = undefined;
    this.version += 1;
    return device;
  }

  private readingAt(device: DeviceBoard, ts: number | null): void {
    if (ts !== null && Number.isFinite(ts)) device.lastReadingTs = Math.max(device.lastReadingTs ?? ts, ts);
  }

  /**
   * What visibility says of a device. Apply it before the topics' records: the topics then add
   * what happened since (a device event's status wins over it).
   */
  applySnapshot(snapshot: DeviceSnapshot): void {
    const device = this.device(snapshot.deviceId);
    if (device.statusFrom !== 'event') {
      device.status = snapshot.status;
      device.statusFrom = 'visibility';
    }
    this.readingAt(device, snapshot.lastReadingTs);
    for (const key of snapshot.openIncidents) device.open.add(key);
    device.visibility = { anomalyCount: snapshot.anomalyCount, lastReadingTs: snapshot.lastReadingTs };
    // Raises already seen that the count cannot include (only the kept steps are known).
    device.raisedSinceVisibility = device.steps.filter((s) => s.status === 'raised' && this.afterVisibility(device, s.ts)).length;
  }

  addReading(reading: Reading): void {
    const device = this.device(reading.deviceId);
    this.readingAt(device, reading.ts);
    // Readings make a new device connected; a change after that is the device's own event.
    if (device.status === 'NEW') {
      device.status = 'CONNECTED';
      device.statusFrom = 'reading';
    }
    for (const [field, value] of Object.entries(reading.values)) {
      let series = device.series.get(field);
      if (!series) {
        series = new BoundedSeries(SERIES_POINTS);
        device.series.set(field, series);
      }
      series.push(reading.ts, value);
    }
  }

  addAnomaly(event: AnomalyEvent): void {
    const known = this.devices.get(event.deviceId);
    if (known?.steps.some((s) => s.eventId === event.eventId)) return; // a re-publication
    const device = this.device(event.deviceId);
    const { eventId, anomalyId, status, detector, field, ts, value } = event;
    device.steps.push({ eventId, anomalyId, status, detector, field, ts, value, ...(event.suppressed ? { suppressed: true as const } : {}) });
    if (device.steps.length > STEPS_KEPT) device.steps.shift();
    this.readingAt(device, ts);
    if (status === 'resolved') {
      device.open.delete(incidentKey(detector, field));
      return;
    }
    if (event.suppressed) {
      // Snoozed or in maintenance: detected and listed, but not open, not counted, not in the chart.
      device.open.delete(incidentKey(detector, field));
      device.silencedUntil = Math.max(device.silencedUntil ?? 0, event.suppressed.until);
      return;
    }
    device.open.add(incidentKey(detector, field));
    if (status === 'raised') {
      device.raisedSeen += 1;
      if (this.afterVisibility(device, ts)) device.raisedSinceVisibility += 1;
    }
    const { topic, partition, offset } = event.source;
    device.minute.add({ ts, field, value, source: `${topic}/${partition}/${offset}` }, device.lastReadingTs ?? ts);
  }

  addDeviceEvent(event: DeviceEvent): void {
    const device = this.device(event.deviceId);
    device.status = event.type;
    device.statusFrom = 'event';
    this.readingAt(device, event.lastReadingTs);
  }

  addScore(deviceId: string, score: Score): void {
    const device = this.device(deviceId);
    device.scores.push(score);
    if (device.scores.length > SERIES_POINTS) device.scores.shift();
  }

  /** Later versions of a window replace earlier ones, as the compacted topic does. */
  addAggregate(aggregate: Aggregate): void {
    const device = this.device(aggregate.deviceId);
    device.aggregates.set(aggregateKey(aggregate), aggregate);
    // The sliding last minute ends at the device's newest reading; an hour ends where it ends.
    if (aggregate.kind === 'last-minute') this.readingAt(device, aggregate.windowEnd);
    if (device.aggregates.size > AGGREGATES_KEPT) {
      const oldest = [...device.aggregates.entries()].sort(([, a], [, b]) => a.windowStart - b.windowStart)[0];
      if (oldest) device.aggregates.delete(oldest[0]);
    }
  }

  /** Every device, by id. */
  summaries(): DeviceSummary[] {
    this.order ??= [...this.devices.keys()].sort((a, b) => a.localeCompare(b));
    return this.order.map((id) => this.summarize(this.devices.get(id) as DeviceBoard));
  }

  detail(deviceId: string): DeviceDetail | undefined {
    const device = this.devices.get(deviceId);
    if (!device) return undefined;
    const aggregates = [...device.aggregates.values()].sort((a, b) => b.windowStart - a.windowStart || a.field.localeCompare(b.field));
    const series = Object.fromEntries([...device.series].map(([field, s]) => [field, s.points()]));
    return { ...this.summarize(device), series, anomalies: [...device.steps], scores: [...device.scores], aggregates };
  }

  /** A raise at `ts` that visibility's count did not include: after the reading time it was written with. */
  private afterVisibility(device: DeviceBoard, ts: number): boolean {
    const at = device.visibility?.lastReadingTs;
    return device.visibility !== undefined && (at === null || at === undefined || ts > at);
  }

  private summarize(device: DeviceBoard): DeviceSummary {
    if (device.summary) return device.summary;
    const minute = device.minute.report(device.lastReadingTs);
    const { status } = device;
    const severity: Severity = status === 'DISCONNECTED' || status === 'RETIRED' ? 'offline' : device.open.size > 0 ? 'open' : minute.count > 0 ? 'recent' : 'ok';
    device.summary = {
      deviceId: device.deviceId,
      status,
      lastReadingTs: device.lastReadingTs,
      anomaliesLastMinute: minute.count,
      maxLastMinute: minute.max,
      field: minute.field,
      openAnomalies: device.open.size,
      anomaliesTotal: device.visibility ? device.visibility.anomalyCount + device.raisedSinceVisibility : device.raisedSeen,
      severity,
      silencedUntil: device.silencedUntil,
    };
    return device.summary;
  }
}
