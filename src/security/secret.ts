import { z } from 'zod';

/** What a secret shows wherever it is printed, logged, serialised or inspected. */
export const REDACTED = '[redacted]';

/** Secrets shorter than this are not scrubbed from text by value: it would mangle ordinary words. */
const MIN_SCRUBBED_LENGTH = 6;

/** Every secret value this process holds, for scrubbing text that may have picked one up. */
const known = new Set<string>();

/**
 * A password, API key or private key from the configuration. It holds its value out of sight:
 * `String()`, template strings, `JSON.stringify` (so pino's log lines) and `util.inspect` (so
 * console.log and error dumps) all give `[redacted]`. Only `reveal()` gives the value, at the one
 * place a client library needs it.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
    if (value.length >= MIN_SCRUBBED_LENGTH) known.add(value);
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return REDACTED;
  }
}

export const secretSchema = z.instanceof(Secret);

/**
 * Text with every known secret value replaced by `[redacted]`: a second line of defence for
 * what does not pass through a Secret (a library's error message, a log line). Used on every log
 * line and on the one line a failing command prints.
 */
export function scrubSecrets(text: string): string {
  let scrubbed = text;
  for (const value of known) {
    if (scrubbed.includes(value)) scrubbed = scrubbed.split(value).join(REDACTED);
    // A secret in a URL or in a JSON string may appear escaped.
    for (const escaped of [encodeURIComponent(value), JSON.stringify(value).slice(1, -1)]) {
      if (escaped !== value && scrubbed.includes(escaped)) scrubbed = scrubbed.split(escaped).join(REDACTED);
    }
  }
  return scrubbed;
}
