import type { Client } from '@temporalio/client';
import { readFleetDefaults } from '../activities/fleet';
import type { Config } from '../config';
import { type MaintenanceWindow, matchesDevices } from '../device/attention';
import {
  acknowledgeUpdate,
  type AnomalyFeedback,
  fleetWorkflowId,
  type MaintenanceChange,
  markFalseAlarmUpdate,
  setFleetMaintenanceUpdate,
  setMaintenanceUpdate,
  snoozeUpdate,
  type SnoozeChange,
  unsnoozeUpdate,
  type Unsnooze,
} from '../workflows/definitions';
import { deviceHandle, fleetStart, runUpdate, updateRunningDevices } from './devices';


export const snoozeDevice = (client: Client, deviceId: string, change: SnoozeChange) => runUpdate(deviceHandle(client, deviceId).executeUpdate(snoozeUpdate, { args: [change] }));
export const unsnoozeDevice = (client: Client, deviceId: string, change: Unsnooze) => runUpdate(deviceHandle(client, deviceId).executeUpdate(unsnoozeUpdate, { args: [change] }));
/** Acknowledges an open anomaly (the CLI and the board). */
export const acknowledgeAnomaly = (client: Client, deviceId: string, feedback: AnomalyFeedback) => runUpdate(deviceHandle(client, deviceId).executeUpdate(acknowledgeUpdate, { args: [feedback] }));
/** Marks an anomaly as a false alarm (the CLI and the board). */
export const markFalseAlarm = (client: Client, deviceId: string, feedback: AnomalyFeedback) => runUpdate(deviceHandle(client, deviceId).executeUpdate(markFalseAlarmUpdate, { args: [feedback] }));

export interface MaintenanceOutcome {
  /** The fleet's windows after the change. */
  windows: MaintenanceWindow[];
  /** Running devices the change reached, and those that refused it (with why). */
  devices: string[];
  refused: Array<{ device: string; message: string }>;
}

/**
 * Adds or removes a maintenance window as the `*` thresholds are applied: the fleet workflow
 * keeps every window (devices that start while it lasts take the ones that match them), and each
 * running device that matches gets it as an Update now.
 */
export async function changeMaintenance(client: Client, config: Config, change: MaintenanceChange): Promise<MaintenanceOutcome> {
  const before = (await readFleetDefaults(client, fleetWorkflowId(config.temporal.taskQueue))).maintenance;
  const windows = await runUpdate(
    client.workflow.executeUpdateWithStart(setFleetMaintenanceUpdate, {
      args: [change],
      startWorkflowOperation: fleetStart(config),
    }),
  );
  // A removed window reaches the devices it was for.
  const pattern = change.add?.devices ?? before.find((w) => w.id === change.remove)?.devices ?? '*';
  const outcome: MaintenanceOutcome = { windows, devices: [], refused: [] };
  const sent = await updateRunningDevices(client, config, (deviceId) => matchesDevices(pattern, deviceId), (handle) => handle.executeUpdate(setMaintenanceUpdate, { args: [change] }));
  for (const { deviceId, refused } of sent) {
    if (refused === undefined) outcome.devices.push(deviceId);
    else outcome.refused.push({ device: deviceId, message: refused });
  }
  outcome.devices.sort();
  return outcome;
}
