import { z } from 'zod';
import type { AnomalyEvent } from '../contracts/anomalies';
import type { DeviceEvent } from '../contracts/device-events';
import { detectorNamed } from '../detectors/registry';

/**
 * Vigil's anomalies and disconnections as Alertmanager alerts (its v2 API, `POST /api/v2/alerts`).
 * Pure: the router (router.ts) decides when to post them.
 *
 * An anomaly is one alert, `VigilAnomaly`, named by its `anomaly_id` label: its raise and updates
 * post it firing, its resolve posts it with `endsAt`, and a re-post is the same alert again
 * (Alertmanager identifies alerts by their labels), so delivery is idempotent by anomaly id. A
 * disconnection is `VigilDisconnected` of its device, ended by the device's CONNECTED or RETIRED.
 */
export const postableAlertSchema = z.object({
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()),
  startsAt: z.string(),
  endsAt: z.string(),
  generatorURL: z.string(),
});
export type PostableAlert = z.infer<typeof postableAlertSchema>;

export interface AlertSettings {
  boardUrl: string;
  severities: Record<string, string>;
  deviceGroupPattern: string;
}

/** An alert as the router keeps it: its labels and annotations, when it started, and when it ended (undefined: firing). */
export interface Alert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: number;
  endsAt: number | undefined;
  generatorURL: string;
}

export const severityOf = (settings: AlertSettings, detector: string): string => settings.severities[detector] ?? settings.severities['*'] ?? 'warning';

/** Each pattern compiled once (without the `g` flag, so a RegExp keeps no state between calls). */
const patterns = new Map<string, RegExp>();
function compiled(pattern: string): RegExp {
  let regex = patterns.get(pattern);
  if (!regex) patterns.set(pattern, (regex = new RegExp(pattern)));
  return regex;
}

/** The device's group: the first capture group of the pattern (or its whole match); the id itself when it does not match. */
export function deviceGroupOf(settings: AlertSettings, deviceId: string): string {
  const match = compiled(settings.deviceGroupPattern).exec(deviceId);
  return (match?.[1] ?? match?.[0] ?? deviceId) || deviceId;
}

/** The board's page of the device. */
export const devicePageOf = (settings: AlertSettings, deviceId: string): string => `${settings.boardUrl.replace(/#.*$/, '')}#device=${encodeURIComponent(deviceId)}`;

const iso = (ms: number) => new Date(ms).toISOString();

/** A step of an anomaly as the alert it makes (ended on its resolve). */
export function anomalyAlert(settings: AlertSettings, event: AnomalyEvent, startsAt: number): Alert {
  const { deviceId, detector, field, value, explanation } = event;
  const how = detectorNamed(detector).explain(explanation);
  return {
    labels: {
      alertname: 'VigilAnomaly',
      device: deviceId,
      device_group: deviceGroupOf(settings, deviceId),
      detector,
      field,
      severity: severityOf(settings, detector),
      anomaly_id: event.anomalyId,
    },
    annotations: {
      summary: `${detector} anomaly on ${deviceId} ${field}: ${value}`,
      description: `${field} of ${deviceId} was ${value} at ${iso(event.ts)}, judged by ${detector}: ${how}. Last step: ${event.status}.`,
      value: String(value),
      status: event.status,
    },
    startsAt,
    endsAt: event.status === 'resolved' ? Math.max(startsAt, event.ts) : undefined,
    generatorURL: devicePageOf(settings, deviceId),
  };
}

/** A DISCONNECTED event as the alert it makes; CONNECTED and RETIRED end it. */
export function disconnectionAlert(settings: AlertSettings, event: DeviceEvent, startsAt: number): Alert {
  const { deviceId } = event;
  const seen = event.lastSeenAt === null ? 'never' : iso(event.lastSeenAt);
  const ended = event.type !== 'DISCONNECTED';
  return {
    labels: { alertname: 'VigilDisconnected', device: deviceId, device_group: deviceGroupOf(settings, deviceId), detector: 'connection', severity: severityOf(settings, 'connection') },
    annotations: {
      summary: `${deviceId} is disconnected`,
      description: `${deviceId} sent no data since ${seen}${event.lastReadingTs === null ? '' : ` (its newest reading is of ${iso(event.lastReadingTs)})`}.${ended ? ` It is ${event.type} since ${iso(event.at)}.` : ''}`,
    },
    startsAt,
    endsAt: ended ? Math.max(startsAt, event.at) : undefined,
    generatorURL: devicePageOf(settings, deviceId),
  };
}

/**
 * The alert as Alertmanager takes it at `now`: a firing alert ends at `now + leaseMs` unless it is
 * posted again, as Prometheus does, so Alertmanager's `resolve_timeout` never ends it early and an
 * alert of a router that stopped for good ends by itself. Alertmanager refuses an alert that
 * starts after it ends, so a start in the future (a device's clock ahead) is taken as now.
 */
export function postable(alert: Alert, now: number, leaseMs: number): PostableAlert {
  const startsAt = Math.min(alert.startsAt, now);
  const endsAt = alert.endsAt === undefined ? now + leaseMs : Math.max(startsAt, Math.min(alert.endsAt, now));
  return { labels: alert.labels, annotations: alert.annotations, startsAt: iso(startsAt), endsAt: iso(endsAt), generatorURL: alert.generatorURL };
}
