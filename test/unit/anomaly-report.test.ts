import { describe, expect, it } from 'vitest';
import { anomalyEvent, anomalyIdFor } from '../../src/contracts/anomalies';
import type { Explanation } from '../../src/detectors/registry';
import {
  addToReport,
  closeAllReportWindows,
  closeReportWindows,
  emptyAnomalyReport,
  hasReportToClose,
  type ReportRun,
  takeClosedReportWindows,
} from '../../src/device/anomaly-report';
import { dropInReportMessages, type DropInSettings, sensorAnomalyWindowsContract } from '../../src/drop-in';
import { javaDouble } from '../../src/drop-in/java-double';
import { seededRandom } from '../../src/samples';

const zscore: Explanation = { kind: 'zscore', n: 85, mean: 21, stdev: 0.6, z: 26.5, k: 4, direction: 'above', lower: 18.6, upper: 23.4 };
const T0 = 1_790_000_000; // epoch seconds
let offset = 0;
function step(second: number, temp: number, { status = 'raised', field = 'temp', detector = 'zscore', ms = 250 }: { status?: 'raised' | 'updated' | 'resolved'; field?: string; detector?: 'zscore' | 'flatline'; ms?: number } = {}) {
  const source = { topic: 'sensor-raw', partition: 0, offset: offset++ };
  return anomalyEvent({ anomalyId: anomalyIdFor(detector, 'd1', field, source), status, deviceId: 'd1', detector, field, ts: (T0 + second) * 1000 + ms, value: temp, explanation: zscore, source });
}
const at = (second: number) => (T0 + second) * 1000 + 999;
/** Runs with starts relative to T0, for reading. */
const relative = (runs: ReportRun[]) => runs.map(([a, b, count, temp]) => [a - T0, b - T0, count, temp]);

describe("the sensor notebook's anomaly report (1-minute windows sliding by 1 s, watermark 0 s)", () => {
  it('emits each window holding an anomalous reading once, when the watermark reaches its end, as runs of equal windows', () => {
    const report = emptyAnomalyReport();
    addToReport(report, step(100, 30), at(99));
    addToReport(report, step(130, 35, { status: 'updated' }), at(129));
    // Not counted: a resolution, another field, another detector (the anomalyTopic's records only).
    addToReport(report, step(131, 20, { status: 'resolved' }), at(130));
    addToReport(report, step(131, 99, { field: 'hum' }), at(130));
    addToReport(report, step(131, 99, { detector: 'flatline' }), at(130));
    // The first window holding 100 s is [41, 101): the watermark closes it at 101 s.
    expect(hasReportToClose(report, at(100))).toBe(false);
    expect(hasReportToClose(report, at(101))).toBe(true);
    // The watermark at 165 s closes the windows starting up to 105.
    expect(relative(takeClosedReportWindows(report, 'd1', at(165))!.runs)).toEqual([[41, 70, 1, 30], [71, 100, 2, 35], [101, 105, 1, 35]]);
    // Nothing twice, and nothing due until the watermark moves: the seconds 106…130 wait for later windows.
    expect(hasReportToClose(report, at(165))).toBe(false);
    expect(relative(takeClosedReportWindows(report, 'd1', at(165))?.runs ?? [])).toEqual([]);
    expect(hasReportToClose(report, at(166))).toBe(true);
    expect(relative(takeClosedReportWindows(report, 'd1', at(400))!.runs)).toEqual([[106, 130, 1, 35]]);
    expect(report.seconds).toEqual([]); // no open window holds anything
    expect(takeClosedReportWindows(report, 'd1', at(500))).toBeUndefined();
  });

  it('counts a late anomalous reading in its windows that are still open only, and in none when all are closed', () => {
    const report = emptyAnomalyReport();
    addToReport(report, step(100, 30), at(99));
    expect(relative(closeReportWindows(report, T0 + 50))).toEqual([[41, 50, 1, 30]]);
    // A reading at 80 s arrives after the watermark passed 110 s: its windows 21…50 are closed, 51…80 are open.
    addToReport(report, step(80, 40), at(110));
    // One at 40 s: every window holding it (−19…40) is closed, so it is in none.
    addToReport(report, step(40, 50), at(110));
    expect(relative(closeReportWindows(report, T0 + 200))).toEqual([[51, 80, 2, 40], [81, 100, 1, 30]]);
  });

  it('closes every window holding an anomalous reading when the device falls silent', () => {
    const report = emptyAnomalyReport();
    addToReport(report, step(100, 30), at(99));
    addToReport(report, step(101, 31, { status: 'updated' }), at(100));
    expect(relative(takeClosedReportWindows(report, 'd1', at(150))?.runs ?? [])).toEqual([[41, 41, 1, 30], [42, 90, 2, 31]]);
    expect(relative(closeAllReportWindows(report, 'd1')!.runs)).toEqual([[91, 100, 2, 31], [101, 101, 1, 31]]);
    expect(closeAllReportWindows(report, 'd1')).toBeUndefined();
    // Its next anomalous reading counts in the windows after its last closed one.
    addToReport(report, step(120, 25), at(119));
    expect(relative(closeAllReportWindows(report, 'd1')!.runs)).toEqual([[102, 120, 1, 25]]);
  });

  it('gives the rows a brute-force count over every window gives, for readings in order', () => {
    const random = seededRandom(11);
    const report = emptyAnomalyReport();
    const anomalies: Array<[number, number]> = [];
    const runs: ReportRun[] = [];
    for (let second = 0; second < 1200; second += 1) {
      // Bursts and lone spikes; up to two anomalous readings in one second.
      const n = random() < (second % 300 < 40 ? 0.6 : 0.03) ? (random() < 0.2 ? 2 : 1) : 0;
      for (let i = 0; i < n; i += 1) {
        const temp = Math.round(300 + random() * 100) / 10;
        anomalies.push([second, temp]);
        addToReport(report, step(second, temp, { ms: i * 400 }), at(second - 1));
      }
      if (second % 7 === 0) runs.push(...(takeClosedReportWindows(report, 'd1', at(second))?.runs ?? []));
    }
    runs.push(...(closeAllReportWindows(report, 'd1')?.runs ?? []));
    const rows = runs.flatMap(([a, b, count, temp]) => Array.from({ length: b - a + 1 }, (_, i) => [a + i - T0, count, temp]));
    const expected: number[][] = [];
    for (let start = -59; start < 1200; start += 1) {
      const inside = anomalies.filter(([second]) => second >= start && second < start + 60);
      if (inside.length > 0) expected.push([start, inside.length, Math.max(...inside.map(([, temp]) => temp))]);
    }
    expect(rows).toEqual(expected);
    expect(runs.length).toBeLessThan(rows.length / 2); // runs are what travels: far fewer than rows
  });
});

