import path from 'node:path';

export interface ThreadEntry {
  /** The file a `new Worker(file, { execArgv })` runs. */
  file: string;
  /** undefined: inherit the process's (compiled JavaScript needs no loader). */
  execArgv: string[] | undefined;
}

/**
 * How to start a thread whose entry is the module `name` in this folder, in whatever way this
 * code itself runs:
 *
 * - From TypeScript sources (`node --import tsx`, and vitest, which transforms in-process
 *   and starts no tsx at all): the `.ts` file, with tsx's CommonJS hook preloaded by
 *   `--require <absolute path of tsx/cjs>`. Not `--import tsx`: on Node 20 the module hooks
 *   it registers do not apply to a worker's entry (ERR_UNKNOWN_FILE_EXTENSION); the
 *   synchronous require hook does. The absolute path makes it independent of the current
 *   directory, and passing execArgv explicitly keeps the parent's own flags (vitest's,
 *   `--import tsx`) out of the thread.
 * - From compiled JavaScript: the `.js` file, inheriting the process's flags.
 */
export function threadEntry(name: string): ThreadEntry {
  const fromTypeScript = path.extname(__filename) === '.ts';
  const file = path.join(__dirname, `${name}${fromTypeScript ? '.ts' : '.js'}`);
  return fromTypeScript ? { file, execArgv: ['--require', require.resolve('tsx/cjs')] } : { file, execArgv: undefined };
}
