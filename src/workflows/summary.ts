import { setCurrentDetails, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import type { DeviceState } from '../device/state';
import { deviceDetails, deviceSummary } from '../device/summary';
import { anomalyCountAttribute, connectionStatusAttribute, deviceIdAttribute, lastReadingAtAttribute } from './definitions';

/**
 * Writes search attributes, memo and current details (what the UI shows without a worker) when
 * what they say has changed, or when forced. `quiet` leaves out mere progress (the newest
 * reading time): each upsert is two history events and a visibility write, so progress is
 * written only as often as the window updates.
 */
export class SummaryPublisher {
  private published: string | undefined;
  /** The newest reading time the published summary says; `quiet` calls leave it as it is. */
  private progress: number | null | undefined;

  publish(state: DeviceState, { force = false, quiet = false }: { force?: boolean; quiet?: boolean } = {}): void {
    if (!quiet) this.progress = state.clock.watermark;
    const key = `${state.counters.anomalyCount}|${this.progress}|${state.connection.status}|${Object.keys(state.incidents).length}`;
    if (!force && key === this.published) return;
    this.published = key;
    upsertSearchAttributes([
      { key: deviceIdAttribute, value: state.deviceId },
      { key: anomalyCountAttribute, value: state.counters.anomalyCount },
      { key: connectionStatusAttribute, value: state.connection.status },
      ...(state.clock.watermark === null ? [] : [{ key: lastReadingAtAttribute, value: new Date(state.clock.watermark) }]),
    ]);
    upsertMemo({ summary: deviceSummary(state) });
    setCurrentDetails(deviceDetails(state));
  }
}
