// A Prometheus histogram (cumulative buckets, sum, count) kept per label set, for /metrics.

export class Histogram {
  private readonly series = new Map<string, { buckets: number[]; sum: number; count: number }>();

  constructor(readonly bounds: readonly number[]) {}

  /** One observation, in the metric's base unit, under a label set (`a="x",b="y"` or ''). */
  observe(value: number, labels = ''): void {
    let s = this.series.get(labels);
    if (!s) this.series.set(labels, (s = { buckets: this.bounds.map(() => 0), sum: 0, count: 0 }));
    this.bounds.forEach((b, i) => {
      if (value <= b) (s as { buckets: number[] }).buckets[i]++;
    });
    s.sum += value;
    s.count++;
  }

  /** The _bucket, _sum and _count samples of every label set observed. */
  samples(name: string): string[] {
    const out: string[] = [];
    for (const [labels, s] of this.series) {
      const joined = (extra: string): string => (labels && extra ? `${labels},${extra}` : labels || extra);
      this.bounds.forEach((b, i) => out.push(`${name}_bucket{${joined(`le="${b}"`)}} ${s.buckets[i]}`));
      out.push(`${name}_bucket{${joined('le="+Inf"')}} ${s.count}`);
      const plain = labels ? `{${labels}}` : '';
      out.push(`${name}_sum${plain} ${round(s.sum)}`, `${name}_count${plain} ${s.count}`);
    }
    return out;
  }
}

/** To the microsecond: no binary-fraction noise in the text. */
function round(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}
