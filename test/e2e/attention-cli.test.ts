import fs from 'node:fs';
import path from 'node:path';
import { Client as PgClient } from 'pg';
import { describe, expect, it } from 'vitest';
import { pgConfig } from '../../src/connections/postgres';
import { artifactsDir, usePipeline, waitFor } from '../support/pipeline';
import { fetchMetrics, freePort, sumSeries } from '../support/vigil-process';

const newPipeline = usePipeline();

const T0 = 1_790_000_000_000;
const reading = (deviceId: string, i: number, values: Record<string, number>) => ({ key: deviceId, value: JSON.stringify({ deviceId, ts: T0 + i * 1000, values }) });
const warmup = (deviceId: string) => Array.from({ length: 40 }, (_, i) => reading(deviceId, i, { temp: 20 + ((i % 3) - 1) * 0.5 }));
const isoRe = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';

describe('snooze, maintenance, acknowledge and false alarm from the command line', () => {
  it('changes each through its command, shows them in device show, and answers a bad value in one line', async () => {
    const sdkPort = await freePort();
    const p = newPipeline('e2e-attention-cli', { VIGIL_WORKER_SDK_METRICS_PORT: String(sdkPort) });
    await p.setUp();
    await p.start('worker');
    await p.start('ingest');
    await p.start('sink');
    const [sensor, pump, host] = [`${p.runName}-sensor`, `${p.runName}-pump1`, `${p.runName}-host`];
    const topic = p.topicFor('reading');
    fs.mkdirSync(artifactsDir, { recursive: true });
    const thresholds = path.join(artifactsDir, `${p.runName}-thresholds.csv`);
    fs.writeFileSync(thresholds, `host,field,low,high\n${host},cpu,,80\n`);
    expect((await p.vigil(['thresholds', 'apply', thresholds])).code).toBe(0);
    await p.send([...warmup(sensor), ...warmup(pump), reading(host, 0, { cpu: 70 }), reading(host, 1, { cpu: 95 })], topic);
    await waitFor('the devices applied their readings', async () => {
      const states = await p.statesOf([sensor, pump, host]).catch(() => new Map());
      return [...states.values()].map((s) => s.counters.readingsApplied).join() === '40,40,2';
    }, 60_000);

    // Snooze: one line on success, one line and exit 1 on a bad duration.
    const snoozed = await p.vigil(['device', 'snooze', sensor, '--field', 'temp', '--for', '2h', '--reason', 'calibration', '--by', 'alice']);
    expect(snoozed).toMatchObject({ code: 0, stderr: '' });
    expect(snoozed.stdout).toMatch(new RegExp(`^${sensor} temp snoozed until (${isoRe})\\n$`));
    const until = /until (\S+)/.exec(snoozed.stdout)![1]!;
    expect(await p.vigil(['device', 'snooze', sensor, '--for', '2x'])).toEqual({ code: 1, stdout: '', stderr: 'vigil: --for must be a duration such as 90s, 30m, 2h or 1d, not "2x"\n' });
    expect(await p.vigil(['device', 'snooze', sensor, '--for', '40d'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^vigil: invalid snooze: .*at most 30 days/) });

    // A maintenance window by pattern reaches the running pump.
    const added = await p.vigil(['maintenance', 'add', '--devices', `${p.runName}-pump*`, '--for', '1h', '--id', 'mw-1', '--reason', 'pump swap', '--by', 'bob']);
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(new RegExp(`^maintenance mw-1: ${p.runName}-pump\\* from ${isoRe} to ${isoRe}; running devices now in it: ${pump}\\n$`));
    expect((await p.vigil(['maintenance', 'list'])).stdout).toMatch(new RegExp(`^mw-1  ${p.runName}-pump\\*  ${isoRe} … ${isoRe} \\(now\\)  by bob: pump swap\\n$`));
    expect(await p.vigil(['maintenance', 'add', '--devices', 'x', '--start', 'tomorrow', '--for', '1h'])).toMatchObject({ code: 1, stderr: 'vigil: --start must be "now" or a time with its zone such as 2026-12-08T06:00:00Z, not "tomorrow"\n' });

    const shown = await p.vigil(['device', 'show', sensor]);
    expect(shown.stdout).toContain(`Silenced (anomalies recorded as suppressed, not routed):\n  snoozed temp until ${until} by alice: calibration`);
    expect((await p.vigil(['device', 'show', pump])).stdout).toMatch(new RegExp(`  maintenance mw-1 \\(${p.runName}-pump\\*\\) ${isoRe} … ${isoRe}, now by bob: pump swap`));

    // Spikes under the snooze and in the window are recorded as suppressed.
    await p.send([reading(sensor, 40, { temp: 45 }), reading(pump, 40, { temp: 45 })], topic);
    await waitFor('both raised', () => p.anomalies.filter((e) => e.status === 'raised' && e.detector === 'zscore').length === 2, 30_000);
    expect(p.anomalies.filter((e) => e.detector === 'zscore').map((e) => [e.deviceId, e.suppressed?.kind, e.suppressed?.reason]).sort()).toEqual([[pump, 'maintenance', 'pump swap'], [sensor, 'snooze', 'calibration']].sort());
    // The sink keeps the mark beside the step.
    const db = new PgClient(pgConfig(p.config));
    await db.connect();
    try {
      const stored = async () => (await db.query('SELECT device_id, status, suppressed FROM anomalies WHERE device_id = ANY($1) ORDER BY device_id', [[sensor, pump]])).rows;
      await waitFor('the sink to store both steps', async () => (await stored()).length === 2, 30_000);
      const window = p.anomalies.find((e) => e.deviceId === pump)!.suppressed!;
      expect(await stored()).toEqual([
        { device_id: pump, status: 'raised', suppressed: { kind: 'maintenance', until: window.until, reason: 'pump swap' } },
        { device_id: sensor, status: 'raised', suppressed: { kind: 'snooze', until: Date.parse(until), reason: 'calibration' } },
      ].sort((a, b) => a.device_id.localeCompare(b.device_id)));
    } finally {
      await db.end();
    }
    expect((await p.vigil(['device', 'unsnooze', sensor])).stdout).toBe('1 snooze ended\n');
    expect((await p.vigil(['maintenance', 'remove', 'mw-1'])).stdout).toBe(`maintenance mw-1 removed; from running devices: ${pump}\n`);
    expect((await p.vigil(['maintenance', 'list'])).stdout).toBe('No maintenance windows.\n');

    // Acknowledge the host's open anomaly, then mark it a false alarm: the threshold suggests its bound.
    const hostAnomaly = p.anomalies.find((e) => e.deviceId === host)!.anomalyId;
    const acked = await p.vigil(['device', 'ack', host, hostAnomaly, '--note', 'looking', '--by', 'carol']);
    expect(acked.stdout).toMatch(new RegExp(`^${hostAnomaly.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} acknowledged by carol at ${isoRe}\\n$`));
    expect(await p.vigil(['device', 'ack', host, 'nope'])).toMatchObject({ code: 1, stderr: 'vigil: no open anomaly nope on this device (acknowledge an open one; see device show)\n' });
    const marked = await p.vigil(['device', 'false-alarm', host, hostAnomaly, '--by', 'carol']);
    expect(marked).toMatchObject({ code: 0, stderr: '' });
    expect(marked.stdout).toBe(`${hostAnomaly} marked as a false alarm (threshold on cpu, 95)\nthreshold: a high bound of 95 on cpu would have kept it quiet (the rule fires above it); change it with bin/vigil thresholds apply\n`);
    const sensorAnomaly = p.anomalies.find((e) => e.deviceId === sensor)!.anomalyId;
    expect((await p.vigil(['device', 'false-alarm', sensor, sensorAnomaly])).stdout).toContain('z-score: 45 joined the model of temp\n');

    // Counted per detector on the worker's SDK metrics.
    const metrics = await fetchMetrics(`http://127.0.0.1:${sdkPort}/metrics`);
    const falseAlarms = (detector: string) => sumSeries(metrics, (s) => s.startsWith('vigil_false_alarms') && s.includes(`detector="${detector}"`));
    expect([falseAlarms('threshold'), falseAlarms('zscore'), falseAlarms('htm')]).toEqual([1, 1, 0]);
  });
});
