import { describe, it, expect } from 'vitest';
import { LatencyHistogram, bucketOf, bucketValue, HIST_BUCKETS } from './histogram.ts';

describe('LatencyHistogram', () => {
  it('maps values to buckets within 3.2 % relative error', () => {
    for (const v of [1, 63, 64, 100, 999, 12345, 1e6, 7.7e7, 2e9]) {
      const b = bucketOf(v);
      expect(b).toBeGreaterThanOrEqual(0);
      expect(b).toBeLessThan(HIST_BUCKETS);
      expect(Math.abs(bucketValue(b) - v) / v).toBeLessThan(0.032);
    }
    expect(bucketOf(5e9)).toBe(bucketOf(2147483647));
  });

  it('computes quantiles from counted samples', () => {
    const h = new LatencyHistogram();
    h.record(10_000, 90); // 10 µs
    h.record(100_000, 9); // 100 µs
    h.record(1_000_000, 1); // 1 ms
    expect(h.total).toBe(100);
    expect(h.quantile(0.5) / 10_000).toBeCloseTo(1, 1);
    expect(h.quantile(0.95) / 100_000).toBeCloseTo(1, 1);
    expect(h.quantile(0.999) / 1_000_000).toBeCloseTo(1, 1);
  });

  it('merges and resets', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    a.record(1000, 1);
    b.record(5000, 3);
    a.merge(b);
    expect(a.total).toBe(4);
    expect(a.quantile(0.5) / 5000).toBeCloseTo(1, 1);
    a.reset();
    expect(a.total).toBe(0);
    expect(a.quantile(0.5)).toBe(0);
  });
});

describe('LatencyHistogram bounds', () => {
  it('tracks the touched bucket range and stays correct across reuse', () => {
    const h = new LatencyHistogram();
    h.record(500, 2);
    h.record(50_000, 2);
    expect(h.lo).toBe(bucketOf(500));
    expect(h.hi).toBe(bucketOf(50_000));
    h.reset();
    expect(h.counts.every((x) => x === 0)).toBe(true);
    h.record(7000, 1);
    expect(h.quantile(0.5) / 7000).toBeCloseTo(1, 1);
    expect(h.quantile(1) / 7000).toBeCloseTo(1, 1);
  });
});
