/** Messages between an AffinityPool and its threads (structured-cloned by postMessage). */

export interface RequestMessage<Request> {
  requestId: number;
  request: Request;
}

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
}

export type ReplyMessage<Reply> = { requestId: number; ok: true; reply: Reply } | { requestId: number; ok: false; error: SerializedError };

export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { name: 'Error', message: String(error) };
}
