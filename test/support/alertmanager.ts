import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll } from 'vitest';
import { loadConfig } from '../../src/config';
import { alertmanagerClient } from '../../src/alerting/alertmanager-client';
import type { AlertmanagerSecurity } from '../../src/security/alertmanager-security';
import { alertmanagerPaths, startAlertmanagerInstance, stopAlertmanagerInstance } from '../../src/services/alertmanager';
import { freePort } from './vigil-process';

/** A notification as Alertmanager's webhook sends it (the parts the tests read). */
export interface WebhookNotification {
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  alerts: Array<{ status: 'firing' | 'resolved'; labels: Record<string, string>; annotations: Record<string, string>; startsAt: string; endsAt: string; generatorURL: string }>;
}

/** An alert as `GET /api/v2/alerts` lists it. */
export interface GettableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  status: { state: 'active' | 'suppressed' | 'unprocessed'; silencedBy: string[]; inhibitedBy: string[] };
}

/**
 * A real Alertmanager of the test's own (the binary `services up` builds, its own port, data and
 * routing), whose one receiver is a webhook the test listens on: `notifications` collects what it sends.
 */
export function useAlertmanager(
  name: string,
  route: { groupWait: string; groupInterval: string } = { groupWait: '2s', groupInterval: '1s' },
  /** Alertmanager's `--web.config.file` (TLS, basic auth) and how the test's readiness check reaches it then. */
  web?: { config: string; security: AlertmanagerSecurity },
) {
  const home = loadConfig().home;
  const instance = `test-${name}-${Date.now().toString(36)}`;
  const notifications: WebhookNotification[] = [];
  const hook = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      notifications.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as WebhookNotification);
      response.writeHead(200).end();
    });
  });
  let port = 0;
  const am = {
    notifications,
    get url() {
      return web ? `https://localhost:${port}` : `http://127.0.0.1:${port}`;
    },
    async start(): Promise<void> {
      if (!hook.listening) await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
      port ||= await freePort();
      const dir = path.dirname(alertmanagerPaths(home, instance).data);
      fs.mkdirSync(dir, { recursive: true });
      const routingFile = path.join(dir, 'alertmanager.yml');
      fs.writeFileSync(
        routingFile,
        [
          'route:',
          '  receiver: hook',
          '  group_by: [alertname, device_group, severity]',
          `  group_wait: ${route.groupWait}`,
          `  group_interval: ${route.groupInterval}`,
          '  repeat_interval: 1h',
          'receivers:',
          '  - name: hook',
          '    webhook_configs:',
          `      - url: http://127.0.0.1:${(hook.address() as AddressInfo).port}/`,
          '        send_resolved: true',
          '',
        ].join('\n'),
      );
      const webConfigFile = web ? path.join(dir, 'web.yml') : undefined;
      if (webConfigFile && web) fs.writeFileSync(webConfigFile, web.config);
      const client = alertmanagerClient(am.url, web?.security ?? {}, 2000);
      await startAlertmanagerInstance(home, { name: instance, port, routingFile, ...(webConfigFile ? { webConfigFile } : {}) }, () => client.ready());
    },
    stop: () => stopAlertmanagerInstance(home, instance),
    async alerts(filter = ''): Promise<GettableAlert[]> {
      return (await (await fetch(`${am.url}/api/v2/alerts${filter}`)).json()) as GettableAlert[];
    },
    async silence(matchers: Array<{ name: string; value: string }>, comment: string): Promise<string> {
      const now = Date.now();
      const response = await fetch(`${am.url}/api/v2/silences`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          matchers: matchers.map((m) => ({ ...m, isRegex: false, isEqual: true })),
          startsAt: new Date(now - 1000).toISOString(),
          endsAt: new Date(now + 3600_000).toISOString(),
          createdBy: 'test',
          comment,
        }),
      });
      if (!response.ok) throw new Error(`silence refused: ${response.status} ${await response.text()}`);
      return ((await response.json()) as { silenceID: string }).silenceID;
    },
  };
  afterAll(async () => {
    await am.stop();
    await new Promise((resolve) => hook.close(resolve));
    fs.rmSync(path.dirname(alertmanagerPaths(home, instance).data), { recursive: true, force: true });
  });
  return am;
}
