import { describe, it, expect } from 'vitest';
import { workRate, groupScore, hostScore, workRateUnit } from './score.ts';

describe('score', () => {
  const s = { requestsPerSec: 1000, bytesPerSec: 5e6, guestCyclesPerSec: 3e9 };
  it('uses requests/s for request workloads, MB/s for streams and blk, Gcycles/s for cpu', () => {
    expect(workRate('net-rr', s)).toBe(1000);
    expect(workRate('kv', s)).toBe(1000);
    expect(workRate('web', s)).toBe(1000);
    expect(workRate('net-stream', s)).toBe(5);
    expect(workRate('blk', s)).toBe(5);
    expect(workRate('cpu', s)).toBe(3);
    expect(workRateUnit('blk')).toBe('MB/s');
    expect(workRateUnit('cpu')).toBe('Gcycles/s');
    expect(workRateUnit('kv')).toBe('req/s');
  });
  it('weights groups and sums them', () => {
    expect(groupScore('cpu', 10, s)).toBe(30);
    expect(hostScore([{ score: 1 }, { score: 2.5 }])).toBe(3.5);
  });
});
