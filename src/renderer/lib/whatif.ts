/**
 * What-if comparison in words (pure): whether a change is better or worse depends on the metric
 * (higher score is better; lower latency and fewer side-core-seconds are better), and a one-line
 * headline of the trade-off on the whole session ("vhost: p99 5× lower, score 5 % lower").
 */
import type { Comparison } from '../../shared/api.ts';

/** Direction in which a metric improves. */
export function betterWhen(metric: string): 'higher' | 'lower' {
  return metric === 'score' ? 'higher' : 'lower';
}

/** A change judged by its metric. */
export interface Change {
  /** Relative change other vs base (NaN when base is 0). */
  rel: number;
  verdict: 'better' | 'worse' | 'same';
  /** "5× lower", "12 % higher", "same". */
  text: string;
}

/** Judge `other` against `base` for `metric` (within 1 % counts as the same). */
export function judge(metric: string, base: number, other: number): Change {
  if (!(Math.abs(base) > 0)) return { rel: NaN, verdict: other === base ? 'same' : 'worse', text: other === base ? 'same' : 'from 0' };
  const rel = (other - base) / Math.abs(base);
  if (Math.abs(rel) < 0.01) return { rel, verdict: 'same', text: 'about the same' };
  const up = rel > 0;
  const ratio = up ? other / base : base / other;
  const text = ratio >= 2 && Number.isFinite(ratio) ? `${ratio >= 10 ? ratio.toFixed(0) : ratio.toFixed(1)}× ${up ? 'higher' : 'lower'}` : `${Math.abs(rel * 100).toFixed(0)} % ${up ? 'higher' : 'lower'}`;
  const good = betterWhen(metric) === 'higher' ? up : !up;
  return { rel, verdict: good ? 'better' : 'worse', text };
}

const SHORT: Record<string, string> = { score: 'score', 'latency p99': 'p99', 'latency p50': 'p50', 'side-core-seconds': 'side-core time' };

/** The trade-off on the whole session, in words, e.g. "vhost vs iocm: p99 5× lower, score 5 % lower". */
export function headline(c: Comparison): { text: string; parts: { metric: string; change: Change }[] } {
  const total = c.rows.filter((r) => r.phase === 'total');
  const rows = total.length ? total : c.rows;
  const parts = ['score', 'latency p99', 'side-core-seconds']
    .map((m) => rows.find((r) => r.metric === m))
    .filter((r): r is Comparison['rows'][number] => !!r)
    .map((r) => ({ metric: r.metric, change: judge(r.metric, r.base, r.other) }));
  const text = `${c.other.policy} vs ${c.base.policy}: ` + parts.map((p) => `${SHORT[p.metric] ?? p.metric} ${p.change.text}`).join(', ');
  return { text, parts };
}
