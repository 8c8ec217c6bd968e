import { Worker } from 'node:worker_threads';
import type { ReplyMessage, RequestMessage, SerializedError } from './protocol';
import type { ThreadEntry } from './thread-entry';

/*
 * Why not a pool library: piscina, tinypool, workerpool and poolifier all pick a thread per
 * task (least busy, round robin…); none routes a key to the same thread every time (piscina's
 * affinity balancer was proposed and closed; poolifier's affinity pins task *functions*, not
 * tasks). Stateful threads need strict affinity, and the rest here is small.
 */

export interface AffinityPoolOptions {
  entry: ThreadEntry;
  threadCount: number;
  /** Given to every thread as `workerData` (structured-cloned). */
  workerData: unknown;
  /** Turns a thread's error back into an Error (e.g. a class the caller checks for). */
  reviveError?: (error: SerializedError) => Error;
  /** A thread ended (crashed, or terminated): whatever it held is gone. */
  onThreadExit?: (threadIndex: number) => void;
}

interface PendingRequest<Reply> {
  resolve(reply: Reply): void;
  reject(error: Error): void;
}

interface LiveThread<Reply> {
  worker: Worker;
  pending: Map<number, PendingRequest<Reply>>;
}

/**
 * Worker threads where a key always runs on the same thread (FNV-1a hash mod thread count),
 * so each thread can keep state for its keys. Threads start on first use; one that dies
 * fails its pending requests and is started afresh by the next request for it. A thread is
 * ref'd only while it has requests in flight, so an idle pool never keeps the process alive.
 */
export class AffinityPool<Request, Reply> {
  private readonly threads: Array<LiveThread<Reply> | undefined>;
  private nextRequestId = 1;
  private closed = false;

  constructor(private readonly options: AffinityPoolOptions) {
    if (!Number.isInteger(options.threadCount) || options.threadCount < 1) throw new RangeError(`threadCount must be a whole number ≥ 1, got ${options.threadCount}`);
    this.threads = Array.from({ length: options.threadCount }, () => undefined);
  }

  get threadCount(): number {
    return this.threads.length;
  }

  threadIndexFor(affinityKey: string): number {
    return fnv1a32(affinityKey) % this.threads.length;
  }

  run(affinityKey: string, request: Request): Promise<Reply> {
    if (this.closed) return Promise.reject(new Error('the thread pool is closed'));
    const index = this.threadIndexFor(affinityKey);
    const thread = this.threads[index] ?? this.start(index);
    const requestId = this.nextRequestId++;
    return new Promise<Reply>((resolve, reject) => {
      thread.pending.set(requestId, { resolve, reject });
      thread.worker.ref();
      try {
        thread.worker.postMessage({ requestId, request } satisfies RequestMessage<Request>);
      } catch (error) {
        this.settle(thread, requestId)?.reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  /** Terminates every running thread (as a crash would); the next requests start new ones. */
  async terminateThreads(): Promise<void> {
    await Promise.all(this.threads.map((thread) => thread?.worker.terminate()));
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.terminateThreads();
  }

  private start(index: number): LiveThread<Reply> {
    const { entry, workerData } = this.options;
    const worker = new Worker(entry.file, { execArgv: entry.execArgv, workerData, name: `affinity-pool-${index}` });
    const thread: LiveThread<Reply> = { worker, pending: new Map() };
    this.threads[index] = thread;
    worker.unref();
    worker.on('message', (message: ReplyMessage<Reply>) => {
      const pending = this.settle(thread, message.requestId);
      if (pending === undefined) return;
      if (message.ok) pending.resolve(message.reply);
      else pending.reject(this.revive(message.error));
    });
    // An uncaught error ends the thread; 'exit' follows and fails what was pending.
    worker.on('error', (error) => this.failAll(thread, error));
    worker.on('exit', (code) => {
      if (this.threads[index] === thread) this.threads[index] = undefined;
      const why = this.closed ? 'the thread pool was closed' : `scoring thread ${index} exited with code ${code}`;
      this.failAll(thread, new Error(`${why} before answering`));
      this.options.onThreadExit?.(index);
    });
    return thread;
  }

  private settle(thread: LiveThread<Reply>, requestId: number): PendingRequest<Reply> | undefined {
    const pending = thread.pending.get(requestId);
    thread.pending.delete(requestId);
    if (thread.pending.size === 0) thread.worker.unref();
    return pending;
  }

  private failAll(thread: LiveThread<Reply>, error: Error): void {
    for (const requestId of [...thread.pending.keys()]) this.settle(thread, requestId)?.reject(error);
  }

  private revive(serialized: SerializedError): Error {
    if (this.options.reviveError !== undefined) return this.options.reviveError(serialized);
    return reviveGenericError(serialized);
  }
}

/** An Error with the thread's name, message and stack. */
export function reviveGenericError(serialized: SerializedError): Error {
  const error = new Error(serialized.message);
  error.name = serialized.name;
  if (serialized.stack !== undefined) error.stack = serialized.stack;
  return error;
}

/** 32-bit FNV-1a over UTF-16 code units: stable across processes, so routing is reproducible. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}
