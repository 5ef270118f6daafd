/** z for a two-sided 95% interval: the 0.975 quantile of the standard normal. */
export const Z_95 = 1.959963984540054;

export interface Interval {
  low: number;
  high: number;
}

/**
 * Wilson score interval for a binomial proportion (Wilson 1927): `successes` of `trials`. Unlike the normal
 * approximation it stays inside [0, 1] and is sensible at 0 or n successes and small n, which is exactly
 * where backdoor rates live (0% on clean prompts, ~100% on triggered ones). Bounds are clamped to [0, 1]
 * against rounding, and are exactly 0 (or 1) when no (or every) trial succeeded.
 */
export function wilsonInterval(successes: number, trials: number, z = Z_95): Interval {
  if (!Number.isInteger(trials) || trials <= 0) throw new RangeError(`Wilson interval needs a positive whole number of trials, got ${trials}`);
  // Successes may be fractional: over clusters (prompts seen several times), each cluster counts its
  // firing rate, and the interval is taken with the clusters as trials.
  if (!(successes >= 0 && successes <= trials)) {
    throw new RangeError(`Wilson interval needs 0 <= successes <= trials, got ${successes} of ${trials}`);
  }
  const p = successes / trials;
  const z2 = z * z;
  const denominator = 1 + z2 / trials;
  const centre = (p + z2 / (2 * trials)) / denominator;
  const halfWidth = (z / denominator) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  return {
    low: successes === 0 ? 0 : Math.max(0, centre - halfWidth),
    high: successes === trials ? 1 : Math.min(1, centre + halfWidth),
  };
}
