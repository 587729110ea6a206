/** Percentile of a list of milliseconds (nearest rank). */
export function percentile(values: number[], p: number): number {
  if (!values.length) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function summary(label: string, values: number[]): string {
  const fmt = (n: number) => `${Math.round(n)} ms`;
  return `${label.padEnd(48)} n=${String(values.length).padStart(3)}  p50=${fmt(percentile(values, 50)).padStart(8)}  p95=${fmt(percentile(values, 95)).padStart(8)}  max=${fmt(Math.max(...values)).padStart(8)}`;
}
