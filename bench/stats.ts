/** Summary statistics; percentiles by the nearest-rank method (no interpolation: small samples stay honest). */
export interface Summary {
  n: number;
  mean: number;
  p50: number;
  p99: number;
  min: number;
  max: number;
}

export function summarize(values: number[]): Summary | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
  return {
    n: sorted.length,
    mean: sorted.reduce((s, v) => s + v, 0) / sorted.length,
    p50: rank(50),
    p99: rank(99),
    min: sorted[0],
    max: sorted[sorted.length - 1],
  };
}

export const median = (values: number[]) => summarize(values)?.p50 ?? NaN;
