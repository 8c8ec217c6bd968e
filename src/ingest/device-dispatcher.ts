/** Sends one batch of a device's items (readings, control messages); resolves once Temporal has acknowledged it. */
export type SendBatch<Item> = (deviceId: string, items: Item[]) => Promise<void>;

interface DeviceQueue<Item> {
  queue: Item[];
  inFlight: boolean;
  /** Waiting in line for one of the signal slots. */
  waiting: boolean;
  /** Holding its items until its batch interval since its last signal has passed. */
  paced: boolean;
}

/** The pace of each device's signals: at most one per `intervalMs` unless a full signal waits. */
export interface Pacing {
  intervalMs: number;
  now?: () => number;
}

/**
 * Keeps at most one signal in flight per device, and at most `maxInFlight` in all. Readings that
 * arrive meanwhile wait and coalesce into the device's next signal, so batches grow with load and
 * stay small when load is light, and a device's readings reach its workflow in the order they
 * were enqueued. The global limit matters as much: a thousand devices each with a small signal in
 * flight flood the Temporal server with writes, and the devices' workflow tasks starve behind
 * them (measured by `npm run bench:e2e`). Devices get the slots in turn, first come first served.
 *
 * With a batch interval (`VIGIL_DEVICE_BATCH_MS`), a device's next signal also waits until that
 * long after its last one, unless it is full: an operator trades latency for Temporal actions.
 * A device's first signal after a quiet spell goes at once.
 */
export class DeviceDispatcher<Item> {
  private readonly devices = new Map<string, DeviceQueue<Item>>();
  private readonly line: string[] = [];
  private idleWaiters: Array<() => void> = [];
  private inFlightCount = 0;
  /** When each device recently sent its last signal (forgotten once its interval is over). */
  private readonly lastSentAt = new Map<string, number>();
  private readonly now: () => number;

  constructor(
    private readonly send: SendBatch<Item>,
    private readonly maxPerSignal: number,
    private readonly onSent: (items: Item[]) => void,
    private readonly onError: (deviceId: string, error: unknown) => void,
    private readonly maxInFlight = Number.POSITIVE_INFINITY,
    private readonly pacing: Pacing = { intervalMs: 0 },
  ) {
    this.now = pacing.now ?? Date.now;
  }

  enqueue(deviceId: string, item: Item): void {
    let device = this.devices.get(deviceId);
    if (!device) {
      device = { queue: [], inFlight: false, waiting: false, paced: false };
      this.devices.set(deviceId, device);
    }
    device.queue.push(item);
    this.wait(deviceId, device);
    this.dispatch();
  }

  /** Drops queued items not yet sent for which `keep` is false (their partition was revoked). */
  discard(keep: (item: Item) => boolean): number {
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

  private wait(deviceId: string, device: DeviceQueue<Item>): void {
    if (device.inFlight || device.waiting || device.queue.length === 0) return;
    const due = (this.lastSentAt.get(deviceId) ?? Number.NEGATIVE_INFINITY) + this.pacing.intervalMs;
    const wait = due - this.now();
    if (wait > 0 && device.queue.length < this.maxPerSignal) {
      if (!device.paced) {
        device.paced = true;
        setTimeout(() => {
          device.paced = false;
          // The device may have been dropped (its partition revoked) and come back as another.
          if (this.devices.get(deviceId) !== device) return;
          this.wait(deviceId, device);
          this.dispatch();
        }, wait).unref();
      }
      return;
    }
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

  private sendNext(deviceId: string, device: DeviceQueue<Item>): void {
    const batch = device.queue.splice(0, this.maxPerSignal);
    if (this.pacing.intervalMs > 0) this.rememberSent(deviceId);
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

  private rememberSent(deviceId: string): void {
    const now = this.now();
    this.lastSentAt.delete(deviceId); // re-inserted last: the map stays in order of sending
    this.lastSentAt.set(deviceId, now);
    // Devices whose interval is over are as good as never sent: the oldest go first.
    for (const [id, at] of this.lastSentAt) {
      if (at + this.pacing.intervalMs > now) break;
      this.lastSentAt.delete(id);
    }
  }

  private wakeIfIdle(): void {
    if (this.devices.size > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
