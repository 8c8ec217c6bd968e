import type { Consumer, ConsumerRunConfig, ConsumerSubscribeTopics } from 'kafkajs';
import { logger } from '../logger';

const log = logger.child({ component: 'kafkajs' });

/** Waits between attempts to start a crashed consumer again, up to this. */
const MAX_RESTART_DELAY_MS = 10_000;

/**
 * Connects, subscribes and runs a consumer, and keeps it running. kafkajs starts a consumer
 * again by itself after a retriable error, but after one it deems final it leaves the consumer
 * stopped while the process goes on: a broker restart can end in "Failed to find group
 * coordinator" that way, and a process that silently stops reading is worse than one that
 * crashes. Such a consumer is started again here, with backoff until the broker answers. A
 * deliberate stop or disconnect is not a crash and is left alone.
 */
export async function runConsumer(consumer: Consumer, subscriptions: ConsumerSubscribeTopics[], run: ConsumerRunConfig, name: string): Promise<void> {
  const start = async () => {
    await consumer.connect();
    for (const subscription of subscriptions) await consumer.subscribe(subscription);
    await consumer.run(run);
  };
  const restart = (attempt: number) => {
    const delay = Math.min(MAX_RESTART_DELAY_MS, 500 * 2 ** attempt);
    setTimeout(() => {
      start().catch((error: unknown) => {
        log.warn({ err: error, consumer: name, attempt }, 'consumer not started again yet');
        restart(attempt + 1);
      });
    }, delay).unref();
  };
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (payload.restart) return; // kafkajs starts it again itself
    log.warn({ err: payload.error, consumer: name }, 'consumer stopped after an error kafkajs does not retry; starting it again');
    restart(0);
  });
  await start();
}
