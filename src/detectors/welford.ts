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
