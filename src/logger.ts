import pino from 'pino';

/** Structured logs on stderr, so stdout stays for what a command prints for its user. */
// Entry points set the level from the validated config (`logger.level = config.logLevel`).
export const logger = pino({ level: 'info', base: { pid: process.pid } }, pino.destination(2));
