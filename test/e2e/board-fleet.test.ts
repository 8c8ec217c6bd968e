import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { BoardView } from '../../src/board/view';
import { aggregatesContract } from '../../src/contracts/aggregates';
import { anomaliesContract, anomalyEvent } from '../../src/contracts/anomalies';
import type { KafkaRecord } from '../../src/contracts/contract';
import { deviceEvent, deviceEventsContract } from '../../src/contracts/device-events';
import type { Explanation } from '../../src/detectors/registry';
import { connectTemporalClient } from '../../src/connections/temporal';
import { listDevices } from '../../src/operator/devices';
import { boardLog, boardTime, openBoard, startBoardProcess, useChromium } from '../support/board';
import { artifactsDir, type Pipeline, usePipeline, waitFor } from '../support/pipeline';

/**
 * The board at fleet scale, started late. Two devices run through the real pipeline (worker,
 * ingest, their workflows in visibility), and then the anomalies and device-events topics lose
 * their records, as retention would: only visibility still knows their status and counts. A
 * fleet of 1,000 more is written straight to the board's topics, built with the contracts, with
 * known last-minute anomalies. Then the board starts, and a real Chromium checks what it shows.
 */

const newPipeline = usePipeline();
const browser = useChromium();

const T0 = 1_790_000_000_000;
const FLEET = 1000;
const fleetId = (i: number) => `fleet-${String(i).padStart(4, '0')}`;
/** Device i's newest reading. */
const lastOf = (i: number) => T0 + 600_000 + i * 1000;
/** 25 hot devices with 10 … 34 anomalous readings in their last minute; the others 0 … 4. */
const hot = new Map(Array.from({ length: 25 }, (_, j) => [(j * 37 + 11) % FLEET, 10 + j] as const));
const countOf = (i: number) => hot.get(i) ?? i % 5;
const valueOf = (i: number, m: number) => 50 + (i % 13) + m * 0.5;
const statusOf = (i: number) => (i % 100 === 7 ? 'RETIRED' : i % 10 === 3 ? 'DISCONNECTED' : 'CONNECTED');
/** The one device whose raising reading a second detector (a threshold) flags too. */
const TWICE = 899;

const explanation: Explanation = { kind: 'zscore', n: 40, mean: 20, stdev: 1, z: 30, k: 4, direction: 'above', lower: 16, upper: 24 };
const thresholdExplanation: Explanation = { kind: 'threshold', low: null, high: 40, rule: 'each', n: 1, windowMs: 0, violationsInWindow: 1, consecutive: 1 };

/** What the board should say of fleet device i. */
function expected(i: number) {
  const count = countOf(i);
  return {
    deviceId: fleetId(i),
    status: statusOf(i),
    lastReadingTs: lastOf(i),
    anomaliesLastMinute: count,
    maxLastMinute: count > 0 ? valueOf(i, count - 1) : null,
    openAnomalies: (count > 0 && i % 2 === 1 ? 1 : 0) + (i === TWICE ? 1 : 0),
    anomaliesTotal: (count > 0 ? 1 : 0) + (i % 3 === 0 ? 1 : 0) + (i === TWICE ? 1 : 0),
  };
}