describe('the anomalyMemReport drop-in output', () => {
  const settings: DropInSettings = {
    outputs: ['sensor'],
    topics: { sensorAnomalies: 'anomalyTopic', sensorAnomalyWindows: 'anomalyMemReport', meterAnomalies: 'anomaly', monitoringRecords: 'monitoringEnriched2' },
    usageTimeZone: 'UTC',
    formatOfTopic: new Map([['sensor-raw', 'sensor'], ['readings', 'reading']]),
  };
  const nine = Date.UTC(2024, 0, 8, 9, 0, 0) / 1000;
  const closed = { deviceId: 'office', topic: 'sensor-raw', runs: [[nine, nine + 1, 1, 30], [nine + 31, nine + 31, 2, 35.25]] as ReportRun[] };

  it("writes one record per window, keyed by id, as Spark's to_json writes the report's rows", () => {
    const messages = dropInReportMessages(closed, settings);
    expect(messages.map((t) => [t.topic, t.messages.map((m) => [m.key, m.value])])).toEqual([
      [
        'anomalyMemReport',
        [
          ['office', '{"id":"office","window":{"start":"2024-01-08T09:00:00.000Z","end":"2024-01-08T09:01:00.000Z"},"count":1,"temp":30.0}'],
          ['office', '{"id":"office","window":{"start":"2024-01-08T09:00:01.000Z","end":"2024-01-08T09:01:01.000Z"},"count":1,"temp":30.0}'],
          ['office', '{"id":"office","window":{"start":"2024-01-08T09:00:31.000Z","end":"2024-01-08T09:01:31.000Z"},"count":2,"temp":35.25}'],
        ],
      ],
    ]);
    expect(sensorAnomalyWindowsContract.decode(messages[0]!.messages[0]!.value)).toEqual({ id: 'office', window: { start: '2024-01-08T09:00:00.000Z', end: '2024-01-08T09:01:00.000Z' }, count: 1, temp: 30 });
  });

  it('writes nothing for readings of another format, or with the sensor output off', () => {
    expect(dropInReportMessages({ ...closed, topic: 'readings' }, settings)).toEqual([]);
    expect(dropInReportMessages(closed, { ...settings, outputs: ['usage'] })).toEqual([]);
    expect(dropInReportMessages(undefined, settings)).toEqual([]);
  });

  it("prints doubles as Java's Double.toString", () => {
    expect([37, 36.9, -2.5, 0, 0.001, 1.5e-4, 9_999_999, 1e7, 1.25e21, 123456.789].map(javaDouble)).toEqual(['37.0', '36.9', '-2.5', '0.0', '0.001', '1.5E-4', '9999999.0', '1.0E7', '1.25E21', '123456.789']);
  });
});
