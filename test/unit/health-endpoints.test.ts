import { describe, expect, it } from 'vitest';
import { serveMetrics } from '../../src/metrics';

describe('the metrics server’s health endpoints (what Kubernetes probes)', () => {
  it('answers /healthz while it runs, /readyz only while the process says it is ready, /metrics for Prometheus', async () => {
    let ready = false;
    const server = await serveMetrics(0, { setting: 'TEST_METRICS_PORT', ready: () => ready });
    const get = async (path: string) => {
      const response = await fetch(`http://127.0.0.1:${server.port}${path}`);
      return { status: response.status, body: await response.text() };
    };
    try {
      expect(await get('/healthz')).toEqual({ status: 200, body: 'ok\n' });
      expect(await get('/readyz')).toEqual({ status: 503, body: 'not ready\n' });
      ready = true;
      expect(await get('/readyz')).toEqual({ status: 200, body: 'ready\n' });
      expect(await get('/readyz?verbose')).toMatchObject({ status: 200 });
      const metrics = await get('/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.body).toContain('vigil_htm_scoring_calls_total');
      expect((await get('/other')).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
