import type { Client } from '@temporalio/client';
import type { Producer } from 'kafkajs';
import { type Config, dropInSettingsOf } from '../config';
import type { HtmScorer } from '../htm-runtime';
import { createFleetActivities } from './fleet';
import { createHtmActivities } from './htm';
import { createPublishActivities, createPublisher } from './publish';

export function createActivities(producer: Pick<Producer, 'sendBatch'>, client: Client, config: Config, scorer: HtmScorer) {
  const publisher = createPublisher(producer, config.kafka.topics, dropInSettingsOf(config));
  return {
    ...createPublishActivities(publisher),
    ...createFleetActivities(client),
    ...createHtmActivities(publisher, scorer),
  };
}
