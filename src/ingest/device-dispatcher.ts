import type { SourcedItem } from '../device/item';

/** Sends one batch of a device's items (readings, control messages); resolves once Temporal has acknowledged it. */
export type SendBatch = (deviceId: string, readings: SourcedItem[]) => Promise<void>;

interface DeviceQueue {
  queue: SourcedItem[];
  inFlight: boolean;
  /** Waiting in line for one of the signal slots. */
  waiting: boolean;
}

/**
 * Keeps at most one signal in flight per device, and at most `maxInFlight` in all. Readings that
 * arrive meanwhile wait and coalesce into the device's next signal, so batches grow with load and
 * stay small when load is light, and a device's readings reach its workflow in the order they
 * were enqueued. The global limit matters as much: a thousand devices each with a small signal in
 * flight flood the Temporal server with writes, and the devices' workflow tasks starve behind
 * them (measured by `npm run bench:e2e`). Devices get the slots in turn, first come first served.
 */
export class DeviceDispatcher {
  private readonly devices = new Map<string, DeviceQueue>();
  private readonly line: string[] = [];
  private idleWaiters: Array<() => void> = [];
  private inFlightCount = 0;

  constructor(
    private readonly send: SendBatch,
    private readonly maxPerSignal: number,
    private readonly onSent: (readings: SourcedItem[]) => void,
    private readonly onError: (deviceId: string, error: unknown) => void,
    private readonly maxInFlight = Number.POSITIVE_INFINITY,
  ) {}

  enqueue(deviceId: string, reading: SourcedItem): void {
    let device = this.devices.get(deviceId);
    if (!device) {
      device = { queue: [], inFlight: false, waiting: false };
      this.devices.set(deviceId, device);
    }
    device.queue.push(reading);
    this.wait(deviceId, device);
    this.dispatch();
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
    this.wakeIfIdle();
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

  private wait(deviceId: string, device: DeviceQueue): void {
    if (device.inFlight || device.waiting || device.queue.length === 0) return;
    device.waiting = true;
    this.line.push(deviceId);
  }

  /** Hands free slots to the devices first in line. */
  private dispatch(): void {
    while (this.inFlightCount < this.maxInFlight && this.line.length > 0) {
      const deviceId = this.line.shift()!;
      const device = this.devices.get(deviceId);
      if (!device) continue; // discarded while waiting
      device.waiting = false;
      if (device.queue.length === 0) continue;
      this.sendNext(deviceId, device);
    }
  }

  private sendNext(deviceId: string, device: DeviceQueue): void {
    const batch = device.queue.splice(0, this.maxPerSignal);
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
        if (device.queue.length === 0) this.devices.delete(deviceId);
        else this.wait(deviceId, device);
        this.dispatch();
        this.wakeIfIdle();
      });
  }

  private wakeIfIdle(): void {
    if (this.devices.size > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
