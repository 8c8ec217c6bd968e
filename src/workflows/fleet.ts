import { allHandlersFinished, condition, continueAsNew, setHandler, upsertMemo, workflowInfo } from '@temporalio/workflow';
import { type ThresholdLayer, withThresholdChanges } from '../detectors/threshold';
import { defaultThresholdsUpdateSchema, fleetDefaultsQuery, setDefaultThresholdsUpdate } from './definitions';
import { handleValidatedUpdate } from './validated-update';

/**
 * The `*` device: the thresholds every device gets unless it has its own. Devices read them
 * (from the memo) when they start; `vigil thresholds apply` also pushes a change to every
 * running device.
 */
export async function fleetWorkflow(input: { defaults?: ThresholdLayer } = {}): Promise<void> {
  let defaults = input.defaults ?? {};
  // Devices read the defaults from the memo (no worker needed), so every run states them.
  upsertMemo({ defaults });
  setHandler(fleetDefaultsQuery, () => defaults, { description: 'The `*` thresholds' });
  handleValidatedUpdate(setDefaultThresholdsUpdate, {
    schema: defaultThresholdsUpdateSchema,
    what: 'default thresholds',
    apply: ({ changes, replace }) => {
      defaults = withThresholdChanges(replace ? {} : defaults, changes);
      upsertMemo({ defaults });
      return defaults;
    },
  });
  await condition(() => workflowInfo().continueAsNewSuggested);
  await condition(allHandlersFinished);
  await continueAsNew<typeof fleetWorkflow>({ defaults });
}
