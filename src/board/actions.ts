import type http from 'node:http';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { logger } from '../logger';
import { acknowledgeAnomaly, markFalseAlarm } from '../workflow-client/attention';

const log = logger.child({ component: 'board' });
const MAX_BODY_BYTES = 4096;

const actionBodySchema = z.object({ anomalyId: z.string().min(1).max(500), note: z.string().max(500).optional(), by: z.string().trim().min(1).max(200).default('board') }).strict();

/**
 * An operator's action from the board's device page: acknowledge an open anomaly, or mark one
 * as a false alarm, as the CLI does (the same validated Updates, `by` the name the page sends).
 * Only a board with an access token takes them (every request then carries it); a JSON body is
 * required, which a cross-site form cannot send without the browser asking first.
 */
export async function boardAction(
  client: Client,
  request: http.IncomingMessage,
  { deviceId, action, allowed }: { deviceId: string; action: 'acknowledge' | 'false-alarm'; allowed: boolean },
): Promise<{ status: number; body: unknown }> {
  if (!allowed) return { status: 403, body: { error: 'the board changes devices only when it has an access token (VIGIL_BOARD_TOKEN)' } };
  if (request.method !== 'POST') return { status: 405, body: { error: 'POST only' } };
  if (!/^application\/json\b/.test(request.headers['content-type'] ?? '')) return { status: 415, body: { error: 'a JSON body is required' } };
  let text = '';
  for await (const chunk of request) {
    text += (chunk as Buffer).toString('utf8');
    if (text.length > MAX_BODY_BYTES) return { status: 413, body: { error: 'body too large' } };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { status: 400, body: { error: 'the body is not JSON' } };
  }
  const parsed = actionBodySchema.safeParse(json);
  if (!parsed.success) return { status: 400, body: { error: z.prettifyError(parsed.error).split('\n').join(' ') } };
  const { anomalyId, note, by } = parsed.data;
  try {
    const result = action === 'acknowledge' ? await acknowledgeAnomaly(client, deviceId, { anomalyId, by, note }) : await markFalseAlarm(client, deviceId, { anomalyId, by, note });
    log.info({ deviceId, anomalyId, action, by }, 'operator action from the board');
    return { status: 200, body: result };
  } catch (error) {
    // A rejected Update (not open, already marked, unknown device): the reason, as the CLI says it.
    return { status: 409, body: { error: (error as Error).message } };
  }
}
