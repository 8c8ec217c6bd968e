import { z } from 'zod';
import { envPem, envSecret, envValue, pemOriginSchema, type ReadFile } from './env-settings';
import { secretSchema } from './secret';

/**
 * How Vigil reaches Alertmanager: over HTTPS when its URL says `https:` (with a CA of its own, or
 * the system's), and with HTTP basic auth or a bearer token when set, as Alertmanager's
 * `--web.config.file` (or a proxy in front of it) asks. Passwords and tokens are Secrets.
 */
export const alertmanagerSecuritySchema = z.object({
  ca: z.object({ pem: z.string(), origin: pemOriginSchema }).optional(),
  basic: z.object({ username: z.string().min(1), password: secretSchema }).optional(),
  bearer: secretSchema.optional(),
});
export type AlertmanagerSecurity = z.infer<typeof alertmanagerSecuritySchema>;

/** Reads the settings; one line naming the variable when they contradict each other. */
export function alertmanagerSecurityFromEnv(env: NodeJS.ProcessEnv, url: string, readFile: ReadFile): AlertmanagerSecurity {
  const ca = envPem(env, { pathVariables: ['VIGIL_ALERTMANAGER_CA'], kind: 'certificate' }, readFile);
  const username = envValue(env, 'VIGIL_ALERTMANAGER_USERNAME');
  const password = envSecret(env, 'VIGIL_ALERTMANAGER_PASSWORD', readFile);
  const bearer = envSecret(env, 'VIGIL_ALERTMANAGER_TOKEN', readFile);
  if ((username === undefined) !== (password === undefined)) {
    throw new Error('VIGIL_ALERTMANAGER_USERNAME and VIGIL_ALERTMANAGER_PASSWORD go together: set both for basic auth, or neither');
  }
  if (password && bearer) throw new Error('VIGIL_ALERTMANAGER_PASSWORD and VIGIL_ALERTMANAGER_TOKEN are both set: Alertmanager takes basic auth or a bearer token, set one');
  if (ca && !url.startsWith('https:')) throw new Error(`VIGIL_ALERTMANAGER_CA is set but VIGIL_ALERTMANAGER_URL (${url}) is not https://`);
  return { ...(ca ? { ca } : {}), ...(username && password ? { basic: { username, password } } : {}), ...(bearer ? { bearer } : {}) };
}

/** One line for `services status`: never a secret. */
export function describeAlertmanagerSecurity(url: string, security: AlertmanagerSecurity): string {
  const parts = [url.startsWith('https:') ? (security.ca ? 'TLS (own CA)' : 'TLS') : 'plaintext'];
  if (security.basic) parts.push(`basic auth as ${security.basic.username}`);
  if (security.bearer) parts.push('bearer token');
  return parts.join(', ');
}

/** The Authorization header the settings ask for, if any. */
export function alertmanagerAuthorization(security: AlertmanagerSecurity): string | undefined {
  if (security.basic) return `Basic ${Buffer.from(`${security.basic.username}:${security.basic.password.reveal()}`).toString('base64')}`;
  if (security.bearer) return `Bearer ${security.bearer.reveal()}`;
  return undefined;
}
