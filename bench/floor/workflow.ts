import { condition, continueAsNew, metricMeter, setHandler, workflowInfo } from '@temporalio/workflow';
import { emptyLedger, isApplied, markApplied } from '../../src/device/ledger';
import { unpackItems } from '../../src/device/packed-items';
import { type DeliveryBatch, deliverSignal } from '../../src/workflows/definitions';
import { type FloorState, floorStateQuery } from './definitions';

/** Readings whose latency is kept: a minute and more of a busy device. */
const LATENCY_KEPT = 4000;

/** The device workflow's counter, so the benchmark follows both the same way. */
const readingsApplied = metricMeter.createCounter('vigil_readings_applied', 'readings', 'Readings applied by device workflows (re-sent and late ones excluded)');

/**
 * The floor of the benchmark (bench:e2e runs it unless given `--no-floor`; bench:memory with
 * `--floor`): a device workflow that takes the same start and deliver signals as Vigil's, unpacks
 * them and records the offsets it applied, and does nothing else: no detectors, no windows, no
 * publication. What the same fleet costs with it is the price of Temporal itself; the rest is Vigil's.
 */
export async function floorWorkflow(input: { deviceId: string; state?: FloorState }): Promise<void> {
  const state: FloorState = input.state ?? { deviceId: input.deviceId, ledger: emptyLedger(), applied: 0, latencies: [] };
  const pending: DeliveryBatch[] = [];
  setHandler(deliverSignal, (batch) => void pending.push(batch));
  setHandler(floorStateQuery, () => state);
  for (;;) {
    await condition(() => pending.length > 0 || workflowInfo().continueAsNewSuggested);
    const before = state.applied;
    const now = Date.now();
    for (const batch of pending.splice(0)) {
      for (const item of unpackItems(state.deviceId, batch.packed)) {
        if (isApplied(state.ledger, item.source)) continue;
        markApplied(state.ledger, item.source);
        state.applied += 1;
        if ('reading' in item) state.latencies.push([item.reading.ts, now]);
      }
    }
    readingsApplied.add(state.applied - before);
    if (state.latencies.length > LATENCY_KEPT) state.latencies.splice(0, state.latencies.length - LATENCY_KEPT);
    if (workflowInfo().continueAsNewSuggested && pending.length === 0) await continueAsNew<typeof floorWorkflow>({ deviceId: state.deviceId, state });
  }
}
