import { describe, expect, it } from 'vitest';
import { deviceGroupOf, postable } from '../../src/alerting/alerts';
import { OpenAlerts } from '../../src/alerting/open-alerts';
import { loadConfig } from '../../src/config';
import type { AnomalyEvent } from '../../src/contracts/anomalies';
import type { DeviceEvent } from '../../src/contracts/device-events';
import { matchesDevices, suppressionAt, emptyAttention } from '../../src/device/attention';
import { parseDuration, parseTime } from '../../src/operator/duration';

const settings = { boardUrl: 'http://board:8090/', severities: { threshold: 'critical', '*': 'warning' }, deviceGroupPattern: '^([^-_.:/]+)' };
const explanation = { kind: 'zscore', n: 40, mean: 20, stdev: 0.5, z: 50, k: 4, direction: 'both', lower: 18, upper: 22 } as const;

function step(anomalyId: string, status: AnomalyEvent['status'], ts: number, extra: Partial<AnomalyEvent> = {}): AnomalyEvent {
  return { eventId: `${anomalyId}/${status}/${ts}`, anomalyId, status, deviceId: anomalyId.split('/')[0]!, detector: 'zscore', field: 'temp', ts, value: 45, explanation, source: { topic: 't', partition: 0, offset: ts }, ...extra };
}
const at = (offset: number, partition = 0) => ({ topic: 'anomalies', partition, offset });

describe('the alert router’s open alerts', () => {
  it('opens on a raise, keeps its start through updates, ends on the resolve, and commits no further than its oldest open alert', () => {
    const open = new OpenAlerts(settings);
    expect(open.anomaly(step('pump-1/a', 'raised', 1000), at(5))).toMatchObject({ startsAt: 1000, endsAt: undefined, labels: { alertname: 'VigilAnomaly', device: 'pump-1', device_group: 'pump', severity: 'warning', anomaly_id: 'pump-1/a' } });
    expect(open.anomaly(step('pump-2/b', 'raised', 2000), at(6))?.startsAt).toBe(2000);
    expect(open.anomaly(step('pump-1/a', 'updated', 3000), at(7))).toMatchObject({ startsAt: 1000, endsAt: undefined, annotations: { status: 'updated' } });
    expect(open.committable('anomalies', 0, 8)).toBe(5);
    expect(open.committable('anomalies', 1, 8)).toBe(8);
    expect(open.anomaly(step('pump-1/a', 'resolved', 4000), at(8))).toMatchObject({ startsAt: 1000, endsAt: 4000 });
    expect(open.committable('anomalies', 0, 9)).toBe(6);
    // A resolve of an alert it does not hold (never routed) posts nothing.
    expect(open.anomaly(step('pump-9/z', 'resolved', 5000), at(9))).toBeUndefined();
    expect(open.firing().map((a) => a.labels.anomaly_id)).toEqual(['pump-2/b']);
  });

  it('does not route suppressed steps, but ends an alert it holds whatever the resolve says', () => {
    const open = new OpenAlerts(settings);
    const suppressed = { kind: 'snooze' as const, until: 9999 };
    expect(open.anomaly(step('d/a', 'raised', 1000, { suppressed }), at(1))).toBeUndefined();
    expect(open.anomaly(step('d/a', 'resolved', 2000, { suppressed }), at(2))).toBeUndefined();
    open.anomaly(step('d/b', 'raised', 3000), at(3));
    expect(open.anomaly(step('d/b', 'updated', 3500, { suppressed }), at(4))).toBeUndefined();
    expect(open.anomaly(step('d/b', 'resolved', 4000, { suppressed }), at(5))).toMatchObject({ endsAt: 4000 });
    expect(open.size).toBe(0);
  });

  it('opens VigilDisconnected on DISCONNECTED and ends it on CONNECTED', () => {
    const open = new OpenAlerts(settings);
    const event = (type: DeviceEvent['type'], atMs: number): DeviceEvent => ({ eventId: `h/${type}/${atMs}`, deviceId: 'host_12', type, at: atMs, lastSeenAt: atMs - 60_000, lastReadingTs: null });
    expect(open.deviceEvent(event('DISCONNECTED', 70_000), at(1))).toMatchObject({ labels: { alertname: 'VigilDisconnected', device: 'host_12', device_group: 'host', detector: 'connection', severity: 'warning' }, startsAt: 70_000 });
    expect(open.deviceEvent(event('CONNECTED', 90_000), at(2))).toMatchObject({ startsAt: 70_000, endsAt: 90_000 });
    expect(open.deviceEvent(event('CONNECTED', 95_000), at(3))).toBeUndefined();
  });

  it('posts a firing alert with a lease, a resolved one with its end, and never a start after now', () => {
    const alert = { labels: {}, annotations: {}, startsAt: 1000, endsAt: undefined, generatorURL: 'x' };
    expect(postable(alert, 10_000, 300_000)).toMatchObject({ startsAt: new Date(1000).toISOString(), endsAt: new Date(310_000).toISOString() });
    expect(postable({ ...alert, endsAt: 5000 }, 10_000, 300_000).endsAt).toBe(new Date(5000).toISOString());
    expect(postable({ ...alert, startsAt: 50_000 }, 10_000, 300_000).startsAt).toBe(new Date(10_000).toISOString());
    expect([deviceGroupOf(settings, 'pump-07'), deviceGroupOf(settings, 'host_12'), deviceGroupOf(settings, 'solo')]).toEqual(['pump', 'host', 'solo']);
  });
});

