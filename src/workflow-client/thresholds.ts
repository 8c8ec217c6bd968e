import { type Client, WithStartWorkflowOperation } from '@temporalio/client';
import type { Config } from '../config';
import type { ThresholdChange } from '../detectors/threshold';
import type { ThresholdRow } from '../formats/threshold-rows';
import { deviceStart, setDefaultThresholdsUpdate, setThresholdsUpdate } from '../workflows/definitions';
import type { deviceWorkflow } from '../workflows/device';
import { fleetStart, updateFailure, updateRunningDevices } from './devices';

export interface ApplyOutcome {
  device: string;
  applied: boolean;
  message: string;
}

/**
 * Applies threshold rows as validated Updates. A named device gets its own rows, started if it
 * has not reported yet (update-with-start). `*` rows become the fleet defaults that new devices
 * start with, and are pushed to every running device as its `defaults` layer. With `replace`,
 * the rows are the whole truth for each device they name and for `*` (when they name it): rules
 * they do not name are removed; devices they do not name keep theirs.
 */
export async function applyThresholdRows(client: Client, config: Config, rows: ThresholdRow[], by: string, reason?: string, replace = false): Promise<ApplyOutcome[]> {
  const byDevice = new Map<string, ThresholdChange[]>();
  for (const { device, change } of rows) byDevice.set(device, [...(byDevice.get(device) ?? []), change]);
  const outcomes: ApplyOutcome[] = [];
  const attempt = async (device: string, run: () => Promise<unknown>) => {
    try {
      await run();
      outcomes.push({ device, applied: true, message: 'applied' });
    } catch (error) {
      outcomes.push({ device, applied: false, message: updateFailure(error) });
    }
  };
  const startDevice = (deviceId: string) =>
    new WithStartWorkflowOperation<typeof deviceWorkflow>('deviceWorkflow', {
      ...deviceStart(deviceId, config.device, config.temporal.taskQueue),
      workflowIdConflictPolicy: 'USE_EXISTING',
    });

  const defaults = byDevice.get('*');
  if (defaults) {
    await attempt('*', () =>
      client.workflow.executeUpdateWithStart(setDefaultThresholdsUpdate, {
        args: [{ changes: defaults, replace, by, reason }],
        startWorkflowOperation: fleetStart(config),
      }),
    );
    const sent = await updateRunningDevices(client, config, () => true, (handle) =>
      handle.executeUpdate(setThresholdsUpdate, { args: [{ layer: 'defaults', changes: defaults, replace, by, reason }] }),
    );
    for (const { deviceId, refused } of sent) outcomes.push({ device: `${deviceId} (*)`, applied: refused === undefined, message: refused ?? 'applied' });
  }
  for (const [device, changes] of byDevice) {
    if (device === '*') continue;
    await attempt(device, () =>
      client.workflow.executeUpdateWithStart(setThresholdsUpdate, {
        args: [{ layer: 'own', changes, replace, by, reason }],
        startWorkflowOperation: startDevice(device),
      }),
    );
  }
  return outcomes;
}
