import { describe, expect, it } from 'vitest';
import { boardTime, openBoard, startBoardProcess, useChromium } from '../support/board';
import { usePipeline, waitFor } from '../support/pipeline';

const newPipeline = usePipeline();
const browser = useChromium();
const token = 'board-token-for-attention-7d1e93';

const T0 = 1_790_000_000_000;
const reading = (deviceId: string, i: number, temp: number) => ({ key: deviceId, value: JSON.stringify({ deviceId, ts: T0 + i * 1000, values: { temp } }) });
const warmup = (deviceId: string) => Array.from({ length: 40 }, (_, i) => reading(deviceId, i, 20 + ((i % 3) - 1) * 0.5));

describe('snoozes, acknowledgements and false alarms on the Anomaly Board', () => {
  it('shows a snoozed device’s anomaly as suppressed and not open with its snooze’s end, and acknowledges and marks a false alarm from the device page', async () => {
    const p = newPipeline('e2e-board-attention', { VIGIL_BOARD_TOKEN: token });
    await p.setUp();
    await p.start('worker');
    await p.start('ingest');
    const url = await startBoardProcess(p);
    const [quiet, loud] = [`${p.runName}-quiet`, `${p.runName}-loud`];
    const topic = p.topicFor('reading');
    await p.send([...warmup(quiet), ...warmup(loud)], topic);
    await waitFor('both warmed up', async () => {
      const states = await p.statesOf([quiet, loud]).catch(() => new Map());
      return [...states.values()].filter((s) => s.counters.readingsApplied === 40).length === 2;
    }, 60_000);
    const snoozed = await p.vigil(['device', 'snooze', quiet, '--field', 'temp', '--for', '2h', '--reason', 'calibration', '--by', 'erin']);
    const until = Date.parse(/until (\S+)/.exec(snoozed.stdout)![1]!);
    await p.send([reading(quiet, 40, 45), reading(loud, 40, 45)], topic);
    await waitFor('both raised', () => p.anomalies.filter((e) => e.status === 'raised').length === 2, 30_000);

    // The token's first visit sets the cookie the page's requests carry.
    const { page, dialogs } = await openBoard(browser(), `${url}?token=${token}`);
    const row = (id: string) => page.locator('#devices tbody tr').filter({ has: page.getByText(id, { exact: true }) });
    await row(loud).locator('td.open', { hasText: /^1$/ }).waitFor({ timeout: 10_000 });
    expect(await row(quiet).locator('td.open').textContent()).toBe('0');
    expect(await row(quiet).locator('.silenced').textContent()).toBe(` silenced until ${boardTime(until)}`);
    expect(await row(loud).locator('.silenced').count()).toBe(0);

    await page.goto(`${url}#device=${encodeURIComponent(quiet)}`);
    await page.getByTestId('silences').getByText(`snoozed temp until ${boardTime(until)} by erin: calibration`).waitFor({ timeout: 5_000 });
    await page.getByTestId('anomalies').getByText('raised zscore temp = 45 (suppressed)').waitFor({ timeout: 5_000 });
    expect(await page.locator('#anomalies button').count()).toBe(1); // a false alarm can be marked; nothing open to acknowledge

    // The loud device: acknowledge its open anomaly, then mark it a false alarm, as "dana".
    const anomalyId = p.anomalies.find((e) => e.deviceId === loud)!.anomalyId;
    await page.goto(`${url}#device=${encodeURIComponent(loud)}`);
    await page.getByTestId('operator').fill('dana');
    await page.getByTestId('note').fill('checked on site');
    await page.locator('#anomalies button[data-action=acknowledge]').click();
    await page.getByTestId('action-result').getByText(`${anomalyId} acknowledged by dana`).waitFor({ timeout: 10_000 });
    expect((await p.deviceState(loud)).attention.acknowledged[anomalyId]).toMatchObject({ by: 'dana', note: 'checked on site' });
    await page.getByTestId('anomalies').getByText('raised zscore temp = 45 (acknowledged by dana)').waitFor({ timeout: 10_000 });
    await page.locator('#anomalies button[data-action=false-alarm]').click();
    await page.getByTestId('action-result').getByText(`${anomalyId} marked as a false alarm (the model learnt the value)`).waitFor({ timeout: 10_000 });
    const state = await p.deviceState(loud);
    expect(state.attention.falseAlarms.map((f) => [f.anomalyId, f.by, f.lesson, f.value])).toEqual([[anomalyId, 'dana', 'model', 45]]);
    await page.getByTestId('anomalies').getByText('raised zscore temp = 45 (acknowledged by dana, false alarm)').waitFor({ timeout: 10_000 });
    expect(dialogs).toEqual([]);

    // The API refuses what is not a JSON action, and says why an action is refused.
    const auth = { authorization: `Bearer ${token}` };
    expect((await fetch(`${url}api/devices/${encodeURIComponent(loud)}/acknowledge`, { method: 'POST', headers: auth, body: 'anomalyId=x' })).status).toBe(415);
    const refused = await fetch(`${url}api/devices/${encodeURIComponent(loud)}/false-alarm`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ anomalyId }) });
    expect([refused.status, ((await refused.json()) as { error: string }).error]).toEqual([409, `${anomalyId} is already marked as a false alarm`]);
  });

  it('offers no actions without a token, and refuses them', async () => {
    const p = newPipeline('e2e-board-no-actions', { VIGIL_BOARD_TOKEN: undefined });
    await p.setUp();
    const url = await startBoardProcess(p);
    expect(((await (await fetch(`${url}api/config`)).json()) as { actions: boolean }).actions).toBe(false);
    const response = await fetch(`${url}api/devices/d/acknowledge`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ anomalyId: 'x' }) });
    expect([response.status, ((await response.json()) as { error: string }).error]).toEqual([403, 'the board changes devices only when it has an access token (VIGIL_BOARD_TOKEN)']);
  });
});
