import type { Client } from '@temporalio/client';
import type { Producer } from 'kafkajs';
import { type Config, dropInSettingsOf } from '../config';
import type { HtmScorer } from '../htm-runtime';
import { createFleetActivities } from './fleet';
import { createHtmActivities } from './htm';
import { createPublishActivities } from './publish';

export function createActivities(producer: Producer, client: Client, config: Config, scorer: HtmScorer) {
  return {
    ...createPublishActivities(producer, config.kafka.topics, dropInSettingsOf(config)),
    ...createFleetActivities(client),
    ...createHtmActivities(producer, scorer, config.kafka.topics.enriched, dropInSettingsOf(config)),
  };
}
