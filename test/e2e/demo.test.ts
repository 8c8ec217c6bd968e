import { describe, expect, it } from 'vitest';
import { usePipeline } from '../support/pipeline';

const newPipeline = usePipeline();

/**
 * `vigil demo` as a user runs it, on the running services with topics and a task queue of this
 * test's own: the five systems end to end and the closing table, in well under two minutes.
 */
describe('the demo (issue 17)', () => {
  it('runs the five systems end to end, exits 0 and closes with the table', async () => {
    const p = newPipeline('e2e-demo');
    await p.setUp();
    const started = Date.now();
    const run = await p.vigil(['demo']);
    const seconds = Math.round((Date.now() - started) / 1000);
    console.log(`[demo] exit ${run.code} after ${seconds} s`);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    const out = run.stdout;
    const topic = (name: string) => `${p.runName}.${name}`;
    expect(out).toMatch(/1500 readings replayed; 15 of 15 injected spikes reported/);
    expect(out).toContain(`15 records {id, ts, temp} on ${topic('anomalyTopic')}`);
    expect(out).toMatch(/demo-host-\S+-0002 +DISCONNECTED/);
    expect(out).toContain("= the host rules' row_number() query run on the records sent");
    expect(out).toContain(`2016 of 2016 readings enriched on ${topic('readings.enriched')}, 2016 MonitoringRecords on ${topic('monitoringEnriched2')}`);
    expect(out).toMatch(/HTM found \d of 4 injected spikes/);
    expect(out).toMatch(/12096 readings replayed; 5 of 5 injected anomalies reported/);
    expect(out).toContain('1008 of 1008 hours in hourly_usage');
    expect(out).toMatch(/data_anomaly: 36 rows \(36 lines above 100.*\): exactly those lines/);
    const table = out.slice(out.indexOf('What went in and what came out:'));
    for (const system of ['sensors', 'hosts', 'EPA (HTM)', 'meter', 'csv3']) expect(table).toContain(system);
    expect(table).toMatch(/system +\| in +\| out +\| where to look/);
    expect(seconds).toBeLessThan(180);
  });
});
