/**
 * The benchmark's load: a separate process that writes canonical readings for N devices into
 * the readings topic at a target rate, each device in order, with spikes injected at known
 * points. A reading's `ts` is the wall clock when it was handed to Kafka, so an anomaly's
 * latency is its own Kafka timestamp minus the `ts` of the reading behind it.
 *
 * Prints one JSON line per second ({sent, spikes}) and a final one with `done: true`.
 */
import { z } from 'zod';
import { loadConfig } from '../../src/config';
import { createKafka } from '../../src/kafka/client';
import { MT19937 } from '../../src/random/mt19937';

export const producerPlanSchema = z.object({
  topic: z.string(),
  devicePrefix: z.string(),
  devices: z.number().int().positive(),
  rate: z.number().positive(),
  seconds: z.number().positive(),
  /** Injected spikes per second across the fleet, once a device has `quietReadings` readings. */
  spikesPerSecond: z.number().nonnegative(),
  quietReadings: z.number().int().nonnegative(),
  seed: z.number().int(),
});
export type ProducerPlan = z.infer<typeof producerPlanSchema>;

/** A normal reading is base ± 1 (uniform), so no normal reading is ever 4σ out; a spike is base + 50. */
export const SPIKE_OFFSET = 50;
export const baseOf = (device: number) => 20 + (device % 50);
export const deviceIdOf = (prefix: string, device: number) => `${prefix}${String(device).padStart(5, '0')}`;

/** A canonical reading of device number `device`, keyed by its id. */
export function readingMessage(prefix: string, device: number, ts: number, temp: number): { key: string; value: string } {
  const deviceId = deviceIdOf(prefix, device);
  return { key: deviceId, value: JSON.stringify({ deviceId, ts, values: { temp: Math.round(temp * 1000) / 1000 } }) };
}

const TICK_MS = 20;
const MAX_PER_SEND = 4000;

async function main(): Promise<void> {
  const plan = producerPlanSchema.parse(JSON.parse(process.argv[2] ?? '{}'));
  const kafka = createKafka(loadConfig(), 'bench-producer');
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const rng = new MT19937(plan.seed);
  const sentPerDevice = new Array<number>(plan.devices).fill(0);
  const lastWasSpike = new Array<boolean>(plan.devices).fill(false);
  // A device stamps one reading per millisecond at most: Vigil skips a second reading at the same instant as re-sent.
  const lastTs = new Array<number>(plan.devices).fill(0);
  const spikeChance = plan.spikesPerSecond / plan.rate;
  let sent = 0;
  let spikes = 0;
  let next = 0;
  const start = Date.now();
  const end = start + plan.seconds * 1000;
  let lastReport = start;
  const report = (done: boolean) => process.stdout.write(`${JSON.stringify({ sent, spikes, at: Date.now(), done })}\n`);
  while (Date.now() < end) {
    const due = Math.min(Math.floor(((Date.now() - start) / 1000) * plan.rate) - sent, MAX_PER_SEND);
    if (due > 0) {
      const now = Date.now();
      const messages = new Array<{ key: string; value: string; timestamp: string }>(due);
      for (let i = 0; i < due; i++) {
        const device = next;
        next = (next + 1) % plan.devices;
        const spike = sentPerDevice[device]! >= plan.quietReadings && !lastWasSpike[device] && rng.uniform(0, 1) < spikeChance;
        const value = baseOf(device) + (spike ? SPIKE_OFFSET : rng.uniform(-1, 1));
        sentPerDevice[device]! += 1;
        lastWasSpike[device] = spike;
        if (spike) spikes += 1;
        const ts = (lastTs[device] = Math.max(now, lastTs[device]! + 1));
        messages[i] = { ...readingMessage(plan.devicePrefix, device, ts, value), timestamp: String(now) };
      }
      await producer.send({ topic: plan.topic, acks: 1, messages });
      sent += due;
    } else {
      await new Promise((resolve) => setTimeout(resolve, TICK_MS));
    }
    if (Date.now() - lastReport >= 1000) {
      lastReport = Date.now();
      report(false);
    }
  }
  await producer.disconnect();
  report(true);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`producer failed: ${String(error)}\n`);
    process.exit(1);
  });
}
