import { describe, expect, it } from 'vitest';
import { renderClosingTable } from '../../src/cli/demo/closing-table';
import { csv3Lines, tempOf } from '../../src/cli/demo/csv3-lines';
import { hostRecordsJsonLines, hostSample, latestViolationsOf } from '../../src/cli/demo/host-sample';
import { decodeMessage, formats } from '../../src/formats';
import { parseThresholdsCsv } from '../../src/formats/threshold-rows';
import { describeViolations } from '../../src/operator/describe';

/** The pure parts of `vigil demo`: its closing table, the hosts' sample and seed 001's query, the csv3 lines. */

describe("the demo's closing table", () => {
  it('puts each cell line under the last, pads the columns to their widest line, and rules rows off', () => {
    const lines = renderClosingTable([
      { system: 'sensors', in: ['1500 sensor records', '→ sensor-raw'], out: ['15 of 15 spikes raised'], where: ['topics anomalies, anomalyTopic', 'http://ui/device%3Aa'] },
      { system: 'csv3', in: ['42 lines'], out: ['42 data_dump rows', '36 data_anomaly rows', '36 anomalous readings'], where: [] },
    ]);
    expect(lines).toEqual([
      'system  | in                  | out                    | where to look',
      '--------+---------------------+------------------------+-------------------------------',
      'sensors | 1500 sensor records | 15 of 15 spikes raised | topics anomalies, anomalyTopic',
      '        | → sensor-raw        |                        | http://ui/device%3Aa',
      '--------+---------------------+------------------------+-------------------------------',
      'csv3    | 42 lines            | 42 data_dump rows      |',
      '        |                     | 36 data_anomaly rows   |',
      '        |                     | 36 anomalous readings  |',
    ]);
  });

  it('is a header and a rule when there are no rows, and a row of empty cells is one line', () => {
    expect(renderClosingTable([])).toEqual(['system | in | out | where to look', '-------+----+-----+--------------']);
    expect(renderClosingTable([{ system: 'x', in: [], out: [], where: [] }])).toHaveLength(3);
  });
});

