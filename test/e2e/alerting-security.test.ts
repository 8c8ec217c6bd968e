import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { alertmanagerClient } from '../../src/alerting/alertmanager-client';
import { postable } from '../../src/alerting/alerts';
import { loadConfig } from '../../src/config';
import { useAlertmanager } from '../support/alertmanager';
import { usePipeline } from '../support/pipeline';

const tls = path.resolve(__dirname, '../fixtures/tls');
const password = 'alertmanager-test-password';
/** bcrypt of the password, as Alertmanager's web configuration takes it (python3 crypt, METHOD_BLOWFISH, 2^10 rounds). */
const hash = '$2b$10$omYDSfBoUlqsytJ7mk9ZT.M1EqpmDQCCTze39B0JkM1MG6F7fywOS';
const settings = { VIGIL_ALERTMANAGER_CA: path.join(tls, 'ca.pem'), VIGIL_ALERTMANAGER_USERNAME: 'vigil', VIGIL_ALERTMANAGER_PASSWORD: password };
const am = useAlertmanager('alerting-tls', undefined, {
  config: `tls_server_config:\n  cert_file: ${path.join(tls, 'server.pem')}\n  key_file: ${path.join(tls, 'server.key')}\nbasic_auth_users:\n  vigil: '${hash}'\n`,
  security: loadConfig({ ...process.env, VIGIL_ALERTMANAGER_URL: 'https://localhost:1', ...settings }).alerting.security,
});
const newPipeline = usePipeline();

describe('Alertmanager over TLS with basic auth', () => {
  it('posts with the configured CA and credentials, refuses a wrong password or an unknown CA in one line, and never says the password', async () => {
    await am.start();
    const configOf = (extra: NodeJS.ProcessEnv) => loadConfig({ ...process.env, VIGIL_ALERTMANAGER_URL: am.url, ...settings, ...extra });
    const alert = postable({ labels: { alertname: 'VigilAnomaly', device: 'tls-1' }, annotations: {}, startsAt: Date.now() - 1000, endsAt: undefined, generatorURL: 'http://board/#device=tls-1' }, Date.now(), 60_000);

    const right = configOf({}).alerting;
    await alertmanagerClient(right.alertmanagerUrl, right.security).post([alert]);
    expect(await alertmanagerClient(right.alertmanagerUrl, right.security).ready()).toBe(true);

    const wrong = configOf({ VIGIL_ALERTMANAGER_PASSWORD: 'not-the-password' }).alerting;
    const refused = await alertmanagerClient(wrong.alertmanagerUrl, wrong.security).post([alert]).then(() => 'accepted', (e: Error) => e.message);
    expect(refused).toBe(`Alertmanager at ${am.url} refused the credentials (HTTP 401): check VIGIL_ALERTMANAGER_USERNAME and VIGIL_ALERTMANAGER_PASSWORD, or VIGIL_ALERTMANAGER_TOKEN`);
    const unknownCa = configOf({ VIGIL_ALERTMANAGER_CA: path.join(tls, 'other-ca.pem') }).alerting;
    const untrusted = await alertmanagerClient(unknownCa.alertmanagerUrl, unknownCa.security).post([alert]).then(() => 'accepted', (e: Error) => e.message);
    expect(untrusted).toMatch(new RegExp(`^Alertmanager at ${am.url}: .*(certificate|self.signed)`, 'i'));
    expect(`${refused}${untrusted}${JSON.stringify(right)}`).not.toContain(password);

    // services status reaches it with the same settings, and says how.
    const p = newPipeline('e2e-alerting-tls', { VIGIL_ALERTMANAGER_URL: am.url, ...settings });
    const status = await p.vigil(['services', 'status']);
    expect(status.stdout).toContain(`alertmanager healthy   ${am.url} (external, TLS (own CA), basic auth as vigil)`);
    expect(status.stdout + status.stderr).not.toContain(password);
    // Contradictory settings stop a command in one line.
    p.env.VIGIL_ALERTMANAGER_TOKEN = 'a-bearer-token-too';
    expect(await p.vigil(['alerter'])).toEqual({ code: 1, stdout: '', stderr: 'vigil: VIGIL_ALERTMANAGER_PASSWORD and VIGIL_ALERTMANAGER_TOKEN are both set: Alertmanager takes basic auth or a bearer token, set one\n' });
  });
});
