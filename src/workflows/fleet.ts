import { allHandlersFinished, condition, continueAsNew, setHandler, upsertMemo, workflowInfo } from '@temporalio/workflow';
import { type ThresholdLayer, withThresholdChanges } from '../detectors/threshold';
import { changeMaintenance, type MaintenanceWindow, maintenanceChangeSchema } from '../device/attention';
import { defaultThresholdsUpdateSchema, fleetDefaultsQuery, fleetMaintenanceQuery, setDefaultThresholdsUpdate, setFleetMaintenanceUpdate } from './definitions';
import { handleValidatedUpdate } from './validated-update';

/**
 * The `*` device: the thresholds every device gets unless it has its own. Devices read them
 * (from the memo) when they start; `vigil thresholds apply` also pushes a change to every
 * running device.
 */
export async function fleetWorkflow(input: { defaults?: ThresholdLayer; maintenance?: MaintenanceWindow[] } = {}): Promise<void> {
  let defaults = input.defaults ?? {};
  // Maintenance windows by device id or pattern: a device that starts while one lasts takes it.
  let maintenance = input.maintenance ?? [];
  // Devices read the defaults from the memo (no worker needed), so every run states them.
  upsertMemo({ defaults, maintenance });
  setHandler(fleetDefaultsQuery, () => defaults, { description: 'The `*` thresholds' });
  handleValidatedUpdate(setDefaultThresholdsUpdate, {
    schema: defaultThresholdsUpdateSchema,
    what: 'default thresholds',
    apply: ({ changes, replace }) => {
      defaults = withThresholdChanges(replace ? {} : defaults, changes);
      upsertMemo({ defaults, maintenance });
      return defaults;
    },
  });
  setHandler(fleetMaintenanceQuery, () => maintenance, { description: 'The maintenance windows, by device id or pattern' });
  handleValidatedUpdate(setFleetMaintenanceUpdate, {
    schema: maintenanceChangeSchema,
    what: 'maintenance window',
    apply: (change) => {
      // Windows that ended are forgotten (workflow time).
      maintenance = changeMaintenance(maintenance, change).filter((w) => w.end > Date.now());
      upsertMemo({ defaults, maintenance });
      return maintenance;
    },
  });
  await condition(() => workflowInfo().continueAsNewSuggested);
  await condition(allHandlersFinished);
  await continueAsNew<typeof fleetWorkflow>({ defaults, maintenance });
}
