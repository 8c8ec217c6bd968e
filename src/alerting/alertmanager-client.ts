import http from 'node:http';
import https from 'node:https';
import { type AlertmanagerSecurity, alertmanagerAuthorization } from '../security/alertmanager-security';
import type { PostableAlert } from './alerts';

/** Most alerts per request: keeps a request far below any proxy's body limit. */
export const ALERTS_PER_REQUEST = 500;

export interface AlertmanagerClient {
  /** Posts alerts (`POST /api/v2/alerts`); throws one line when Alertmanager does not take them. */
  post(alerts: PostableAlert[]): Promise<void>;
  /** Whether Alertmanager answers as ready (`GET /-/ready`). */
  ready(): Promise<boolean>;
}

/**
 * A small client of Alertmanager's v2 API over http or https, with the configured CA and basic
 * auth or bearer token. The secret goes in a header only; errors name the URL, never the header.
 */
export function alertmanagerClient(baseUrl: string, security: AlertmanagerSecurity, timeoutMs = 10_000): AlertmanagerClient {
  const base = baseUrl.replace(/\/+$/, '');
  const authorization = alertmanagerAuthorization(security);
  const request = (method: 'GET' | 'POST', path: string, body?: string): Promise<{ status: number; text: string }> =>
    new Promise((resolve, reject) => {
      const url = new URL(`${base}${path}`);
      const headers: Record<string, string> = { accept: 'application/json' };
      if (authorization) headers.authorization = authorization;
      if (body !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = String(Buffer.byteLength(body));
      }
      const options = { method, headers, timeout: timeoutMs };
      const req = url.protocol === 'https:' ? https.request(url, { ...options, ...(security.ca ? { ca: security.ca.pem } : {}) }) : http.request(url, options);
      req.once('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.once('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        response.once('error', reject);
      });
      req.once('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
      req.once('error', (error) => reject(new Error(`Alertmanager at ${base}: ${(error as NodeJS.ErrnoException).code ?? ''} ${error.message}`.replace(/\s+/g, ' '))));
      req.end(body);
    });
  return {
    async post(alerts) {
      for (let i = 0; i < alerts.length; i += ALERTS_PER_REQUEST) {
        const { status, text } = await request('POST', '/api/v2/alerts', JSON.stringify(alerts.slice(i, i + ALERTS_PER_REQUEST)));
        if (status === 401 || status === 403) throw new Error(`Alertmanager at ${base} refused the credentials (HTTP ${status}): check VIGIL_ALERTMANAGER_USERNAME and VIGIL_ALERTMANAGER_PASSWORD, or VIGIL_ALERTMANAGER_TOKEN`);
        if (status !== 200) throw new Error(`Alertmanager at ${base} answered HTTP ${status}: ${text.slice(0, 200).trim()}`);
      }
    },
    async ready() {
      const { status } = await request('GET', '/-/ready');
      if (status === 401 || status === 403) throw new Error(`Alertmanager at ${base} refused the credentials (HTTP ${status})`);
      return status === 200;
    },
  };
}
