/**
 * Mergeable latency distribution for summaries.
 *
 * The model reports, per interval, percentiles (p50, p99, p999) and a
 * completion rate, not raw samples. Averaging percentiles across intervals is
 * wrong (a quiet interval would count as much as a busy one, and the p99 of a
 * mixture is not the mean of p99s). Instead each interval's distribution is
 * reconstructed as a piecewise log-uniform CDF through its known quantiles
 * and added, weighted by its completion count, into one log-bucketed
 * histogram (1 % bucket width); the summary's percentiles are read from the
 * merged histogram with interpolation inside a bucket.
 *
 * Reconstruction (an assumption, documented in docs/scenarios.md):
 *   mass 0.5   log-uniform on [p50/2, p50]
 *   mass 0.49  log-uniform on [p50, p99]
 *   mass 0.009 log-uniform on [p99, p999]
 *   mass 0.001 at p999
 * A single interval (or identical intervals) therefore gives back its own
 * p50/p99/p999 within one bucket (≤ 1 %).
 *
 * When the model exposes the interval's histogram (HostModelApi.intervalHistograms),
 * `addHistogram` adds its buckets directly instead: no reconstruction, only
 * the histograms' resolution (≤ 3 % in the model, 1 % here).
 *
 * Memory is bounded (a fixed Float64Array), whatever the run length.
 */
import { HIST_BUCKETS, bucketValue, type LatencyHistogram } from '../model/histogram.ts';


/** Smallest latency tracked, µs (smaller values land in the first bucket). */
const MIN_US = 0.01;
/** Bucket growth factor. */
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
/** Buckets cover MIN_US .. MIN_US·GROWTH^N ≈ 0.01 µs .. 1e8 µs (100 s). */
const N_BUCKETS = Math.ceil(Math.log(1e10) / LOG_GROWTH);

/** Lower edge of bucket i, µs. */
function edge(i: number): number {
  return MIN_US * Math.exp(i * LOG_GROWTH);
}

/** Fractional bucket position of a latency (log scale), clamped to the range. */
function pos(us: number): number {
  if (!(us > MIN_US)) return 0;
  const p = Math.log(us / MIN_US) / LOG_GROWTH;
  return p >= N_BUCKETS ? N_BUCKETS - 1e-9 : p;
}

/** A completion-weighted latency distribution built from per-interval percentiles. */
export class LatencyMerge {
  private readonly buckets = new Float64Array(N_BUCKETS);
  private total = 0;

  /** Completions added so far. */
  get count(): number {
    return this.total;
  }

  /**
   * Add one interval's distribution: `count` completions with the given
   * percentiles (µs). Ignored when count ≤ 0.
   */
  addPercentiles(count: number, p50: number, p99: number, p999: number): void {
    if (!(count > 0)) return;
    const a = Math.max(p50, 0);
    const b = Math.max(p99, a);
    const c = Math.max(p999, b);
    this.spread(a / 2, a, 0.5 * count);
    this.spread(a, b, 0.49 * count);
    this.spread(b, c, 0.009 * count);
    this.spread(c, c, 0.001 * count);
    this.total += count;
  }

  /** Add a model latency histogram (values in ns), bucket by bucket. */
  addHistogram(h: LatencyHistogram): void {
    if (!(h.total > 0)) return;
    const c = h.counts;
    for (let i = 0; i < HIST_BUCKETS; i++) {
      const n = c[i];
      if (n > 0) this.buckets[Math.floor(pos(bucketValue(i) / 1000))] += n;
    }
    this.total += h.total;
  }

  /** Merge another distribution into this one. */
  addMerge(other: LatencyMerge): void {
    for (let i = 0; i < N_BUCKETS; i++) this.buckets[i] += other.buckets[i];
    this.total += other.total;
  }

  /** Spread `mass` log-uniformly over [lo, hi] µs. */
  private spread(lo: number, hi: number, mass: number): void {
    const p0 = pos(lo);
    const p1 = pos(hi);
    if (p1 - p0 < 1e-12) {
      this.buckets[Math.floor(p0)] += mass;
      return;
    }
    const width = p1 - p0;
    let i = Math.floor(p0);
    const last = Math.floor(p1);
    for (; i <= last && i < N_BUCKETS; i++) {
      const from = Math.max(p0, i);
      const to = Math.min(p1, i + 1);
      if (to > from) this.buckets[i] += (mass * (to - from)) / width;
    }
  }

  /** The q-quantile (0 < q < 1) in µs; 0 when empty. */
  quantile(q: number): number {
    if (!(this.total > 0)) return 0;
    const target = q * this.total;
    let acc = 0;
    for (let i = 0; i < N_BUCKETS; i++) {
      const m = this.buckets[i];
      if (m > 0 && acc + m >= target) {
        // Interpolate inside the bucket (log scale).
        const f = Math.min(1, Math.max(0, (target - acc) / m));
        return edge(i) * Math.exp(f * LOG_GROWTH);
      }
      acc += m;
    }
    return edge(N_BUCKETS);
  }
}
