import type { SourcedItem } from '../device-state';

/** Sends one batch of a device's items (readings, control messages); resolves once Temporal has acknowledged it. */
export type SendBatch = (deviceId: string, readings: SourcedItem[]) => Promise<void>;

interface DeviceQueue {
  queue: SourcedItem[];
  inFlight: boolean;
}

/**
 * Keeps at most one signal in flight per device. Readings that arrive meanwhile wait and
 * coalesce into the next signal, so batches grow with load and stay small when load is light,
 * and a device's readings reach its workflow in the order they were enqueued.
 */
export class DeviceDispatcher {
  private readonly devices = new Map<string, DeviceQueue>();
  private idleWaiters: Array<() => void> = [];
  private inFlightCount = 0;

  constructor(
    private readonly send: SendBatch,
    private readonly maxPerSignal: number,
    private readonly onSent: (readings: SourcedItem[]) => void,
    private readonly onError: (deviceId: string, error: unknown) => void,
  ) {}

  enqueue(deviceId: string, reading: SourcedItem): void {
    let device = this.devices.get(deviceId);
    if (!device) {
      device = { queue: [], inFlight: false };
      this.devices.set(deviceId, device);
    }
    device.queue.push(reading);
    if (!device.inFlight) this.pump(deviceId, device);
  }

  /** Drops queued readings not yet sent for which `keep` is false (their partition was revoked). */
  discard(keep: (reading: SourcedItem) => boolean): number {
    let dropped = 0;
    for (const [deviceId, device] of this.devices) {
      const kept = device.queue.filter(keep);
      dropped += device.queue.length - kept.length;
      device.queue = kept;
      if (kept.length === 0 && !device.inFlight) this.devices.delete(deviceId);
    }
    return dropped;
  }

  get signalsInFlight(): number {
    return this.inFlightCount;
  }

  /** Resolves when nothing is queued or in flight. */
  idle(): Promise<void> {
    if (this.devices.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(deviceId: string, device: DeviceQueue): void {
    const batch = device.queue.splice(0, this.maxPerSignal);
    if (batch.length === 0) {
      this.devices.delete(deviceId);
      if (this.devices.size === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const wake of waiters) wake();
      }
      return;
    }
    device.inFlight = true;
    this.inFlightCount += 1;
    this.send(deviceId, batch)
      .then(
        () => this.onSent(batch),
        (error: unknown) => this.onError(deviceId, error),
      )
      .finally(() => {
        device.inFlight = false;
        this.inFlightCount -= 1;
        this.pump(deviceId, device);
      });
  }
}
