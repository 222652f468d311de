import { describe, it, expect } from 'vitest';
import { LatencyMerge } from './latency.ts';
import { LatencyHistogram } from '../model/histogram.ts';

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

describe('LatencyMerge.addHistogram', () => {
  it('merging interval histograms gives the quantiles of all samples (within the buckets\' resolution)', () => {
    // Two intervals with different shapes; exact quantiles computed from the samples themselves.
    const samplesUs: number[] = [];
    const m = new LatencyMerge();
    for (const [lo, n] of [[10, 700], [200, 300]] as const) {
      const h = new LatencyHistogram();
      for (let i = 0; i < n; i++) {
        const us = lo * (1 + i / n); // spread over [lo, 2·lo)
        h.record(us * 1000, 1);
        samplesUs.push(us);
      }
      m.addHistogram(h);
    }
    samplesUs.sort((a, b) => a - b);
    expect(m.count).toBe(1000);
    for (const q of [0.25, 0.5, 0.69, 0.8, 0.99]) {
      const exact = samplesUs[Math.ceil(q * samplesUs.length) - 1];
      const got = m.quantile(q);
      expect(Math.abs(got - exact) / exact, `q=${q}`).toBeLessThan(0.05);
    }
  });

  it('an empty histogram adds nothing', () => {
    const m = new LatencyMerge();
    m.addHistogram(new LatencyHistogram());
    expect(m.count).toBe(0);
    expect(m.quantile(0.5)).toBe(0);
  });
});
