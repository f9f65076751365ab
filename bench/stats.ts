/** Timing helpers for the benchmark: wall-clock samples in milliseconds, median and p99. */
export interface Figure {
  name: string;
  unit: string;
  median: number;
  p99: number | null;
  samples: number;
  /** What the figure is compared with, and the ratio median / limit. */
  limit?: { name: string; value: number; ratio: number };
  target?: { text: string; met: boolean };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

/** Runs `fn` `warmup` times unmeasured, then `iterations` times, one at a time. */
/** Times `fn` after a warm-up; `before` (not timed) prepares each call, e.g. a fresh single-use challenge. */
export async function sample(fn: () => Promise<unknown>, options: { warmup: number; iterations: number; before?: () => Promise<void> }): Promise<number[]> {
  for (let i = 0; i < options.warmup; i++) {
    await options.before?.();
    await fn();
  }
  const samples: number[] = [];
  for (let i = 0; i < options.iterations; i++) {
    await options.before?.();
    const start = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return samples.sort((a, b) => a - b);
}

export function figure(name: string, sortedMs: number[], unit = 'ms'): Figure {
  return { name, unit, median: percentile(sortedMs, 50), p99: percentile(sortedMs, 99), samples: sortedMs.length };
}

export function withLimit(value: Figure, limitName: string, limitValue: number, maxRatio?: number): Figure {
  const ratio = value.median / limitValue;
  return {
    ...value,
    limit: { name: limitName, value: limitValue, ratio },
    ...(maxRatio !== undefined ? { target: { text: `≤ ${maxRatio}× ${limitName}`, met: ratio <= maxRatio } } : {}),
  };
}

export function withTarget(value: Figure, text: string, met: boolean): Figure {
  return { ...value, target: { text, met } };
}

const fmt = (n: number | null) => (n === null || Number.isNaN(n) ? '—' : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(3));

/** The table printed at the end (also pasted into docs/performance.md). */
export function table(figures: Figure[]): string {
  const rows = figures.map((f) => [
    f.name,
    `${fmt(f.median)} ${f.unit}`,
    f.p99 === null ? '—' : `${fmt(f.p99)} ${f.unit}`,
    f.limit ? `${f.limit.ratio.toFixed(2)}× ${f.limit.name} (${fmt(f.limit.value)})` : '—',
    f.target ? `${f.target.met ? 'met' : 'NOT met'}: ${f.target.text}` : '—',
  ]);
  const header = ['figure', 'median', 'p99', 'ratio to limit', 'target'];
  return [header, header.map(() => '---'), ...rows].map((row) => `| ${row.join(' | ')} |`).join('\n');
}
