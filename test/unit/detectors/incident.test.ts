import { describe, expect, it } from 'vitest';
import { type OpenIncident, openIncidentSchema, stepIncident } from '../../../src/detectors/incident';

type Verdict = Parameters<typeof stepIncident>[1];
const verdict = (v: Partial<Verdict>): Verdict => ({ firing: false, violated: false, clears: false, side: null, ...v });
const reading = (value: number, ts = 2000, anomalyId = 'dev/threshold/cpu/readings/0/7') => ({ anomalyId, ts, value });

const openHigh: OpenIncident = { anomalyId: 'dev/threshold/cpu/readings/0/1', raisedTs: 1000, side: 'high', updates: 0, peak: 90 };
const openLow: OpenIncident = { anomalyId: 'dev/threshold/temp/readings/0/1', raisedTs: 1000, side: 'low', updates: 2, peak: 5 };

describe('stepIncident', () => {
  it('does nothing while closed and not firing, even for a violation', () => {
    expect(stepIncident(undefined, verdict({}), reading(50))).toEqual({ open: undefined, status: undefined });
    // e.g. the first of three needed violations: violated but not firing.
    expect(stepIncident(undefined, verdict({ violated: true, side: 'high' }), reading(95))).toEqual({ open: undefined, status: undefined });
  });

  it('raises when it starts firing, with the reading as anomalyId, raisedTs and peak', () => {
    const step = stepIncident(undefined, verdict({ firing: true, violated: true, side: 'high' }), reading(95, 2000, 'dev/threshold/cpu/readings/0/7'));
    expect(step).toEqual({
      status: 'raised',
      open: { anomalyId: 'dev/threshold/cpu/readings/0/7', raisedTs: 2000, side: 'high', updates: 0, peak: 95 },
    });
    expect(openIncidentSchema.parse(step.open)).toEqual(step.open);
  });

  it('raises on a low-side violation', () => {
    expect(stepIncident(undefined, verdict({ firing: true, violated: true, side: 'low' }), reading(-3)).open).toEqual({
      anomalyId: 'dev/threshold/cpu/readings/0/7',
      raisedTs: 2000,
      side: 'low',
      updates: 0,
      peak: -3,
    });
  });

  it('updates on every further violation, counting updates and keeping the maximum for the high side', () => {
    const higher = stepIncident(openHigh, verdict({ firing: true, violated: true, side: 'high' }), reading(97, 3000, 'other'));
    expect(higher).toEqual({ status: 'updated', open: { ...openHigh, updates: 1, peak: 97 } });
    const lower = stepIncident(higher.open, verdict({ firing: true, violated: true, side: 'high' }), reading(92, 4000, 'another'));
    expect(lower).toEqual({ status: 'updated', open: { ...openHigh, updates: 2, peak: 97 } });
    // The anomalyId and raisedTs stay those of the raising reading.
    expect(lower.open?.anomalyId).toBe('dev/threshold/cpu/readings/0/1');
    expect(lower.open?.raisedTs).toBe(1000);
  });

  it('keeps the minimum as the peak of a low-side anomaly', () => {
    expect(stepIncident(openLow, verdict({ firing: true, violated: true, side: 'low' }), reading(2))).toEqual({
      status: 'updated',
      open: { ...openLow, updates: 3, peak: 2 },
    });
    expect(stepIncident(openLow, verdict({ firing: true, violated: true, side: 'low' }), reading(8))).toEqual({
      status: 'updated',
      open: { ...openLow, updates: 3, peak: 5 },
    });
  });

  it('updates on a violation even when the rule no longer fires', () => {
    expect(stepIncident(openHigh, verdict({ firing: false, violated: true, side: 'high' }), reading(91))).toEqual({
      status: 'updated',
      open: { ...openHigh, updates: 1, peak: 91 },
    });
  });

  it('takes the side of a violation on the other side', () => {
    expect(stepIncident(openHigh, verdict({ firing: true, violated: true, side: 'low' }), reading(-5))).toEqual({
      status: 'updated',
      open: { ...openHigh, side: 'low', updates: 1, peak: -5 },
    });
  });

  it('keeps the open incident without an event on a good reading that does not clear', () => {
    const stillFiring = stepIncident(openHigh, verdict({ firing: true }), reading(50));
    expect(stillFiring.status).toBeUndefined();
    expect(stillFiring.open).toBe(openHigh);
    const notYet = stepIncident(openHigh, verdict({}), reading(85));
    expect(notYet).toEqual({ open: openHigh, status: undefined });
  });

  it('resolves when the verdict clears', () => {
    expect(stepIncident(openHigh, verdict({ clears: true }), reading(50))).toEqual({ open: undefined, status: 'resolved' });
    expect(stepIncident(openLow, verdict({ clears: true }), reading(50))).toEqual({ open: undefined, status: 'resolved' });
  });

  it('ignores clears while nothing is open', () => {
    expect(stepIncident(undefined, verdict({ clears: true }), reading(50))).toEqual({ open: undefined, status: undefined });
  });
});
