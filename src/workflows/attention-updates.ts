import { metricMeter } from '@temporalio/workflow';
import { withLearntValue, zscoreRuleFor } from '../detectors/zscore';
import {
  acknowledge,
  anomalyFeedbackSchema,
  changeMaintenance,
  type FalseAlarm,
  maintenanceChangeSchema,
  matchesDevices,
  requireOpen,
  recentAnomaly,
  recordFalseAlarm,
  snooze,
  snoozeChangeSchema,
  unsnooze,
  unsnoozeSchema,
} from '../device/attention';
import { acknowledgeUpdate, markFalseAlarmUpdate, setMaintenanceUpdate, snoozeUpdate, unsnoozeUpdate } from './definitions';
import type { DeviceEntity } from './device-entity';
import { handleValidatedUpdate } from './validated-update';

/**
 * False alarms by detector, through the SDK's meter (the worker's SDK metrics endpoint; not
 * counted again on replay): which detector cries wolf.
 */
const falseAlarms = metricMeter.createCounter('vigil_false_alarms', 'anomalies', 'Anomalies operators marked as false alarms, by detector');

/**
 * The device's Updates for operators' attention (device/attention.ts): snooze and unsnooze,
 * maintenance windows, acknowledging an open anomaly and marking a false alarm. Each is
 * validated before it reaches history, where it stays with its `by` and `reason` or `note`.
 * Times are workflow time.
 */
export function handleAttentionUpdates(device: DeviceEntity): void {
  const { state } = device;
  const { attention } = state;

  handleValidatedUpdate(snoozeUpdate, {
    schema: snoozeChangeSchema,
    what: 'snooze',
    apply: (change) => device.attentionChanged(snooze(attention, change, Date.now())),
    description: 'Snooze the device, or one field, for a while: anomalies are recorded as suppressed, not routed',
  });
  handleValidatedUpdate(unsnoozeUpdate, {
    schema: unsnoozeSchema,
    what: 'unsnooze',
    apply: ({ field }) => device.attentionChanged(unsnooze(attention, field)),
    description: 'End the snooze of one field, or every snooze',
  });
  handleValidatedUpdate(setMaintenanceUpdate, {
    schema: maintenanceChangeSchema,
    what: 'maintenance window',
    check: ({ add }) => {
      if (add && !matchesDevices(add.devices, state.deviceId)) throw new Error(`the window ${add.id} is for ${add.devices}, not this device`);
    },
    apply: (change) => device.attentionChanged((attention.maintenance = changeMaintenance(attention.maintenance, change))),
    description: 'Add or remove a maintenance window (start, end, reason) of this device',
  });
  handleValidatedUpdate(acknowledgeUpdate, {
    schema: anomalyFeedbackSchema,
    what: 'acknowledgement',
    check: ({ anomalyId }) => requireOpen(device.openAnomalyIds(), anomalyId),
    apply: (feedback) => device.attentionChanged(acknowledge(attention, device.openAnomalyIds(), feedback, Date.now())),
    description: 'Acknowledge an open anomaly (who, when, a note)',
  });
  handleValidatedUpdate(markFalseAlarmUpdate, {
    schema: anomalyFeedbackSchema,
    what: 'false alarm',
    check: ({ anomalyId }) => void recentAnomaly(attention, anomalyId),
    apply: ({ anomalyId, by, note }) => {
      const anomaly = recentAnomaly(attention, anomalyId);
      const now = Date.now();
      const base = { anomalyId, detector: anomaly.detector, field: anomaly.field, value: anomaly.peak, by, at: now, ...(note ? { note } : {}) };
      let falseAlarm: FalseAlarm;
      if (anomaly.detector === 'zscore') {
        // The reading the learn gate kept out joins the model: the same value is not anomalous again.
        const rule = zscoreRuleFor(state.settings.detectors.zscore, anomaly.field);
        state.memories.zscore[anomaly.field] = withLearntValue(state.memories.zscore[anomaly.field], anomaly.peak, rule);
        falseAlarm = { ...base, lesson: 'model' };
      } else if (anomaly.detector === 'threshold' && anomaly.side !== null) {
        // A bound is the operator's to move: the bound at the peak would have kept it quiet (a violation is beyond it).
        falseAlarm = { ...base, lesson: 'suggestion', suggestion: { side: anomaly.side, bound: anomaly.peak } };
      } else {
        // HTM, the seasonal forest, flatline: kept for evaluation.
        falseAlarm = { ...base, lesson: 'recorded' };
      }
      recordFalseAlarm(attention, falseAlarm);
      // An open anomaly marked false needs no one's attention any more.
      if (device.openAnomalyIds().has(anomalyId)) attention.acknowledged[anomalyId] ??= { by, at: now, note: note ?? 'false alarm' };
      falseAlarms.add(1, { detector: anomaly.detector });
      return device.attentionChanged(falseAlarm);
    },
    description: 'Mark an anomaly as a false alarm: z-score learns the value, a threshold suggests a bound, others record it',
  });
}