describe("the demo's hosts (seed 001)", () => {
  const sample = hostSample('t1');
  const { rows, errors } = parseThresholdsCsv(sample.thresholdsCsv);

  it('is deterministic but for the tag in the host names, and its thresholds file is seed 001 shaped', () => {
    expect(hostSample('t1')).toEqual(sample);
    expect(hostSample('t2').records.map((r) => ({ ...r, id: r.id.replace('t2', 't1') }))).toEqual(sample.records);
    expect(sample.hosts).toEqual(['demo-host-t1-0000', 'demo-host-t1-0001', 'demo-host-t1-0002']);
    expect(sample.thresholdsCsv.split('\n').slice(0, 3)).toEqual(['demo-host-t1-0000,loadavg,0.0,3.0', 'demo-host-t1-0000,cpu,0.0,90.0', 'demo-host-t1-0000,mem,0.0,85.0']);
    expect(errors).toEqual([]);
    expect(rows).toHaveLength(9);
  });

  it('has a minute of every host but the silent one, which stops after 30 s', () => {
    const of = (host: string) => sample.records.filter((r) => r.id === host).map((r) => r.ts.slice(11, 19));
    expect(of(sample.hosts[0]!)).toHaveLength(60);
    expect(of(sample.hosts[1]!).at(-1)).toBe('17:08:59');
    expect(sample.silentHost).toBe(sample.hosts[2]);
    expect(of(sample.silentHost)).toHaveLength(30);
    expect(of(sample.silentHost).at(-1)).toBe('17:08:29');
  });

  it('is valid host-format wire, one JSON record per line', () => {
    const lines = hostRecordsJsonLines(sample.records).trimEnd().split('\n');
    expect(lines).toHaveLength(150);
    const reading = decodeMessage(formats.host, Buffer.from(lines[0]!), { key: sample.hosts[0], timestamp: 0 }, 4096);
    expect(reading).toMatchObject({ deviceId: sample.hosts[0], ts: Date.UTC(2018, 9, 29, 10, 8, 0) });
  });

  it("gives seed 001's answer: the latest violation per (host, field), high and low, ordered by host and field", () => {
    expect(describeViolations(latestViolationsOf(sample.records, rows))).toBe(
      [
        'ts                        device             field    value    low  high',
        '2018-10-29T10:08:42.000Z  demo-host-t1-0000  cpu      95.9793  0    90',
        '2018-10-29T10:08:45.000Z  demo-host-t1-0000  loadavg  3.5      0    3',
        '2018-10-29T10:08:52.000Z  demo-host-t1-0000  mem      86       0    85',
        '2018-10-29T10:08:57.000Z  demo-host-t1-0001  cpu      -0.5     0    80',
        '2018-10-29T10:08:58.000Z  demo-host-t1-0001  loadavg  3.1406   0    3',
        '2018-10-29T10:08:59.000Z  demo-host-t1-0001  mem      90.2736  0    70',
        '2018-10-29T10:08:29.000Z  demo-host-t1-0002  cpu      97.7424  0    80',
      ].join('\n'),
    );
  });

  it('lists nothing for a field without a threshold, a removed one, or values within the bounds', () => {
    const record = (second: number, cpu: number) => ({ ts: `2018-10-29T17:08:0${second}+0700`, id: 'h', loadavg: 9, cpu, mem: 50 });
    const thresholds = parseThresholdsCsv('h,cpu,0,80\nh,mem,,\nh,mem,,100\n').rows;
    expect(latestViolationsOf([record(1, 81), record(2, 80), record(3, 0)], thresholds)).toEqual([
      { ts: new Date(Date.UTC(2018, 9, 29, 10, 8, 1)), device: 'h', field: 'cpu', value: 81, low: 0, high: 80 },
    ]);
    expect(latestViolationsOf([record(1, 50)], thresholds)).toEqual([]);
  });
});

describe("the demo's csv3 lines (seed 004)", () => {
  const sample = csv3Lines('t1', 100);

  it('are the generator of seed 004 for four sensors of the run, then 100 and 101, the same on every run', () => {
    expect(csv3Lines('t1', 100)).toEqual(sample);
    expect(sample.names).toEqual(['demo-csv3-t1-Ada', 'demo-csv3-t1-Bo', 'demo-csv3-t1-Cy', 'demo-csv3-t1-Di']);
    expect(sample.lines).toHaveLength(42);
    expect(sample.lines.slice(-2)).toEqual(['demo-csv3-t1-Ada,100,OK', 'demo-csv3-t1-Bo,101,WARN']);
    for (const line of sample.lines) expect(line).toMatch(/^demo-csv3-t1-(Ada|Bo|Cy|Di),\d+,(OK|FAIL|WARN)$/);
    expect(sample.lines.every((line) => tempOf(line) >= 10 && tempOf(line) <= 550)).toBe(true);
  });

  it('expect exactly the lines above 100 in data_anomaly: 101 is, 100 is not', () => {
    expect(sample.anomalous).toEqual(sample.lines.filter((line) => tempOf(line) > 100));
    expect(sample.anomalous).toContain('demo-csv3-t1-Bo,101,WARN');
    expect(sample.anomalous).not.toContain('demo-csv3-t1-Ada,100,OK');
    expect(sample.anomalous).toHaveLength(36);
    expect(csv3Lines('t1', null).anomalous).toEqual([]);
    expect(csv3Lines('t1', 500).anomalous.every((line) => tempOf(line) > 500)).toBe(true);
  });

  it('are csv3 wire the format reads as name, temp and status', () => {
    const line = sample.lines[0]!;
    const [name, temp, status] = line.split(',');
    const reading = decodeMessage(formats.csv3, Buffer.from(line), { key: name, timestamp: 1 }, 4096);
    expect(reading).toMatchObject({ deviceId: name, values: { temp: Number(temp) }, attrs: { status } });
  });
});
