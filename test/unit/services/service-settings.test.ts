import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config';

describe('the managed services\' settings', () => {
  it('by default: the dev server on 7233, Kafka on 9092 with SASL_SSL on 9094, 8 history shards for the production server', () => {
    const config = loadConfig({});
    expect(config.temporal).toMatchObject({ address: '127.0.0.1:7233', managed: true, backend: 'dev', server: { database: 'temporal', shards: 8, maxConns: 20, maxIdleConns: 20 } });
    expect(config.kafka).toMatchObject({ brokers: ['127.0.0.1:9092'], managed: true, saslPort: 9094 });
  });

  it('moves a managed service with VIGIL_*_PORT and keeps it managed', () => {
    const config = loadConfig({ VIGIL_TEMPORAL_PORT: '27233', VIGIL_KAFKA_PORT: '29092', VIGIL_POSTGRES_PORT: '25433' });
    expect(config.temporal).toMatchObject({ address: '127.0.0.1:27233', managed: true });
    expect(config.kafka).toMatchObject({ brokers: ['127.0.0.1:29092'], managed: true, saslPort: 29094 });
    expect(config.postgres).toMatchObject({ url: 'postgres://vigil@127.0.0.1:25433/vigil', managed: true, port: 25433 });
    expect(loadConfig({ VIGIL_KAFKA_PORT: '29092', VIGIL_KAFKA_SASL_PORT: '29200' }).kafka.saslPort).toBe(29200);
  });

  it('treats a named address as someone else\'s server', () => {
    const config = loadConfig({ TEMPORAL_ADDRESS: '10.0.0.5:7233', KAFKA_BROKERS: 'b1:9092,b2:9092', VIGIL_TEMPORAL_PORT: '27233' });
    expect(config.temporal).toMatchObject({ address: '10.0.0.5:7233', managed: false });
    expect(config.kafka).toMatchObject({ brokers: ['b1:9092', 'b2:9092'], managed: false });
  });

  it('runs the production server with VIGIL_TEMPORAL_BACKEND=server, its shards and pool settable, and refuses another backend', () => {
    const config = loadConfig({ VIGIL_TEMPORAL_BACKEND: 'server', VIGIL_TEMPORAL_SHARDS: '4', VIGIL_TEMPORAL_DB_MAX_CONNS: '40' });
    expect(config.temporal).toMatchObject({ backend: 'server', server: { shards: 4, maxConns: 40, maxIdleConns: 40 } });
    expect(() => loadConfig({ VIGIL_TEMPORAL_BACKEND: 'cloud' })).toThrow(/temporal\.backend/);
    expect(() => loadConfig({ VIGIL_TEMPORAL_SHARDS: '0' })).toThrow(/temporal\.server\.shards/);
    expect(loadConfig({ VIGIL_TEMPORAL_DATABASE: 'temporal_test' }).temporal.server.database).toBe('temporal_test');
    expect(() => loadConfig({ VIGIL_TEMPORAL_DATABASE: 'Temporal; drop' })).toThrow(/temporal\.server\.database/);
  });
});
