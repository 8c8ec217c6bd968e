import type { Producer } from 'kafkajs';
import type { Config } from '../config';
import { createPublishActivities } from './publish';

export function createActivities(producer: Producer, config: Config) {
  return { ...createPublishActivities(producer, config.kafka.topics.anomalies) };
}
