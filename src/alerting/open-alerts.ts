import type { AnomalyEvent } from '../contracts/anomalies';
import type { DeviceEvent } from '../contracts/device-events';
import { type Alert, type AlertSettings, anomalyAlert, disconnectionAlert } from './alerts';

/** Where a record was read: the router commits by it. */
export interface Position {
  topic: string;
  partition: number;
  offset: number;
}

interface Held {
  alert: Alert;
  /** The record that opened the alert: the partition's committed offset never passes it while the alert is open. */
  opened: Position;
}

/**
 * The alerts the router holds open, folded from `anomalies` and `device-events` in partition
 * order. Pure. Each record gives the alert to post now, if any:
 * - an anomaly's raise or update opens or updates its alert (keeping its start);
 * - its resolve ends the alert, when this router holds it (one it never routed stays unrouted);
 * - a step marked `suppressed` (snooze, maintenance) is not routed: an alert already open stays
 *   as it was posted, until its resolve;
 * - DISCONNECTED opens the device's `VigilDisconnected`; CONNECTED and RETIRED end it.
 *
 * What is committed for a partition is the offset of its oldest open alert's record (else the
 * next offset): a router that starts again, or takes the partition over, reads from there and
 * holds again exactly the alerts that are open. Kafka is the router's memory, and nothing expires
 * early because a router restarted.
 */
export class OpenAlerts {
  private readonly held = new Map<string, Held>();

  constructor(private readonly settings: AlertSettings) {}

  get size(): number {
    return this.held.size;
  }

  anomaly(event: AnomalyEvent, at: Position): Alert | undefined {
    return this.step(`anomaly:${event.anomalyId}`, event.status === 'resolved', event.suppressed !== undefined, at, (startsAt) => anomalyAlert(this.settings, event, startsAt ?? event.ts));
  }

  deviceEvent(event: DeviceEvent, at: Position): Alert | undefined {
    return this.step(`disconnected:${event.deviceId}`, event.type !== 'DISCONNECTED', event.suppressed !== undefined, at, (startsAt) => disconnectionAlert(this.settings, event, startsAt ?? event.at));
  }

  /**
   * One step of an alert's life, given the alert it makes from its start (that of the alert held
   * open, if any). An end closes only an alert this router holds; a suppressed step opens nothing
   * and leaves an open alert as it was posted; any other step opens or updates it: an update of
   * an anomaly raised while silenced is routed from then on, as if raised.
   */
  private step(key: string, ends: boolean, suppressed: boolean, at: Position, alertFrom: (heldSince: number | undefined) => Alert): Alert | undefined {
    const held = this.held.get(key);
    if (ends) {
      if (!held) return undefined;
      this.held.delete(key);
      return alertFrom(held.alert.startsAt);
    }
    if (suppressed) return undefined;
    const alert = alertFrom(held?.alert.startsAt);
    this.held.set(key, { alert, opened: held?.opened ?? at });
    return alert;
  }

  /** The offset to commit for a partition read up to `next` (exclusive). */
  committable(topic: string, partition: number, next: number): number {
    let offset = next;
    for (const { opened } of this.held.values()) if (opened.topic === topic && opened.partition === partition) offset = Math.min(offset, opened.offset);
    return offset;
  }

  /** Every open alert, to post again. */
  firing(): Alert[] {
    return [...this.held.values()].map((h) => h.alert);
  }

  /** Forgets every alert: after a rebalance each partition is read again from its committed offset. */
  clear(): void {
    this.held.clear();
  }
}
