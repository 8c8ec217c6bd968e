import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Config } from '../config';
import { checkConnections } from '../connections/check';
import { logger } from '../logger';
import { connectTemporalClient } from '../connections/temporal';
import { listenOnPort } from '../listen-port';
import { boardUrl, decideAccess, listenRefusal } from './access';
import { startFeed } from './feed';
import { BoardModel } from './model';
import { memoReader } from './thresholds';
import { boardAction } from './actions';
import { type BoardQuery, boardView, parseBoardQuery } from './view';
import { listDeviceSnapshots } from './visibility';

const log = logger.child({ component: 'board' });
const publicDir = path.join(__dirname, 'public');
const chartJs = path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js');
/** How often open pages get what changed. */
const PUSH_EVERY_MS = 250;

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

/** An open page: what it asked for and the last view it was sent. */
interface Stream {
  response: http.ServerResponse;
  query: BoardQuery;
  sent: string;
}

/**
 * The live Anomaly Board: a page on `host` (127.0.0.1 by default; beyond loopback only with an
 * access token, which every request must then carry: access.ts). At start it lists the running
 * devices from Temporal visibility, then folds the Kafka topics in (feed.ts); each open page gets
 * its own view (totals, top devices, one page of rows) over server-sent events as things change.
 */
export async function startBoard(config: Config, options: { port: number; host?: string; fromBeginning?: boolean }): Promise<Board> {
  const host = options.host ?? config.board.host;
  const token = config.board.token;
  const refusal = listenRefusal(host, token !== undefined);
  if (refusal) throw new Error(refusal);
  // Wrong settings stop the board here, in one line, before any client retries.
  await checkConnections(config, ['temporal', 'kafka']);
  const model = new BoardModel();
  const client = await connectTemporalClient(config);
  const bootstrapStarted = Date.now();
  try {
    const snapshots = await listDeviceSnapshots(client, config);
    for (const snapshot of snapshots) model.applySnapshot(snapshot);
    log.info({ devices: snapshots.length, ms: Date.now() - bootstrapStarted }, 'devices listed from visibility');
  } catch (error) {
    // The topics still tell most of it; the board is more use running than not.
    log.warn({ err: error }, 'listing devices from visibility failed; the board starts from the topics alone');
  }
  const feedStarted = Date.now();
  const feed = await startFeed(config, model, options);
  const memoOf = memoReader(client);
  const view = (query: BoardQuery) => JSON.stringify(boardView(model.summaries(), query, feed.progress.done));

  const streams = new Set<Stream>();
  const server = http.createServer((request, response) => {
    const send = (status: number, type: string, body: string | Buffer) => {
      response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
      response.end(body);
    };
    try {
      if (token !== undefined && !admitted(request, response, token.reveal())) return;
      route(request, response, send);
    } catch (error) {
      // A bad request (say, a malformed %-escape) gets an answer; it never stops the board.
      log.warn({ err: error, url: request.url }, 'bad request');
      if (!response.headersSent) send(400, 'text/plain', 'bad request');
    }
  });

  /** Checks the token; answers a request that does not carry it (401) or that brings it in the address (sets the cookie, drops the token from the address). */
  function admitted(request: http.IncomingMessage, response: http.ServerResponse, secret: string): boolean {
    const url = new URL(request.url ?? '/', 'http://board');
    const decision = decideAccess(url, request.headers, secret);
    const common = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };
    if (!decision.allow) {
      const page = url.pathname === '/';
      response.writeHead(401, {
        ...common,
        'content-type': 'text/plain; charset=utf-8',
        // On the page the browser asks for it (any user, the token as password); the API says Bearer.
        'www-authenticate': page ? 'Basic realm="Vigil Anomaly Board", charset="UTF-8"' : 'Bearer realm="Vigil Anomaly Board"',
      });
      response.end('The Anomaly Board needs its access token: open /?token=<VIGIL_BOARD_TOKEN> once, or send Authorization: Bearer <token>.\n');
      return false;
    }
    if ('setCookie' in decision) {
      response.writeHead(303, { ...common, 'set-cookie': decision.setCookie, location: decision.redirectTo });
      response.end();
      return false;
    }
    return true;
  }

  function route(request: http.IncomingMessage, response: http.ServerResponse, send: (status: number, type: string, body: string | Buffer) => void): void {
    const url = new URL(request.url ?? '/', 'http://board');
    if (url.pathname === '/favicon.ico') return send(204, 'image/x-icon', '');
    const file = staticFiles[url.pathname];
    if (file) return send(200, file.type, fs.readFileSync(file.file));
    if (url.pathname === '/api/config') {
      // Acknowledging and marking false alarms change devices: only a board that asks for a token offers them.
      return send(200, 'application/json', JSON.stringify({ temporalUiUrl: config.temporal.uiUrl, namespace: config.temporal.namespace, actions: token !== undefined }));
    }
    if (url.pathname === '/api/board' || url.pathname === '/events') {
      const parsed = parseBoardQuery(url.searchParams);
      if ('error' in parsed) return send(400, 'application/json', JSON.stringify({ error: parsed.error }));
      const body = view(parsed.query);
      if (url.pathname === '/api/board') return send(200, 'application/json', body);
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      response.write(`event: board\ndata: ${body}\n\n`);
      const stream = { response, query: parsed.query, sent: body };
      streams.add(stream);
      request.on('close', () => streams.delete(stream));
      return undefined;
    }
    const actionMatch = /^\/api\/devices\/(.+)\/(acknowledge|false-alarm)$/.exec(url.pathname);
    if (actionMatch) {
      const deviceId = decodeURIComponent(actionMatch[1] as string);
      boardAction(client, request, { deviceId, action: actionMatch[2] as 'acknowledge' | 'false-alarm', allowed: token !== undefined }).then(
        ({ status, body }) => {
          if (status === 200) void memoOf(deviceId, true);
          send(status, 'application/json', JSON.stringify(body));
        },
        (error: unknown) => send(500, 'application/json', JSON.stringify({ error: String(error) })),
      );
      return undefined;
    }
    const deviceMatch = /^\/api\/devices\/(.+)$/.exec(url.pathname);
    if (deviceMatch) {
      const deviceId = decodeURIComponent(deviceMatch[1] as string);
      const detail = model.detail(deviceId);
      if (!detail) return send(404, 'application/json', JSON.stringify({ error: 'unknown device' }));
      memoOf(deviceId).then(
        (memo) => send(200, 'application/json', JSON.stringify({ ...detail, ...memo })),
        (error: unknown) => send(500, 'application/json', JSON.stringify({ error: String(error) })),
      );
      return undefined;
    }
    return send(404, 'text/plain', 'not found');
  }

  let pushed = { changes: -1, ready: false };
  let ready = feed.progress.done;
  const ticker = setInterval(() => {
    if (!ready && feed.progress.done) {
      ready = true;
      log.info({ devices: model.size, ms: Date.now() - feedStarted }, 'history read');
    }
    if ((model.changes === pushed.changes && ready === pushed.ready) || streams.size === 0) return;
    pushed = { changes: model.changes, ready };
    const summaries = model.summaries();
    for (const stream of streams) {
      const body = JSON.stringify(boardView(summaries, stream.query, ready));
      if (body === stream.sent) continue;
      stream.sent = body;
      stream.response.write(`event: board\ndata: ${body}\n\n`);
    }
  }, PUSH_EVERY_MS);

  const port = await listenOnPort(server, options.port, host, 'VIGIL_BOARD_PORT or --port');
  const url = boardUrl(host, port);
  log.info({ url, access: token === undefined ? 'loopback, no token' : 'token' }, 'board running');
  return {
    url,
    model,
    async close() {
      clearInterval(ticker);
      for (const stream of streams) stream.response.end();
      // An open page reconnects its event stream over a kept-alive socket at once; closing only
      // the listener would wait for that browser for ever.
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      await closed;
      await feed.close();
      await client.connection.close();
    },
  };
}
