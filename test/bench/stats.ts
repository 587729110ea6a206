import { readFileSync } from 'node:fs';

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

/** User + system CPU time a process has used so far, in ms (Linux /proc; 10 ms ticks). */
export function cpuMs(pid: number | undefined): number {
  if (!pid) return Number.NaN;
  // Fields after the command name "(...)": utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
