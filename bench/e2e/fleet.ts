import type { Kafka } from 'kafkajs';
import { sumSeries } from '../../test/support/vigil-process';
import { baseOf, type ProducerPlan, readingMessage } from './producer';
import { scrape } from './scrape';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends one normal reading per device and waits until every one is applied: the seconds a fleet
 * takes to start from nothing (workflows started, first task run, fleet defaults read).
 */
export async function startFleet(kafka: Kafka, plan: ProducerPlan, applied: AppliedCounter): Promise<{ readings: number; seconds: number }> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const before = await applied.read();
  const startedAt = Date.now();
  const messages = Array.from({ length: plan.devices }, (_, device) => readingMessage(plan.devicePrefix, device, startedAt - 1000, baseOf(device)));
  await producer.send({ topic: plan.topic, acks: 1, messages });
  await producer.disconnect();
  const deadline = startedAt + 300_000;
  while ((await applied.read()) - before < plan.devices) {
    if (Date.now() > deadline) throw new Error(`cold start: ${(await applied.read()) - before} of ${plan.devices} devices applied their first reading in 300 s`);
    await sleep(250);
  }
  return { readings: plan.devices, seconds: (Date.now() - startedAt) / 1000 };
}

/** The workflows' applied-readings counter, summed over series and carried across worker restarts. */
export class AppliedCounter {
  private base = 0;
  private last = 0;

  constructor(private readonly port: number) {}

  async read(): Promise<number> {
    const metrics = await scrape(this.port).catch(() => new Map<string, number>());
    const current = sumSeries(metrics, (series) => /^vigil_readings_applied(\{|$)/.test(series));
    if (metrics.size === 0) return this.base + this.last; // the worker is restarting
    if (current < this.last) this.base += this.last;
    this.last = current;
    return this.base + current;
  }
}

