import { describe, expect, it } from 'vitest';
import { type AnomalyEvent, anomalyEvent, anomalyIdFor } from '../../src/contracts/anomalies';
import type { IncidentStatus } from '../../src/detectors/incident';
import { emptyAttention, noteAnomalies } from '../../src/device/attention';

const source = { topic: 'readings', partition: 0, offset: 7 };
const anomalyId = anomalyIdFor('zscore', 'd1', 'temp', source);
/** A z-score step on temp against a model of mean 20 and stdev 1 (k 4: normal is 16 to 24). */
const zscoreStep = (status: IncidentStatus, value: number, offset: number): AnomalyEvent =>
  anomalyEvent({
    anomalyId, status, deviceId: 'd1', detector: 'zscore', field: 'temp', ts: offset * 1000, value,
    explanation: { kind: 'zscore', n: 100, mean: 20, stdev: 1, z: value - 20, k: 4, direction: 'both', lower: 16, upper: 24 },
    source: { ...source, offset },
  });

describe('the anomalies a device keeps for feedback', () => {
  it('keeps a low z-score anomaly’s lowest value as its peak, a high one’s highest', () => {
    const attention = emptyAttention();
    noteAnomalies(attention, [zscoreStep('raised', 12, 7), zscoreStep('updated', 9, 8), zscoreStep('updated', 11, 9)]);
    expect(attention.recent).toEqual([{ anomalyId, detector: 'zscore', field: 'temp', peak: 9, side: 'low' }]);

    const high = emptyAttention();
    noteAnomalies(high, [zscoreStep('raised', 28, 7), zscoreStep('updated', 31, 8), zscoreStep('updated', 29, 9)]);
    expect(high.recent).toEqual([{ anomalyId, detector: 'zscore', field: 'temp', peak: 31, side: 'high' }]);
  });
});
