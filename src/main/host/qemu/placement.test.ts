import { describe, expect, it } from 'vitest';
import { checkSideCores, spreadSideThreads, tasksetAffinity, vmCoresOf } from './placement.ts';

describe('checkSideCores', () => {
  it('accepts sets that leave a VM core', () => {
    expect(checkSideCores(2, [])).toBeNull();
    expect(checkSideCores(2, [1])).toBeNull();
    expect(checkSideCores(8, [5, 6, 7])).toBeNull();
  });
  it('never leaves the VMs without a core', () => {
    expect(checkSideCores(2, [0, 1])).toMatch(/no core for the VMs/);
    expect(checkSideCores(1, [0])).toMatch(/at least one VM core/);
  });
  it('refuses cores that do not exist, duplicates and non-integers', () => {
    expect(checkSideCores(2, [2])).toMatch(/core 2 does not exist.*0–1/);
    expect(checkSideCores(4, [1, 1])).toMatch(/twice/);
    expect(checkSideCores(4, [1.5])).toMatch(/does not exist/);
    expect(checkSideCores(4, ['1' as unknown as number])).toMatch(/does not exist/);
    expect(checkSideCores(4, null as unknown as number[])).toMatch(/list/);
  });
  it('VM cores are the rest', () => {
    expect(vmCoresOf(4, [1, 3])).toEqual([0, 2]);
    expect(vmCoresOf(2, [])).toEqual([0, 1]);
  });
});

describe('spreadSideThreads', () => {
  it('spreads by measured CPU, busiest first, onto the least-loaded side core', () => {
    const p = spreadSideThreads(
      [
        { key: 'a|io0', cyclesPerSec: 9e8 },
        { key: 'b|io0', cyclesPerSec: 5e8 },
        { key: 'c|io0', cyclesPerSec: 4e8 },
        { key: 'd|io0', cyclesPerSec: 1e8 },
      ],
      [2, 3],
    );
    expect(Object.fromEntries(p)).toEqual({ 'a|io0': 2, 'b|io0': 3, 'c|io0': 3, 'd|io0': 2 });
  });
  it('keeps pinned threads where they were asked to run and counts their load', () => {
    const p = spreadSideThreads(
      [
        { key: 'a', cyclesPerSec: 9e8, pinned: 3 },
        { key: 'b', cyclesPerSec: 1e8 },
      ],
      [2, 3],
    );
    expect(p.get('a')).toBe(3);
    expect(p.get('b')).toBe(2);
  });
  it('ignores a pin to a core that is no longer a side core; ties keep the current core', () => {
    const p = spreadSideThreads([{ key: 'a', cyclesPerSec: 0, pinned: 1 }], [2, 3], new Map([['a', 3]]));
    expect(p.get('a')).toBe(3);
    expect(spreadSideThreads([{ key: 'a', cyclesPerSec: 1 }], []).size).toBe(0);
  });
});

describe('tasksetAffinity', () => {
  it('sets and reads back the affinity of a real thread (this process), and says false for a thread that does not exist', async () => {
    const set = tasksetAffinity();
    const { readFileSync } = await import('node:fs');
    const { parseTaskStatus } = await import('./procfs.ts');
    const mine = () => parseTaskStatus(readFileSync(`/proc/${process.pid}/task/${process.pid}/status`, 'utf8'))!.cpusAllowed;
    const orig = mine();
    try {
      expect(await set(process.pid, [orig[0]])).toBe(true);
      expect(mine()).toEqual([orig[0]]);
    } finally {
      await set(process.pid, orig);
    }
    expect(mine()).toEqual(orig);
    expect(await set(2 ** 22 + 12345, [0])).toBe(false);
    await expect(set(process.pid, [])).rejects.toThrow(/without a core/);
    await expect(tasksetAffinity('/nonexistent/taskset')(process.pid, [0])).rejects.toThrow(/not installed/);
  });
});