/** Fleet device i's records on the anomalies topic: its last minute, an older incident, a re-publication. */
function anomalySteps(i: number): KafkaRecord[] {
  const deviceId = fleetId(i);
  const source = (offset: number) => ({ topic: 'sensor-raw', partition: 0, offset: i * 1000 + offset });
  const step = (anomalyId: string, status: 'raised' | 'updated' | 'resolved', ts: number, value: number, offset: number, detector: 'zscore' | 'threshold' = 'zscore') =>
    anomalyEvent({ anomalyId, status, deviceId, detector, field: 'temp', ts, value, explanation: detector === 'zscore' ? explanation : thresholdExplanation, source: source(offset) });
  const events = [];
  if (i % 3 === 0) {
    const old = `${deviceId}/zscore/temp/old`;
    events.push(step(old, 'raised', lastOf(i) - 300_000, 90, 500), step(old, 'resolved', lastOf(i) - 299_000, 20, 501));
  }
  const id = `${deviceId}/zscore/temp/minute`;
  for (let m = 0; m < countOf(i); m += 1) {
    events.push(step(id, m === 0 ? 'raised' : 'updated', lastOf(i) - 59_000 + m * 1000, valueOf(i, m), m));
    if (m === 0 && i % 4 === 1) events.push(events.at(-1) as (typeof events)[number]); // re-published
    if (m === 5 && i === TWICE) events.push(step(`${deviceId}/threshold/temp/minute`, 'raised', lastOf(i) - 59_000 + m * 1000, valueOf(i, m), m, 'threshold'));
  }
  if (countOf(i) > 0 && i % 2 === 0) events.push(step(id, 'resolved', lastOf(i), 20, 900));
  return events.map((e) => anomaliesContract.encode(e));
}

function deviceEvents(i: number): KafkaRecord[] {
  const events = [deviceEvent(fleetId(i), 'CONNECTED', T0, T0, lastOf(i) - 300_000)];
  if (statusOf(i) !== 'CONNECTED') events.push(deviceEvent(fleetId(i), 'DISCONNECTED', T0 + 1, T0, lastOf(i)));
  if (statusOf(i) === 'RETIRED') events.push(deviceEvent(fleetId(i), 'RETIRED', T0 + 2, T0, lastOf(i)));
  return events.map((e) => deviceEventsContract.encode(e));
}

/** An hourly window (sent twice: the later version wins) and the sliding last minute, which ends at the newest reading. */
function aggregates(i: number): KafkaRecord[] {
  const hour = Math.floor(lastOf(i) / 3_600_000) * 3_600_000;
  const hourly = { deviceId: fleetId(i), field: 'temp', kind: 'hourly' as const, windowMs: 3_600_000, windowStart: hour, windowEnd: hour + 3_600_000, count: 100, avg: 21, min: 19, max: 60, anomalousReadings: 1, anomalousMax: 60, final: false };
  const minute = { ...hourly, kind: 'last-minute' as const, windowMs: 60_000, windowStart: lastOf(i) - 60_000, windowEnd: lastOf(i), count: 60, avg: 22, anomalousReadings: countOf(i), anomalousMax: countOf(i) > 0 ? 60 : null };
  return [hourly, { ...hourly, count: 120, avg: 21 + i / 1000 }, minute].map((a) => aggregatesContract.encode(a));
}

const sensor = (id: string, i: number, temp: number) => ({ key: id, value: JSON.stringify({ id, ts: T0 + i * 1000, temp, hum: 40 }) });
const warmup = (id: string) => Array.from({ length: 40 }, (_, i) => sensor(id, i, 20 + ((i % 3) - 1) * 0.5));

async function visibleCounts(client: Client, p: Pipeline): Promise<Map<string, number>> {
  return new Map((await listDevices(client, p.config)).map((row) => [row.deviceId, row.anomalies]));
}

/** Deletes every record of a topic, as retention would once they are old enough. */
async function expire(p: Pipeline, topic: string): Promise<void> {
  const admin = p.kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    await admin.deleteTopicRecords({ topic, partitions: offsets.map((o) => ({ partition: o.partition, offset: o.high })) });
  } finally {
    await admin.disconnect();
  }
}

async function chartPoints(page: Page): Promise<Array<[string, number, number]>> {
  return page.evaluate(() => {
    const chart = (globalThis as unknown as { Chart: { getChart(id: string): { data: { datasets: Array<{ data: Array<{ x: string; count: number; y: number }> }> } } } }).Chart.getChart('bubbles');
    return chart.data.datasets[0]?.data.map((p) => [p.x, p.count, p.y] as [string, number, number]) ?? [];
  });
}

