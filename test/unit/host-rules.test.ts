import { describe, expect, it } from 'vitest';
import { decodeMessage, formats } from '../../src/formats';
import { parseThresholdsCsv } from '../../src/formats/threshold-rows';
import type { SourcedItem } from '../../src/device/item';
import { seededRandom } from '../../src/samples';
import { anomaliesOf, testDevice } from '../support/reference';

/** The host-rules document's thresholds file, verbatim. */
const THRESHOLDS = `host-0000,loadavg,0.0,3.0
host-0000,cpu,0.0,90.0
host-0000,mem,0.0,85.0
host-0001,loadavg,0.0,3.0
host-0001,cpu,0.0,80.0
host-0001,mem,0.0,70.0
`;

/** Five hundred host records a second apart; cpu runs hot (85–97) for readings 300–309. */
function hostRecords(host: string): SourcedItem[] {
  const random = seededRandom(host === 'host-0000' ? 1 : 2);
  return Array.from({ length: 500 }, (_, offset) => {
    const cpu = offset >= 300 && offset < 310 ? 85 + 12 * random() : 40 + 10 * random();
    const record = { ts: new Date(Date.UTC(2018, 9, 29, 9, 0, offset)).toISOString().replace('Z', '+0000'), id: host, loadavg: 0.2 + random(), cpu, mem: 50 + 5 * random() };
    return { source: { topic: 'host-metrics', partition: 0, offset }, reading: decodeMessage(formats.host, Buffer.from(JSON.stringify(record)), { key: host, timestamp: 0 }, 4096) };
  });
}

function withThresholds(host: string) {
  const device = testDevice(host);
  for (const { device: target, change } of parseThresholdsCsv(THRESHOLDS).rows) {
    if (target === host && change.rule) device.settings.detectors.threshold.own[change.field] = change.rule;
  }
  return device;
}

describe('host metrics with the host-rules thresholds', () => {
  it('raise only what the thresholds say: a field with thresholds is judged by them alone', () => {
    const device = withThresholds('host-0001');
    const events = hostRecords('host-0001').flatMap((item) => anomaliesOf(device, item));
    expect(events.map((e) => [e.detector, e.field, e.status, e.source.offset])).toEqual([
      ['threshold', 'cpu', 'raised', 300],
      ...Array.from({ length: 9 }, (_, i) => ['threshold', 'cpu', 'updated', 301 + i]),
      ['threshold', 'cpu', 'resolved', 310],
    ]);
  });

  it('raise z-score anomalies too on a field where z-score is asked for', () => {
    const device = withThresholds('host-0001');
    device.settings.judging.fields.cpu = ['zscore'];
    const events = hostRecords('host-0001').flatMap((item) => anomaliesOf(device, item));
    expect(events.filter((e) => e.status === 'raised').map((e) => [e.detector, e.field, e.source.offset])).toEqual([
      ['zscore', 'cpu', 300],
      ['threshold', 'cpu', 300],
    ]);
  });

  it('are judged by thresholds for host-0000 too, where 85–97 is partly within its 90', () => {
    const device = withThresholds('host-0000');
    const raised = hostRecords('host-0000').flatMap((item) => anomaliesOf(device, item)).filter((e) => e.status === 'raised');
    expect(raised.every((e) => e.detector === 'threshold' && e.field === 'cpu' && e.value > 90)).toBe(true);
    expect(raised.length).toBeGreaterThan(0);
  });
});
