import type { Client } from '@temporalio/client';
import type { Producer } from 'kafkajs';
import type { Config } from '../config';
import { createFleetActivities } from './fleet';
import { createPublishActivities } from './publish';

export function createActivities(producer: Producer, client: Client, config: Config) {
  return {
    ...createPublishActivities(producer, config.kafka.topics),
    ...createFleetActivities(client),
  };
}
