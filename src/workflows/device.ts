import { allHandlersFinished, condition, continueAsNew, setHandler } from '@temporalio/workflow';
import type { DeviceState } from '../device/state';
import {
  configureZScoreUpdate,
  deliverSignal,
  type DeviceWorkflowInput,
  deviceWorkflowInputSchema,
  judgingUpdateSchema,
  modelPushSchema,
  modelResetSchema,
  pushModelUpdate,
  resetModelUpdate,
  setDetectorsUpdate,
  setThresholdsUpdate,
  stateQuery,
  thresholdsUpdateSchema,
  zscoreChangeSchema,
} from './definitions';
import { DeadlineTimer } from './deadline-timer';
import { handleAttentionUpdates } from './attention-updates';
import { DeviceEntity } from './device-entity';
import { handleValidatedUpdate } from './validated-update';

/**
 * One long-lived workflow per device: applies its readings and control messages in order and
 * exactly once, publishes anomalies and connection changes, and retires after long silence.
 * The state and the handlers are the DeviceEntity's; this is the loop that waits and dispatches.
 *
 * There are no deployments yet, so this is the one current path. From the first release on, a
 * change that alters the commands a history records goes behind `patched()` or Worker Versioning
 * (see docs/development.md); the replay test holds recorded histories to it.
 */
export async function deviceWorkflow(input: DeviceWorkflowInput): Promise<DeviceState> {
  const device = new DeviceEntity(deviceWorkflowInputSchema.parse(input));
  setHandler(deliverSignal, (batch) => device.deliver(batch));
  setHandler(stateQuery, () => device.state, { description: 'The device’s full state: settings, models, open anomalies, connection' });
  // Validators reject a bad change before it reaches history; the accepted Update, with its
  // `by` and `reason`, stays in history as the audit trail.
  handleValidatedUpdate(configureZScoreUpdate, {
    schema: zscoreChangeSchema,
    what: 'z-score change',
    check: (change) => device.checkZScoreChange(change),
    apply: (change) => device.configureZScore(change),
    description: 'Change the z-score rule of the device or of one field',
  });
  handleValidatedUpdate(setThresholdsUpdate, {
    schema: thresholdsUpdateSchema,
    what: 'thresholds',
    apply: (update) => device.setThresholds(update),
    description: 'Set or remove thresholds (low/high, rule, hysteresis) per field',
  });
  handleValidatedUpdate(setDetectorsUpdate, {
    schema: judgingUpdateSchema,
    what: 'detectors',
    apply: (update) => device.setDetectors(update),
    description: 'Choose the detectors of one field, or go back to the defaults',
  });
  handleValidatedUpdate(resetModelUpdate, {
    schema: modelResetSchema,
    what: 'model reset',
    apply: (reset) => device.resetModel(reset),
    description: 'Forget the z-score model of one field, or of all',
  });
  handleValidatedUpdate(pushModelUpdate, {
    schema: modelPushSchema,
    what: 'model push',
    apply: (push) => device.pushModel(push),
    description: 'Replace the z-score model {n, mean, m2} of a field',
  });
  handleAttentionUpdates(device);

  // Handlers come first: an Update left unhandled in this activation would be rejected.
  await device.start();
  const timer = new DeadlineTimer();
  for (;;) {
    const timeout = device.nextTimeout();
    const woken = await timer.wait(() => device.hasPending || device.shouldContinueAsNew(), timeout === undefined ? undefined : Date.now() + timeout);
    if (device.hasPending) await device.applyNextSlice();
    else if (!woken && (await device.onTimer())) {
      await device.closeSafely();
      // A reading that came in meanwhile keeps the device: the run never completes with items unapplied.
      if (!device.hasPending) return device.state;
    }
    if (device.shouldContinueAsNew()) {
      await device.beforeContinueAsNew();
      await device.closeSafely();
      await condition(allHandlersFinished);
      await continueAsNew<typeof deviceWorkflow>(device.continuation());
    }
  }
}