describe('snoozes and maintenance windows', () => {
  it('matches device patterns with * and ? only', () => {
    expect(['pump-*', 'pump-?7', 'pump-07', 'pump.07', '*'].map((p) => matchesDevices(p, 'pump-07'))).toEqual([true, true, true, false, true]);
    expect(matchesDevices('a(b)*', 'a(b)c')).toBe(true);
  });

  it('says which silence covers a field at a time: a field snooze, a device snooze, a window that has begun', () => {
    const attention = emptyAttention();
    attention.snoozes = [{ field: 'temp', until: 2000, by: 'x', at: 0, reason: 'r' }];
    attention.maintenance = [{ id: 'w', devices: 'pump-*', start: 3000, end: 5000, by: 'x' }];
    expect(suppressionAt(attention, 'pump-1', 'temp', 1000)).toEqual({ kind: 'snooze', until: 2000, reason: 'r' });
    expect(suppressionAt(attention, 'pump-1', 'hum', 1000)).toBeUndefined();
    expect(suppressionAt(attention, 'pump-1', null, 1000)).toBeUndefined();
    expect(suppressionAt(attention, 'pump-1', 'hum', 3000)).toEqual({ kind: 'maintenance', until: 5000 });
    expect(suppressionAt(attention, 'host-1', 'hum', 3000)).toBeUndefined();
    expect(suppressionAt(attention, 'pump-1', 'hum', 5000)).toBeUndefined();
  });

  it('reads durations and times, or says what it wants in one line', () => {
    expect(['90s', '30m', '2h', '1d', '1h30m', '250ms'].map((d) => parseDuration(d, '--for'))).toEqual([90_000, 1_800_000, 7_200_000, 86_400_000, 5_400_000, 250]);
    for (const bad of ['2x', '', 'h', '0s', '2 h']) expect(() => parseDuration(bad, '--for')).toThrow(`--for must be a duration such as 90s, 30m, 2h or 1d, not ${JSON.stringify(bad)}`);
    expect(parseTime('now', '--start', 42)).toBe(42);
    expect(parseTime('2026-12-08T06:00:00Z', '--start')).toBe(Date.UTC(2026, 11, 8, 6));
    expect(() => parseTime('2026-12-08T06:00:00', '--start')).toThrow(/--start must be "now" or a time with its zone/);
  });
});

describe('the alerting settings', () => {
  it('defaults to the local Alertmanager on 9095 and refuses contradictions in one line, naming the variables', () => {
    const config = loadConfig({});
    expect([config.alerting.alertmanagerUrl, config.alerting.managed, config.alerting.boardUrl]).toEqual(['http://127.0.0.1:9095', true, 'http://127.0.0.1:8090/']);
    expect(loadConfig({ VIGIL_ALERTMANAGER_URL: 'https://am.example:9093' }).alerting.managed).toBe(false);
    expect(() => loadConfig({ VIGIL_ALERTMANAGER_USERNAME: 'u' })).toThrow('VIGIL_ALERTMANAGER_USERNAME and VIGIL_ALERTMANAGER_PASSWORD go together: set both for basic auth, or neither');
    expect(() => loadConfig({ VIGIL_ALERTMANAGER_USERNAME: 'u', VIGIL_ALERTMANAGER_PASSWORD: 'secret-password', VIGIL_ALERTMANAGER_TOKEN: 'secret-token' })).toThrow(/both set/);
    const secured = loadConfig({ VIGIL_ALERTMANAGER_TOKEN: 'a-secret-bearer-token' });
    expect(JSON.stringify(secured.alerting)).not.toContain('a-secret-bearer-token');
    expect(() => loadConfig({ VIGIL_ALERT_DEVICE_GROUP: '([' })).toThrow(/deviceGroupPattern/);
  });
});
