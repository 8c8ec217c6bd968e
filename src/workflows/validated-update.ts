import type { UpdateDefinition } from '@temporalio/common';
import { currentUpdateInfo, setHandler } from '@temporalio/workflow';
import type { z } from 'zod';
import { parseOrReject } from '../validate';

export interface ValidatedUpdate<S extends z.ZodType, Ret> {
  /** The argument's schema, and what it is called in a rejection (`invalid thresholds: …`). */
  schema: S;
  what: string;
  /** A check beyond the schema that needs the workflow's state; throws to reject. */
  check?: (value: z.output<S>) => void;
  /** What the accepted Update does. */
  apply: (value: z.output<S>) => Ret;
  description?: string;
}

/**
 * Handles an Update whose argument a schema checks, parsing it once: the validator parses it (a
 * bad value is rejected with a one-line reason and never reaches history), and the handler,
 * which the SDK runs right after a validator that passed, takes the value parsed. A replayed
 * Update runs no validator (its acceptance is in history), so then the handler parses it itself.
 */
export function handleValidatedUpdate<S extends z.ZodType, Ret>(update: UpdateDefinition<Ret, [z.input<S>]>, spec: ValidatedUpdate<S, Ret>): void {
  const parsed = new Map<string, z.output<S>>();
  const updateId = () => currentUpdateInfo()?.id ?? '';
  setHandler(
    update,
    (argument) => {
      const id = updateId();
      const value = parsed.has(id) ? (parsed.get(id) as z.output<S>) : parseOrReject(spec.schema, argument, spec.what);
      parsed.delete(id);
      return spec.apply(value);
    },
    {
      validator: (argument) => {
        const value = parseOrReject(spec.schema, argument, spec.what);
        spec.check?.(value);
        parsed.set(updateId(), value);
      },
      ...(spec.description ? { description: spec.description } : {}),
    },
  );
}
