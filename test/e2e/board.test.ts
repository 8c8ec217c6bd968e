import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openBoard, startBoardProcess, useChromium } from '../support/board';
import { artifactsDir, usePipeline, waitFor } from '../support/pipeline';

const newPipeline = usePipeline();
const browser = useChromium();

const sensor = (id: string, i: number, temp: number) => ({ key: id, value: JSON.stringify({ id, ts: 1_790_000_000_000 + i * 1000, temp, hum: 40 }) });
/** 40 ordinary readings (20 ± 0.5 °C): past the z-score warm-up of 30. */
const warmup = (id: string) => Array.from({ length: 40 }, (_, i) => sensor(id, i, 20 + ((i % 3) - 1) * 0.5));

describe('the Anomaly Board in a real browser', () => {
  it('shows injected anomalies within 5 s, opens a device, and keeps a hostile device id as text', async () => {
    const p = newPipeline('e2e-board');
    await p.setUp();
    await p.start('worker');
    await p.start('ingest');
    const url = await startBoardProcess(p);
    const { page, dialogs } = await openBoard(browser(), url);

    const plain = `${p.runName}-sensor`;
    const hostile = '<img src=x onerror=alert(1)>';
    const topic = p.topicFor('sensor');
    await p.send([...warmup(plain), ...warmup(hostile)], topic);
    await waitFor('both devices warmed up', async () => {
      const states = await p.statesOf([plain, hostile]).catch(() => new Map());
      return [...states.values()].filter((s) => s.counters.readingsApplied === 40).length === 2;
    }, 60_000);
    const row = (id: string) => page.locator('#devices tbody tr').filter({ has: page.getByText(id, { exact: true }) });
    await row(plain).waitFor({ timeout: 10_000 });
    expect(await row(plain).locator('td.anomalies-total').textContent()).toBe('0');

    // The spikes: from the append to Kafka to the row's count on screen, within 5 s.
    await p.send([sensor(plain, 40, 45), sensor(hostile, 40, 45)], topic);
    await row(plain).locator('td.anomalies-total', { hasText: /^1$/ }).waitFor({ timeout: 5_000 });
    await row(hostile).locator('td.anomalies-total', { hasText: /^1$/ }).waitFor({ timeout: 5_000 });
    fs.mkdirSync(artifactsDir, { recursive: true });
    await page.screenshot({ path: path.join(artifactsDir, 'board.png'), fullPage: true });

    // The hostile id is text in the table and on its page: no element made of it, no script run.
    expect(await row(hostile).locator('a[data-testid=device-link]').textContent()).toBe(hostile);
    expect(await page.locator('img').count()).toBe(0);
    await row(hostile).locator('a[data-testid=device-link]').click();
    await page.getByTestId('device-title').filter({ hasText: hostile }).waitFor({ timeout: 5_000 });
    expect(await page.getByTestId('device-title').textContent()).toBe(hostile);
    expect(await page.locator('img').count()).toBe(0);

    // A device page: its series, its anomaly, its window aggregates, a link to its workflow.
    const hourly = { deviceId: plain, field: 'temp', kind: 'hourly', windowMs: 3_600_000, windowStart: 1_789_999_200_000, windowEnd: 1_790_002_800_000, count: 41, avg: 20.61, min: 19, max: 45, anomalousReadings: 1, anomalousMax: 45, final: false };
    await p.send([{ key: `${plain}|temp|${hourly.windowStart}`, value: JSON.stringify(hourly) }], p.config.kafka.topics.aggregates);
    await page.goto(`${url}#device=${encodeURIComponent(plain)}`);
    await page.getByTestId('anomalies').getByText('raised zscore temp = 45').waitFor({ timeout: 5_000 });
    await page.getByTestId('aggregates').getByText('20.61').waitFor({ timeout: 5_000 });
    const link = await page.locator('#device-facts a').getAttribute('href');
    expect(link).toBe(`${p.config.temporal.uiUrl}/namespaces/default/workflows/${encodeURIComponent(`device:${plain}`)}`);
    await page.screenshot({ path: path.join(artifactsDir, 'board-device.png'), fullPage: true });
    expect(dialogs).toEqual([]);

    // A malformed request gets an answer and does not stop the board.
    expect((await fetch(`${url}api/devices/%E0%A4%A`)).status).toBe(400);
    expect((await fetch(`${url}api/devices/${encodeURIComponent(plain)}`)).status).toBe(200);
  });
});
