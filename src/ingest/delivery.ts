import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import { withFormatDefaults } from '../device/settings';
import { applyThresholdRows } from '../workflow-client/thresholds';
import { type DeliveryBatch, deliverSignal, deliveryOf, deviceIdAttribute, deviceStart } from '../workflows/definitions';
import type { deviceWorkflow } from '../workflows/device';
import type { Deliver, FleetThresholds } from './ingest';
import { logger } from '../logger';

const log = logger.child({ component: 'ingest' });

/**
 * Delivery by signalWithStart: the device's workflow gets the items, and is started if it does
 * not run, with the configuration's settings and its input format's choice of detectors and rules.
 */
export function temporalDelivery(client: Client, config: Config): Deliver {
  return async (deviceId, items, format) => {
    await client.workflow.signalWithStart<typeof deviceWorkflow, [DeliveryBatch]>('deviceWorkflow', {
      ...deviceStart(deviceId, withFormatDefaults(config.device, format), config.temporal.taskQueue),
      signal: deliverSignal,
      signalArgs: [deliveryOf(items, format)],
      typedSearchAttributes: [{ key: deviceIdAttribute, value: deviceId }],
    });
  };
}

/** The fleet workflow's `*` thresholds, pushed to every running device as `thresholds apply` does. */
export function temporalFleetThresholds(client: Client, config: Config): FleetThresholds {
  return {
    async apply(row) {
      const outcomes = await applyThresholdRows(client, config, [row], 'control-topic');
      for (const outcome of outcomes.filter((o) => !o.applied)) log.warn(outcome, 'fleet threshold not applied');
    },
  };
}
