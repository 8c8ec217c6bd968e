import { defineQuery } from '@temporalio/workflow';
import type { Ledger } from '../../src/device/ledger';

/** What the floor workflow applied, and when. */
export interface FloorState {
  deviceId: string;
  ledger: Ledger;
  applied: number;
  /** [event time of a reading, workflow time it was applied], the latest 4,000 readings. */
  latencies: Array<[number, number]>;
}

export const floorStateQuery = defineQuery<FloorState>('floorState');
