/** Why a message could not become a reading; the code is the DLQ reason label. */
export type RejectionCode =
  | 'oversized'
  | 'missing-key'
  | 'invalid-encoding'
  | 'invalid-json'
  | 'invalid-schema'
  | 'key-mismatch'
  /** The decoder itself failed: a bug to report, but the message is kept, not lost. */
  | 'decoder-error';

export class Rejection extends Error {
  constructor(
    readonly code: RejectionCode,
    readonly detail: string,
  ) {
    super(`${code}: ${detail}`);
    this.name = 'Rejection';
  }
}
