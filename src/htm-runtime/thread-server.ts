import { parentPort } from 'node:worker_threads';
import { type ReplyMessage, type RequestMessage, serializeError } from './protocol';

/**
 * The thread side of an AffinityPool: handles requests one at a time, in arrival order. A
 * handler awaits I/O (loading a checkpoint), and a second request for the same model must
 * not run during that wait; strict order also makes a thread's cache deterministic.
 */
export function serveRequests<Request, Reply>(handle: (request: Request) => Promise<Reply>): void {
  const port = parentPort;
  if (port === null) throw new Error('serveRequests must run in a worker thread');
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (message: RequestMessage<Request>) => {
    queue = queue.then(async () => {
      let reply: ReplyMessage<Reply>;
      try {
        reply = { requestId: message.requestId, ok: true, reply: await handle(message.request) };
      } catch (error) {
        reply = { requestId: message.requestId, ok: false, error: serializeError(error) };
      }
      try {
        port.postMessage(reply);
      } catch (error) {
        // A reply that cannot be cloned fails its request, not the thread (and its cache).
        port.postMessage({ requestId: message.requestId, ok: false, error: serializeError(error) } satisfies ReplyMessage<Reply>);
      }
    });
  });
}
