import type { Client } from '@temporalio/client';
import type { Producer } from 'kafkajs';
import { type Config, dropInSettingsOf } from '../config';
import type { HtmScorer } from '../htm-runtime';
import { createFleetActivities } from './fleet';
import { createHtmActivities } from './htm';
import { createPublishActivities, createPublisher } from './publish';

/** `ownQueue`: the worker's own task queue, which HTM scoring replies name (scoring-queue.ts). */
export function createActivities(producer: Pick<Producer, 'sendBatch'>, client: Client, config: Config, scorer: HtmScorer, ownQueue?: string) {
  const publisher = createPublisher(producer, config.kafka.topics, dropInSettingsOf(config));
  return {
    ...createPublishActivities(publisher),
    ...createFleetActivities(client),
    ...createHtmActivities(publisher, scorer, ownQueue),
  };
}
