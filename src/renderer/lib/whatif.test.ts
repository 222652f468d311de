import { describe, expect, it } from 'vitest';
import { headline, judge } from './whatif.ts';

describe('what-if comparison in words', () => {
  it('judges by the metric, not by the sign', () => {
    expect(judge('latency p99', 2000, 400)).toMatchObject({ verdict: 'better', text: '5.0× lower' });
    expect(judge('score', 2000, 1900)).toMatchObject({ verdict: 'worse', text: '5 % lower' });
    expect(judge('score', 1000, 1300)).toMatchObject({ verdict: 'better', text: '30 % higher' });
    expect(judge('side-core-seconds', 10, 10.05).verdict).toBe('same');
  });

  it('headlines the whole session’s trade-off', () => {
    const h = headline({
      base: { sessionId: 'a', policy: 'iocm' },
      other: { sessionId: 'b', policy: 'vhost' },
      rows: [
        { metric: 'score', phase: 'steady', base: 1, other: 2, unit: '' },
        { metric: 'score', phase: 'total', base: 2000, other: 1900, unit: '' },
        { metric: 'latency p99', phase: 'total', base: 2000, other: 400, unit: 'µs' },
        { metric: 'side-core-seconds', phase: 'total', base: 10, other: 0, unit: 's' },
      ],
    });
    expect(h.text).toBe('vhost vs iocm: score 5 % lower, p99 5.0× lower, side-core time 100 % lower');
    expect(h.parts.map((p) => p.change.verdict)).toEqual(['worse', 'better', 'better']);
  });
});
