import type { z } from 'zod';

/**
 * Parses a value or throws an Error that says what is wrong in one line, e.g.
 * `invalid threshold on line 3: rule.high: must be a finite number`. What a rejected Update
 * tells its caller, and what a bad row of a file says.
 */
export function parseOrReject<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || what}: ${issue.message}`).join('; ');
    throw new Error(`invalid ${what}: ${issues}`);
  }
  return parsed.data;
}
