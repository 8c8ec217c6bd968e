import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import type { Config } from '../config';
import { aggregatesContract } from '../contracts/aggregates';
import { anomaliesContract } from '../contracts/anomalies';
import { deviceEventsContract } from '../contracts/device-events';
import { enrichedContract } from '../contracts/enriched';
import { formatsByTopic, parseText, toCanonical } from '../formats';
import { createKafka } from '../kafka/client';
import { runConsumer } from '../kafka/consumer';
import { logger } from '../logger';
import { connectClient, deviceHandle } from '../operator/client';
import { BoardModel } from './model';

const log = logger.child({ component: 'board' });
const publicDir = path.join(__dirname, 'public');
const chartJs = path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js');

/** The part of a device's memo the device page shows: the thresholds in force (see device/summary.ts). */
const memoFieldsSchema = z.object({
  summary: z.object({
    fields: z.record(z.string(), z.object({ threshold: z.object({ low: z.number().nullable(), high: z.number().nullable(), rule: z.string() }).optional() })),
  }),
});

const staticFiles: Record<string, { file: string; type: string }> = {
  '/': { file: path.join(publicDir, 'index.html'), type: 'text/html; charset=utf-8' },
  '/app.js': { file: path.join(publicDir, 'app.js'), type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: path.join(publicDir, 'app.css'), type: 'text/css; charset=utf-8' },
  '/vendor/chart.js': { file: chartJs, type: 'text/javascript; charset=utf-8' },
};

export interface Board {
  url: string;
  model: BoardModel;
  close(): Promise<void>;
}

/**
 * The live Anomaly Board: a page on 127.0.0.1 fed from Kafka over server-sent events. It reads
 * with a throw-away consumer group, so it never moves the ingest's offsets.
 */
export async function startBoard(config: Config, options: { port: number; fromBeginning?: boolean }): Promise<Board> {
  const model = new BoardModel();
  const client = await connectClient(config);
  const consumer = createKafka(config, 'board').consumer({ groupId: `vigil-board-${randomUUID()}`, maxWaitTimeInMs: 200 });
  const { topics } = config.kafka;
  const formatOf = formatsByTopic(config.kafka.inputs, config.formats);
  const subscriptions = [
    { topics: [topics.anomalies, topics.deviceEvents, topics.aggregates], fromBeginning: true },
    { topics: [...formatOf.keys(), topics.enriched], fromBeginning: options.fromBeginning ?? false },
  ];
  await runConsumer(consumer, subscriptions, {
    eachMessage: async ({ topic, message }) => {
      const text = message.value?.toString('utf8') ?? '';
      try {
        if (topic === topics.anomalies) model.addAnomaly(anomaliesContract.decode(text));
        else if (topic === topics.deviceEvents) model.addDeviceEvent(deviceEventsContract.decode(text));
        else if (topic === topics.aggregates) model.addAggregate(aggregatesContract.decode(text));
        else if (topic === topics.enriched) {
          const score = enrichedContract.decode(text);
          // While a model still learns its value range it has no raw score to show.
          if (score.anomaly !== null) model.addScore(score.deviceId, { ...score, anomaly: score.anomaly });
        } else {
          const format = formatOf.get(topic);
          if (format) model.addReading(toCanonical(format, parseText(format, text), { key: message.key?.toString('utf8'), timestamp: Number(message.timestamp) }));
        }
      } catch {
        // The ingest dead-letters bad input; the board only shows what it can read.
      }
    },
  }, 'board');

  const thresholdCache = new Map<string, { at: number; fields: unknown }>();
  async function thresholdsOf(deviceId: string): Promise<unknown> {
    const cached = thresholdCache.get(deviceId);
    if (cached && Date.now() - cached.at < 2000) return cached.fields;
    let fields: unknown = {};
    try {
      const parsed = memoFieldsSchema.safeParse((await deviceHandle(client, deviceId).describe()).memo);
      if (parsed.success) fields = Object.fromEntries(Object.entries(parsed.data.summary.fields).flatMap(([field, f]) => (f.threshold ? [[field, f.threshold]] : [])));
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) log.warn({ err: error, deviceId }, 'describe failed');
    }
    thresholdCache.set(deviceId, { at: Date.now(), fields });
    return fields;
  }

  const streams = new Set<http.ServerResponse>();
  const server = http.createServer((request, response) => {
    const send = (status: number, type: string, body: string | Buffer) => {
      response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
      response.end(body);
    };
    try {
      route(request, response, send);
    } catch (error) {
      // A bad request (say, a malformed %-escape) gets an answer; it never stops the board.
      log.warn({ err: error, url: request.url }, 'bad request');
      if (!response.headersSent) send(400, 'text/plain', 'bad request');
    }
  });

  function route(request: http.IncomingMessage, response: http.ServerResponse, send: (status: number, type: string, body: string | Buffer) => void): void {
    const url = new URL(request.url ?? '/', 'http://board');
    if (url.pathname === '/favicon.ico') return send(204, 'image/x-icon', '');
    const file = staticFiles[url.pathname];
    if (file) return send(200, file.type, fs.readFileSync(file.file));
    if (url.pathname === '/api/config') {
      return send(200, 'application/json', JSON.stringify({ temporalUiUrl: config.temporal.uiUrl, namespace: config.temporal.namespace }));
    }
    if (url.pathname === '/events') {
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      response.write(`event: snapshot\ndata: ${JSON.stringify(model.summaries())}\n\n`);
      streams.add(response);
      request.on('close', () => streams.delete(response));
      return undefined;
    }
    const deviceMatch = /^\/api\/devices\/(.+)$/.exec(url.pathname);
    if (deviceMatch) {
      const deviceId = decodeURIComponent(deviceMatch[1] as string);
      const detail = model.detail(deviceId);
      if (!detail) return send(404, 'application/json', JSON.stringify({ error: 'unknown device' }));
      thresholdsOf(deviceId).then(
        (thresholds) => send(200, 'application/json', JSON.stringify({ ...detail, thresholds })),
        (error: unknown) => send(500, 'application/json', JSON.stringify({ error: String(error) })),
      );
      return undefined;
    }
    return send(404, 'text/plain', 'not found');
  }

  let pushed = -1;
  const ticker = setInterval(() => {
    if (model.changes === pushed || streams.size === 0) return;
    pushed = model.changes;
    const frame = `event: snapshot\ndata: ${JSON.stringify(model.summaries())}\n\n`;
    for (const stream of streams) stream.write(frame);
  }, 250);

  await new Promise<void>((resolve) => server.listen(options.port, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/`;
  log.info({ url }, 'board running');
  return {
    url,
    model,
    async close() {
      clearInterval(ticker);
      for (const stream of streams) stream.end();
      // An open page reconnects its event stream over a kept-alive socket at once; closing only
      // the listener would wait for that browser for ever.
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      await closed;
      await consumer.disconnect();
      await client.connection.close();
    },
  };
}
