import { describe, expect, it } from 'vitest';
import { useAlertmanager } from '../support/alertmanager';
import { usePipeline, waitFor } from '../support/pipeline';

const newPipeline = usePipeline();
const am = useAlertmanager('alerting');

const T0 = 1_790_000_000_000;
const reading = (deviceId: string, i: number, temp: number) => ({ key: deviceId, value: JSON.stringify({ deviceId, ts: T0 + i * 1000, values: { temp } }) });
/** 40 ordinary readings (20 ± 0.5): past the z-score warm-up of 30. */
const warmup = (deviceId: string) => Array.from({ length: 40 }, (_, i) => reading(deviceId, i, 20 + ((i % 3) - 1) * 0.5));
const iso = (ms: number) => new Date(ms).toISOString();
const BOARD = 'http://board.example:8090/';

describe('alerts through a real Alertmanager', () => {
  it('posts a spike with its labels and board link, ends it on resolve, is muted by a silence, groups notifications, and waits out an Alertmanager that is down', async () => {
    await am.start();
    const p = newPipeline('e2e-alerting', { VIGIL_ALERTMANAGER_URL: am.url, VIGIL_ALERTS_REPOST_MS: '1000', VIGIL_ALERTS_LEASE_MS: '20000', VIGIL_BOARD_URL: BOARD });
    await p.setUp();
    await p.start('worker');
    await p.start('ingest');
    const alerter = await p.start('alerter');
    const [a1, a2, b1, c1] = ['a1', 'a2', 'b1', 'c1'].map((d) => `${p.runName}-${d}`) as [string, string, string, string];
    const topic = p.topicFor('reading');
    await p.send([a1, a2, b1, c1].flatMap(warmup), topic);
    await waitFor('the devices warmed up', async () => {
      const states = await p.statesOf([a1, a2, b1, c1]).catch(() => new Map());
      return [...states.values()].filter((s) => s.counters.readingsApplied === 40).length === 4;
    }, 60_000);

    // Two devices of one group spike at once: two alerts, one notification.
    await p.send([reading(a1, 40, 45), reading(a2, 40, 46)], topic);
    const alertOf = async (deviceId: string) => (await am.alerts()).find((a) => a.labels.device === deviceId);
    await waitFor('both alerts in Alertmanager', async () => (await alertOf(a1)) !== undefined && (await alertOf(a2)) !== undefined, 30_000);
    const raised = p.anomalies.find((e) => e.deviceId === a1 && e.status === 'raised');
    expect(raised).toBeDefined();
    const alert = (await alertOf(a1))!;
    expect(alert.labels).toEqual({
      alertname: 'VigilAnomaly', device: a1, device_group: 'e2e', detector: 'zscore', field: 'temp', severity: 'warning', anomaly_id: raised!.anomalyId,
    });
    expect(alert.generatorURL).toBe(`${BOARD}#device=${encodeURIComponent(a1)}`);
    expect(alert.startsAt).toBe(iso(T0 + 40_000));
    expect(alert.annotations.summary).toBe(`zscore anomaly on ${a1} temp: 45`);
    expect(alert.annotations.description).toBe(`temp of ${a1} was 45 at ${iso(T0 + 40_000)}, judged by zscore: mean 19.99, stdev 0.42, z 60.2, k 4. Last step: raised.`);
    expect(alert.status.state).toBe('active');
    // Firing: valid for the lease, renewed every second, so it outlives Alertmanager's resolve_timeout.
    expect(Date.parse(alert.endsAt)).toBeGreaterThan(Date.now());

    await waitFor('the grouped notification', () => am.notifications.some((n) => n.status === 'firing' && n.alerts.length === 2), 20_000, () => JSON.stringify(am.notifications));
    const grouped = am.notifications.find((n) => n.status === 'firing' && n.alerts.length === 2)!;
    expect(grouped.groupLabels).toEqual({ alertname: 'VigilAnomaly', device_group: 'e2e', severity: 'warning' });
    expect(grouped.alerts.map((a) => a.labels.device).sort()).toEqual([a1, a2].sort());

    // The next ordinary reading resolves a1: its alert ends at that reading's time.
    await p.send([reading(a1, 41, 20)], topic);
    await waitFor('the resolved notification', () => am.notifications.some((n) => n.alerts.some((a) => a.labels.device === a1 && a.status === 'resolved')), 30_000, () => JSON.stringify(am.notifications));
    const resolved = am.notifications.flatMap((n) => n.alerts).find((a) => a.labels.device === a1 && a.status === 'resolved')!;
    expect([Date.parse(resolved.startsAt), Date.parse(resolved.endsAt)]).toEqual([T0 + 40_000, T0 + 41_000]);
    expect(await alertOf(a1)).toBeUndefined(); // the API lists alerts that have not ended
    expect((await alertOf(a2))?.status.state).toBe('active');

    // A silence made in Alertmanager mutes b1: its alert is there, suppressed, and nobody is told.
    const silence = await am.silence([{ name: 'device', value: b1 }], 'maintenance of b1');
    await p.send([reading(b1, 40, 47)], topic);
    await waitFor('b1 in Alertmanager', async () => (await alertOf(b1)) !== undefined, 30_000);
    expect((await alertOf(b1))!.status).toMatchObject({ state: 'suppressed', silencedBy: [silence] });
    const before = am.notifications.length;
    await new Promise((resolve) => setTimeout(resolve, 4000)); // two group intervals and more
    expect(am.notifications.slice(before).flatMap((n) => n.alerts).filter((a) => a.labels.device === b1)).toEqual([]);
    expect(am.notifications.flatMap((n) => n.alerts).some((a) => a.labels.device === b1)).toBe(false);

    // Alertmanager down: detection and the Kafka outputs go on, and the alert arrives once it is back.
    await am.stop();
    await p.send([reading(c1, 40, 48)], topic);
    await waitFor('c1 raised on the anomalies topic', () => p.anomalies.some((e) => e.deviceId === c1 && e.status === 'raised'), 30_000);
    expect((await p.deviceState(c1)).counters.anomalyCount).toBe(1);
    await waitFor('the alerter to see Alertmanager down', async () => (await p.metrics('alerter')).get('vigil_alertmanager_up') === 0, 20_000);
    await am.start();
    await waitFor('c1 in Alertmanager once it is back', async () => (await alertOf(c1)) !== undefined, 30_000);
    const back = (await alertOf(c1))!;
    expect([back.labels.anomaly_id, back.startsAt, back.status.state]).toEqual([p.anomalies.find((e) => e.deviceId === c1)!.anomalyId, iso(T0 + 40_000), 'active']);
    // Alertmanager keeps no alerts across a restart: the open ones are posted again by the router.
    await waitFor('a2 posted again', async () => (await alertOf(a2)) !== undefined, 10_000);
    const metrics = await p.metrics('alerter');
    expect(metrics.get('vigil_alertmanager_up')).toBe(1);
    expect(metrics.get('vigil_alerts_open')).toBe(3); // a2, b1 (silenced in Alertmanager, open in Vigil) and c1
    expect(metrics.get('vigil_alertmanager_failures_total')).toBeGreaterThan(0);

    // A router started again reads each partition from its oldest open alert: it holds the same three.
    alerter.kill('SIGTERM');
    await new Promise((resolve) => alerter.once('exit', resolve));
    await p.start('alerter');
    await waitFor('the new router to hold the open alerts', async () => (await p.metrics('alerter')).get('vigil_alerts_open') === 3, 30_000);
    // What it read again (maybe a1's raise and resolve, when they lie after an open alert's record) changed nothing.
    expect(await alertOf(a1)).toBeUndefined();
    expect((await Promise.all([a2, b1, c1].map(alertOf))).map((a) => a?.status.state)).toEqual(['active', 'suppressed', 'active']);
  });
});
