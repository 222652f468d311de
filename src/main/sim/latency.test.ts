import { describe, it, expect } from 'vitest';
import { LatencyMerge } from './latency.ts';

describe('LatencyMerge', () => {
  it('is empty → 0', () => {
    const m = new LatencyMerge();
    expect(m.quantile(0.5)).toBe(0);
    m.addPercentiles(0, 10, 20, 30);
    expect(m.count).toBe(0);
    expect(m.quantile(0.99)).toBe(0);
  });

  it('one interval gives back its percentiles within one bucket (1 %)', () => {
    const m = new LatencyMerge();
    m.addPercentiles(1000, 80, 250, 900);
    expect(m.quantile(0.5)).toBeGreaterThan(80 * 0.99);
    expect(m.quantile(0.5)).toBeLessThan(80 * 1.01);
    expect(m.quantile(0.99)).toBeGreaterThan(250 * 0.99);
    expect(m.quantile(0.99)).toBeLessThan(250 * 1.01);
    expect(m.quantile(0.999)).toBeGreaterThan(900 * 0.99);
    expect(m.quantile(0.999)).toBeLessThan(900 * 1.01);
  });

  it('weights intervals by completions, unlike a plain mean of percentiles', () => {
    // A busy interval (10 000 completions at p50 = 50 µs) and a quiet one (10 completions at p50 = 5 000 µs).
    const m = new LatencyMerge();
    m.addPercentiles(10_000, 50, 100, 200);
    m.addPercentiles(10, 5000, 9000, 9900);
    const p50 = m.quantile(0.5);
    expect(p50).toBeGreaterThan(45);
    expect(p50).toBeLessThan(55); // the mean of p50s would be 2 525 µs
    // The quiet interval is 0.1 % of completions: p99 stays with the busy one.
    expect(m.quantile(0.99)).toBeLessThan(110);
  });

  it('the p99 of a mixture reflects a heavy slow share', () => {
    // 95 % of completions fast, 5 % slow: the merged p99 lies in the slow interval's body.
    const m = new LatencyMerge();
    m.addPercentiles(9500, 20, 40, 60);
    m.addPercentiles(500, 1000, 2000, 3000);
    const p99 = m.quantile(0.99);
    expect(p99).toBeGreaterThan(1000);
    expect(p99).toBeLessThan(2000);
  });

  it('merging two accumulators equals adding everything into one', () => {
    const a = new LatencyMerge();
    const b = new LatencyMerge();
    const all = new LatencyMerge();
    a.addPercentiles(300, 10, 30, 50);
    b.addPercentiles(700, 100, 300, 500);
    all.addPercentiles(300, 10, 30, 50);
    all.addPercentiles(700, 100, 300, 500);
    a.addMerge(b);
    expect(a.count).toBe(1000);
    for (const q of [0.1, 0.5, 0.9, 0.99]) expect(a.quantile(q)).toBeCloseTo(all.quantile(q), 9);
  });

  it('quantiles are monotone in q', () => {
    const m = new LatencyMerge();
    m.addPercentiles(100, 3, 7, 11);
    m.addPercentiles(50, 30, 70, 110);
    let prev = 0;
    for (let q = 0.01; q < 1; q += 0.01) {
      const v = m.quantile(q);
      expect(v).toBeGreaterThanOrEqual(prev);
      prev = v;
    }
  });
});
