import { describe, expect, it } from 'vitest';
import { renderClosingTable } from '../../src/cli/demo/closing-table';

/** The pure parts of `vigil demo`: its closing table. */

describe("the demo's closing table", () => {
  it('puts each cell line under the last, pads the columns to their widest line, and rules rows off', () => {
    const lines = renderClosingTable([
      { system: '000 sensors', in: ['1500 sensor records', '→ sensor-raw'], out: ['15 of 15 spikes raised'], where: ['topics anomalies, anomalyTopic', 'http://ui/device%3Aa'] },
      { system: '004 csv3', in: ['42 lines'], out: ['42 data_dump rows', '36 data_anomaly rows', '36 anomalous readings'], where: [] },
    ]);
    expect(lines).toEqual([
      'system      | in                  | out                    | where to look',
      '------------+---------------------+------------------------+-------------------------------',
      '000 sensors | 1500 sensor records | 15 of 15 spikes raised | topics anomalies, anomalyTopic',
      '            | → sensor-raw        |                        | http://ui/device%3Aa',
      '------------+---------------------+------------------------+-------------------------------',
      '004 csv3    | 42 lines            | 42 data_dump rows      |',
      '            |                     | 36 data_anomaly rows   |',
      '            |                     | 36 anomalous readings  |',
    ]);
  });

  it('is a header and a rule when there are no rows, and a row of empty cells is one line', () => {
    expect(renderClosingTable([])).toEqual(['system | in | out | where to look', '-------+----+-----+--------------']);
    expect(renderClosingTable([{ system: 'x', in: [], out: [], where: [] }])).toHaveLength(3);
  });
});
