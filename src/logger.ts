import pino from 'pino';
import { scrubSecrets } from './security/secret';

/**
 * A logger as Vigil's processes log: JSON lines, every line scrubbed of any secret value that
 * reached it another way than as a Secret (which logs as `[redacted]`), such as a library's
 * error message.
 */
export function createLogger(destination: pino.DestinationStream): pino.Logger {
  return pino({ level: 'info', base: { pid: process.pid }, hooks: { streamWrite: scrubSecrets } }, destination);
}

/** Structured logs on stderr, so stdout stays for what a command prints for its user. */
// Entry points set the level from the validated config (`logger.level = config.logLevel`).
export const logger = createLogger(pino.destination(2));
