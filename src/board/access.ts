import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import net from 'node:net';

/**
 * Who may see the board. On loopback without a token: whoever is on this machine (as before).
 * With VIGIL_BOARD_TOKEN, every request (the page, its scripts, the API, the event stream) must
 * carry the token: as `Authorization: Bearer <token>`, as Basic auth with the token as the
 * password (the browser asks for it), or as the cookie a first visit to `/?token=<token>` sets
 * (what the page's EventSource sends, since it cannot set headers). Beyond loopback the board
 * refuses to start without a token.
 */

/** The cookie a visit with the right `?token=` sets. */
export const ACCESS_COOKIE = 'vigil_board';
/** How long that cookie lasts: 30 days. */
const COOKIE_MAX_AGE_S = 30 * 24 * 3600;

/** Whether a listen address is only reachable from this machine. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost') return true;
  if (bare.startsWith('::ffff:')) return isLoopback(bare.slice('::ffff:'.length));
  if (net.isIPv4(bare)) return bare.startsWith('127.');
  if (net.isIPv6(bare)) return bare === '::1' || bare === '0:0:0:0:0:0:0:1';
  return false;
}

/** The one line the board stops with when it would listen beyond loopback without a token; undefined when it may start. */
export function listenRefusal(host: string, hasToken: boolean): string | undefined {
  if (hasToken || isLoopback(host)) return undefined;
  return `the board does not listen on ${host} without an access token: set VIGIL_BOARD_TOKEN (16 characters or more, e.g. openssl rand -hex 32), or listen on 127.0.0.1`;
}

/** Equality that takes the same time whatever the strings: their SHA-256 digests compared with timingSafeEqual. */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** The cookie's value: derived from the token, so the cookie jar never holds the token itself. */
export function cookieValueFor(token: string): string {
  return createHmac('sha256', token).update('vigil board access cookie').digest('hex');
}

export type AccessDecision =
  | { allow: true }
  /** The right `?token=` on the page: set the cookie and send the browser to the address without the token. */
  | { allow: true; setCookie: string; redirectTo: string }
  | { allow: false };

/** Decides one request against the token. */
export function decideAccess(url: URL, headers: IncomingHttpHeaders, token: string): AccessDecision {
  const query = url.searchParams.get('token');
  if (query !== null) {
    if (!sameSecret(query, token)) return { allow: false };
    if (url.pathname !== '/') return { allow: true };
    const clean = new URL(url);
    clean.searchParams.delete('token');
    const secure = headers['x-forwarded-proto'] === 'https' ? '; Secure' : '';
    return {
      allow: true,
      setCookie: `${ACCESS_COOKIE}=${cookieValueFor(token)}; HttpOnly; SameSite=Lax; Path=/; Max-Age=${COOKIE_MAX_AGE_S}${secure}`,
      redirectTo: `${clean.pathname}${clean.search}`,
    };
  }
  const authorization = headers.authorization ?? '';
  const bearer = /^Bearer\s+(.+)$/i.exec(authorization);
  if (bearer) return verdict(sameSecret(bearer[1]!.trim(), token));
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(authorization);
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    return verdict(sameSecret(decoded.slice(decoded.indexOf(':') + 1), token));
  }
  const cookie = cookieNamed(headers.cookie ?? '', ACCESS_COOKIE);
  if (cookie !== undefined) return verdict(sameSecret(cookie, cookieValueFor(token)));
  return { allow: false };
}

const verdict = (allow: boolean): AccessDecision => (allow ? { allow: true } : { allow: false });

/** One cookie's value from a Cookie header. */
export function cookieNamed(header: string, name: string): string | undefined {
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/** `http://127.0.0.1:8090/`, `http://[::1]:8090/`: the address the board tells. */
export function boardUrl(host: string, port: number): string {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  return `http://${net.isIPv6(bare) ? `[${bare}]` : bare}:${port}/`;
}
