import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { DeviceState } from '../device/state';
import {
  anomalyCountAttribute,
  configureZScoreUpdate,
  connectionStatusAttribute,
  type JudgingUpdate,
  lastReadingAtAttribute,
  type ModelPush,
  pushModelUpdate,
  resetModelUpdate,
  setDetectorsUpdate,
  stateQuery,
  type ZScoreChange,
} from '../workflows/definitions';
import { deviceHandle, deviceIdOfRun, runningDevicesQuery, runUpdate } from '../workflow-client/devices';

export interface DeviceRow {
  deviceId: string;
  status: string;
  anomalies: number;
  lastReadingAt: string;
}

/** Running device workflows from visibility (no worker needed), optionally by connection status. */
export async function listDevices(client: Client, config: Config, status?: string): Promise<DeviceRow[]> {
  const query = status ? runningDevicesQuery(config, `ConnectionStatus = '${status.replace(/'/g, '')}'`) : runningDevicesQuery(config);
  const rows: DeviceRow[] = [];
  for await (const run of client.workflow.list({ query })) {
    const attrs = run.typedSearchAttributes;
    rows.push({
      deviceId: deviceIdOfRun(run),
      status: attrs.get(connectionStatusAttribute) ?? '?',
      anomalies: attrs.get(anomalyCountAttribute) ?? 0,
      lastReadingAt: attrs.get(lastReadingAtAttribute)?.toISOString() ?? '',
    });
  }
  return rows.sort((a, b) => a.deviceId.localeCompare(b.deviceId));
}

export async function deviceState(client: Client, deviceId: string): Promise<DeviceState> {
  return deviceHandle(client, deviceId).query(stateQuery);
}

export async function configureZScore(client: Client, deviceId: string, change: ZScoreChange) {
  return runUpdate(deviceHandle(client, deviceId).executeUpdate(configureZScoreUpdate, { args: [change] }));
}

export async function setDetectors(client: Client, deviceId: string, change: JudgingUpdate) {
  return runUpdate(deviceHandle(client, deviceId).executeUpdate(setDetectorsUpdate, { args: [change] }));
}

export async function resetModel(client: Client, deviceId: string, field: string | undefined, by: string, reason?: string) {
  return runUpdate(deviceHandle(client, deviceId).executeUpdate(resetModelUpdate, { args: [{ field, by, reason }] }));
}

export async function pushModel(client: Client, deviceId: string, push: ModelPush) {
  return runUpdate(deviceHandle(client, deviceId).executeUpdate(pushModelUpdate, { args: [push] }));
}