const rowIds = (page: Page) => page.locator('#devices tbody tr a[data-testid=device-link]').allTextContents();

describe('the Anomaly Board with 1,000 devices, started late', () => {
  it('shows what visibility and the topics know, the top devices of the last minute, and finds, filters and pages devices', async () => {
    const p = newPipeline('e2e-board-fleet');
    await p.setUp();
    const client = await connectTemporalClient(p.config);
    try {
      // Two devices through the real pipeline: a raise each, then b resolves and raises again.
      const worker = await p.start('worker');
      const ingest = await p.start('ingest');
      const [a, b] = [`${p.runName}-late-a`, `${p.runName}-late-b`];
      const topic = p.topicFor('sensor');
      await p.send([...warmup(a), sensor(a, 40, 45), ...warmup(b), sensor(b, 40, 45)], topic);
      const counted = async (want: Record<string, number>) => {
        const counts = await visibleCounts(client, p);
        return Object.entries(want).every(([id, n]) => counts.get(id) === n);
      };
      await waitFor('both raises in visibility', () => counted({ [a]: 1, [b]: 1 }), 60_000);
      await waitFor('both raises published', () => p.anomalies.filter((e) => e.status === 'raised').length === 2, 10_000);
      await expire(p, p.config.kafka.topics.anomalies);
      await expire(p, p.config.kafka.topics.deviceEvents);
      await p.send([sensor(b, 41, 20), sensor(b, 42, 45)], topic);
      await waitFor('b’s second raise in visibility', () => counted({ [a]: 1, [b]: 2 }), 30_000);
      await waitFor('b’s second raise published', () => p.anomalies.filter((e) => e.status === 'raised').length === 3, 10_000);
      for (const child of [ingest, worker]) {
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
      }

      // The fleet, straight onto the board's topics.
      const fleet = Array.from({ length: FLEET }, (_, i) => i);
      const { topics } = p.config.kafka;
      await p.send(fleet.flatMap(anomalySteps), topics.anomalies);
      await p.send(fleet.flatMap(deviceEvents), topics.deviceEvents);
      await p.send(fleet.flatMap(aggregates), topics.aggregates);

      // The board starts now, and first reads what is already there.
      const started = Date.now();
      const url = await startBoardProcess(p);
      let view: BoardView | undefined;
      await waitFor('the board to read the topics’ history', async () => {
        view = (await (await fetch(`${url}api/board`)).json()) as BoardView;
        return view.ready;
      }, 30_000);
      const readyMs = Date.now() - started;
      if (!view) throw new Error('no view');

      const lateA = { deviceId: a, status: 'CONNECTED', lastReadingTs: T0 + 40_000, anomaliesLastMinute: 0, maxLastMinute: null, openAnomalies: 1, anomaliesTotal: 1 };
      const lateB = { deviceId: b, status: 'CONNECTED', lastReadingTs: T0 + 42_000, anomaliesLastMinute: 1, maxLastMinute: 45, openAnomalies: 1, anomaliesTotal: 2 };
      const all = fleet.map(expected);
      const sum = (f: (e: ReturnType<typeof expected>) => number) => all.reduce((n, e) => n + f(e), 0);
      const everyPage = await Promise.all(
        Array.from({ length: 3 }, async (_, k) => ((await (await fetch(`${url}api/board?size=500&page=${k + 1}`)).json()) as BoardView).rows),
      );
      expect(everyPage.flat().filter((d) => d.deviceId.startsWith('fleet-'))).toMatchObject(all);
      expect(everyPage.flat().slice(0, 2)).toMatchObject([lateA, lateB]);
      expect(view.totals).toEqual({
        devices: 1002,
        byStatus: { NEW: 0, CONNECTED: 892, DISCONNECTED: 100, RETIRED: 10 },
        anomaliesTotal: sum((e) => e.anomaliesTotal) + 3,
        openAnomalies: sum((e) => e.openAnomalies) + 2,
        anomaliesLastMinute: sum((e) => e.anomaliesLastMinute) + 1,
        devicesAnomalousLastMinute: all.filter((e) => e.anomaliesLastMinute > 0).length + 1,
      });
      expect(view.totals.anomaliesTotal).toBe(1143); // by hand: 805 devices with a minute's incident, 334 older ones, 1 threshold, 3 of a and b
      expect(view.rows.slice(0, 4)).toMatchObject([lateA, lateB, expected(0), expected(1)]);
      const topIds = Array.from({ length: 20 }, (_, k) => (((24 - k) * 37 + 11) % FLEET));
      expect(view.top.map((d) => [d.deviceId, d.anomaliesLastMinute, d.maxLastMinute])).toEqual(topIds.map((i) => [fleetId(i), countOf(i), valueOf(i, countOf(i) - 1)]));

      // The page, in Chromium: its first paint with the whole fleet behind it.
      const { page, dialogs } = await openBoard(browser(), url);
      await page.waitForFunction(() => performance.getEntriesByName('vigil:first-paint').length > 0, undefined, { timeout: 10_000 });
      const paint = await page.evaluate(() => ({
        firstPaint: performance.getEntriesByName('vigil:first-paint')[0]?.startTime ?? -1,
        contentful: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1,
      }));
      const bytes = (await (await fetch(`${url}api/board`)).text()).length;
      const log = boardLog(p);
      const timings = ['devices listed from visibility', 'history read'].map((msg) => `${msg} in ${[...log.matchAll(new RegExp(`"ms":(\\d+),"msg":"${msg}"`, 'g'))].at(-1)?.[1]} ms`);
      console.log(
        `[board] ${view.totals.devices} devices: first paint ${Math.round(paint.firstPaint)} ms after navigation (first contentful paint ${Math.round(paint.contentful)} ms),` +
          ` a view of ${bytes} bytes; board ready ${readyMs} ms after its start (${timings.join(', ')})`,
      );

      const s = (n: number) => n.toLocaleString('en-US');
      expect(await page.getByTestId('totals').textContent()).toBe(
        `1,002 devices · 892 connected · 100 disconnected · 10 retired · ${s(view.totals.anomaliesTotal)} anomalies · ${s(view.totals.openAnomalies)} open` +
          ` · ${s(view.totals.anomaliesLastMinute)} anomalous readings in the last minute on ${s(view.totals.devicesAnomalousLastMinute)} devices`,
      );
      expect(await page.getByTestId('history').isHidden()).toBe(true);
      fs.mkdirSync(artifactsDir, { recursive: true });
      await page.screenshot({ path: path.join(artifactsDir, 'board-fleet.png'), fullPage: false });
      expect(await chartPoints(page)).toEqual(topIds.map((i) => [fleetId(i), countOf(i), valueOf(i, countOf(i) - 1)]));
      expect(await page.getByTestId('pager').textContent()).toBe('page 1 of 21 · 1,002 devices');
      expect(await rowIds(page)).toEqual([a, b, ...fleet.slice(0, 48).map(fleetId)]);
      const cells = async (id: string) => page.locator('#devices tbody tr').filter({ has: page.getByText(id, { exact: true }) }).locator('td').allTextContents();
      expect((await cells(a)).slice(1, 7)).toEqual(['CONNECTED', boardTime(T0 + 40_000), '0', '', '1', '1']);
      expect((await cells(b)).slice(1, 7)).toEqual(['CONNECTED', boardTime(T0 + 42_000), '1', '45 temp', '1', '2']);

      // Search.
      await page.getByTestId('search').fill('FLEET-042');
      await page.getByTestId('pager').filter({ hasText: 'page 1 of 1 · 10 devices' }).waitFor({ timeout: 5_000 });
      expect(await rowIds(page)).toEqual(Array.from({ length: 10 }, (_, k) => fleetId(420 + k)));
      await page.getByTestId('search').fill(b);
      await page.getByTestId('pager').filter({ hasText: 'page 1 of 1 · 1 device' }).waitFor({ timeout: 5_000 });
      expect(await rowIds(page)).toEqual([b]);
      await page.getByTestId('search').fill('');

      // The status filter, and paging through it.
      await page.getByTestId('status-filter').selectOption('DISCONNECTED');
      await page.getByTestId('pager').filter({ hasText: 'page 1 of 2 · 100 devices' }).waitFor({ timeout: 5_000 });
      await page.getByTestId('page-next').click();
      await page.getByTestId('pager').filter({ hasText: 'page 2 of 2 · 100 devices' }).waitFor({ timeout: 5_000 });
      expect(await rowIds(page)).toEqual(Array.from({ length: 50 }, (_, k) => fleetId(503 + 10 * k)));
      expect(await page.getByTestId('page-next').isDisabled()).toBe(true);
      await page.getByTestId('status-filter').selectOption('RETIRED');
      await page.getByTestId('pager').filter({ hasText: 'page 1 of 1 · 10 devices' }).waitFor({ timeout: 5_000 });
      expect(await rowIds(page)).toEqual(Array.from({ length: 10 }, (_, k) => fleetId(7 + 100 * k)));

      // Paging the whole fleet; the address holds the query, so a reload comes back to it.
      await page.getByTestId('status-filter').selectOption('all');
      await page.getByTestId('page-next').click();
      await page.getByTestId('page-next').click();
      await page.getByTestId('pager').filter({ hasText: 'page 3 of 21 · 1,002 devices' }).waitFor({ timeout: 5_000 });
      expect(await rowIds(page)).toEqual(fleet.slice(98, 148).map(fleetId));
      await page.reload();
      await page.getByTestId('pager').filter({ hasText: 'page 3 of 21 · 1,002 devices' }).waitFor({ timeout: 5_000 });

      // Live: fleet-0001 gets 40 more anomalous readings in its minute and tops the chart …
      const one = fleetId(1);
      const more = Array.from({ length: 40 }, (_, m) =>
        anomaliesContract.encode(
          anomalyEvent({ anomalyId: `${one}/zscore/temp/minute`, status: 'updated', deviceId: one, detector: 'zscore', field: 'temp', ts: lastOf(1) - 50_000 + m * 1000, value: 200 + m, explanation, source: { topic: 'sensor-raw', partition: 0, offset: 5_000_000 + m } }),
        ),
      );
      await p.send(more, topics.anomalies);
      await waitFor('fleet-0001 on top of the chart', async () => (await chartPoints(page))[0]?.[0] === one, 10_000);
      expect((await chartPoints(page))[0]).toEqual([one, 41, 239]);
      // … until its next reading, 70 s later in event time, leaves them all out of its last minute.
      await p.send([sensor(one, (lastOf(1) + 70_000 - T0) / 1000, 20)], topic);
      await waitFor('fleet-0001 off the chart', async () => !(await chartPoints(page)).some(([id]) => id === one), 10_000);
      expect((await chartPoints(page)).map(([id]) => id)).toEqual(topIds.map(fleetId));

      // A device of the fleet: its windows from the compacted topic (the later version), its steps.
      await page.goto(`${url}#device=${encodeURIComponent(fleetId(TWICE))}`);
      await page.getByTestId('aggregates').getByText('21.899').waitFor({ timeout: 5_000 });
      await page.getByTestId('anomalies').getByText('raised threshold temp = 54.5').waitFor({ timeout: 5_000 });
      expect(dialogs).toEqual([]);

      // A bad query gets an answer that says why, and the board goes on.
      const bad = await fetch(`${url}api/board?page=0`);
      expect([bad.status, ((await bad.json()) as { error: string }).error]).toEqual([400, expect.stringContaining('page')]);
      expect((await fetch(`${url}api/board?q=${encodeURIComponent('<img src=x>')}`)).status).toBe(200);
    } finally {
      await client.connection.close();
    }
  });
});
