import { z } from 'zod';

/** Welford's running moments (the M2 model a model topic carries): count, mean and sum of squared deviations. */
export const m2Schema = z.object({
  n: z.number().int().nonnegative(),
  mean: z.number().refine(Number.isFinite),
  m2: z.number().nonnegative().refine(Number.isFinite),
});
export type M2 = z.infer<typeof m2Schema>;

export const emptyM2 = (): M2 => ({ n: 0, mean: 0, m2: 0 });

/** Adds one value; numerically stable, unlike sum/sum-of-squares. */
export function addValue(model: M2, value: number): M2 {
  const n = model.n + 1;
  const delta = value - model.mean;
  const mean = model.mean + delta / n;
  return { n, mean, m2: model.m2 + delta * (value - mean) };
}

/** Sample variance (n − 1), as the M2 model defines it; undefined below two values. */
export function variance(model: M2): number | undefined {
  return model.n < 2 ? undefined : model.m2 / (model.n - 1);
}

export function stdev(model: M2): number | undefined {
  const v = variance(model);
  return v === undefined ? undefined : Math.sqrt(v);
}

/**
 * Adds one value to a model that weighs about its last `window` values: once the model holds
 * `window` of them, it is first shrunk to `window − 1` with its variance kept, so each new value
 * has weight 1/window and older ones fade exponentially (half of the weight lies in the last
 * 0.69·window values). Below `window` values it is Welford's exact update. The model keeps the
 * {n, mean, m2} shape, so it can still be pushed, shown and compared.
 */
export function addValueWithin(model: M2, value: number, window: number): M2 {
  if (model.n < window) return addValue(model, value);
  const kept = window - 1;
  // m2 / (n − 1) is the variance: the shrunk model has the same one with n − 1 = kept − 1.
  const shrunk = { n: kept, mean: model.mean, m2: kept > 1 ? (model.m2 * (kept - 1)) / (model.n - 1) : 0 };
  return addValue(shrunk, value);
}
