import os from 'node:os';

/** Who is making a change, for the audit trail: `user@host` unless `--by` says otherwise. */
export function defaultAuthor(): string {
  return `${os.userInfo().username}@${os.hostname()}`;
}
