import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import { runningDevicesQuery } from '../workflow-client/devices';
import { anomalyCountAttribute, connectionStatusAttribute, deviceIdAttribute, lastReadingAtAttribute } from '../workflows/definitions';
import { type DeviceSnapshot, snapshotOf } from './snapshot';

/**
 * The running devices as Temporal visibility lists them (as `vigil devices list` does; no
 * worker needed): search attributes and memo, in pages of 1,000.
 */
export async function listDeviceSnapshots(client: Client, config: Config): Promise<DeviceSnapshot[]> {
  const snapshots: DeviceSnapshot[] = [];
  for await (const run of client.workflow.list({ query: runningDevicesQuery(config), pageSize: 1000 })) {
    const attrs = run.typedSearchAttributes;
    snapshots.push(
      snapshotOf({
        workflowId: run.workflowId,
        deviceId: attrs.get(deviceIdAttribute),
        status: attrs.get(connectionStatusAttribute),
        anomalyCount: attrs.get(anomalyCountAttribute),
        lastReadingAt: attrs.get(lastReadingAtAttribute),
        memo: run.memo,
      }),
    );
  }
  return snapshots;
}
