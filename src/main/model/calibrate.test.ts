import { describe, it, expect } from 'vitest';
import { createHostModel } from './index.ts';
import { fitCosts, nnls, collinearity, COLLINEAR_CONDITION_INDEX } from './calibrate.ts';
import { COST_DEFAULTS } from './defaults.ts';
import type { Scenario } from '../../shared/scenario.ts';
import type { HostSnapshot } from '../../shared/snapshot.ts';

describe('fitCosts with collinear columns', () => {
  it('holds a per-byte cost it cannot separate at the model value, so the written block does not charge it twice', () => {
    // One blk block size (64 KiB reads): the per-I/O and per-byte columns move together. Left to
    // itself the per-I/O cost absorbs 65,536 × blkByteCycles, and a model run with the written block
    // (which keeps the model's own per-byte cost) charges that share twice.
    const scenario: Scenario = {
      name: 'one-size',
      host: { cores: 10, ghz: 2.5, costs: { blkRequestCycles: 3200 } },
      vms: [
        { name: 'read', count: 3, vcpus: 1, devices: [{ kind: 'blk' }], workload: { kind: 'blk', depth: 8, responseBytes: 65536 } },
        { name: 'kv', count: 2, vcpus: 1, devices: [{ kind: 'net' }], workload: { kind: 'kv' } },
        { name: 'web', count: 2, vcpus: 1, devices: [{ kind: 'net' }], workload: { kind: 'web', thinkUs: 200 } },
      ],
      phases: [{ name: 'a', seconds: 1, load: {} }, { name: 'b', seconds: 1, load: { read: 0.5, kv: 0.3 } }],
    };
    const m = createHostModel(scenario, { seed: 3 });
    const snaps: HostSnapshot[] = [];
    for (let i = 0; i < 30; i++) {
      if (i === 10) m.apply({ kind: 'setSideCores', cores: [0] });
      snaps.push(m.step());
    }
    const cal = fitCosts(snaps);
    const byte = cal.fitted.find((f) => f.name === 'blkByteCycles');
    expect(byte?.value).toBeNull();
    expect(byte?.reason).toMatch(/collinear .*held at the model's default 0\.02/);
    expect(cal.costs.blkByteCycles).toBeUndefined();
    // The blk work the written block predicts (with the model's own value for each held cost) is the work measured.
    const cost = (name: 'batchCycles' | 'blkRequestCycles' | 'blkByteCycles'): number => cal.costs[name] ?? cal.fitted.find((f) => f.name === name)!.held ?? COST_DEFAULTS[name];
    let measured = 0;
    let predicted = 0;
    for (const s of snaps) {
      for (const q of s.queues) {
        if (q.kind !== 'blk') continue;
        measured += q.workCycles;
        predicted += cost('batchCycles') * (q.polls - q.emptyPolls) + cost('blkRequestCycles') * q.requests + cost('blkByteCycles') * q.bytes;
      }
    }
    expect(measured).toBeGreaterThan(0);
    expect(Math.abs(predicted - measured) / measured).toBeLessThan(0.02);
  });
});

describe('fitCosts over a stream', () => {
  it('reads each snapshot once, as it comes, and keeps none: a stream that reuses one object fits as the array does', () => {
    const scenario: Scenario = {
      name: 'stream',
      host: { cores: 8, ghz: 2.5 },
      vms: [
        { name: 'kv', count: 2, vcpus: 1, devices: [{ kind: 'net' }], workload: { kind: 'kv' } },
        { name: 'web', count: 2, vcpus: 1, devices: [{ kind: 'net' }], workload: { kind: 'web', thinkUs: 200 } },
        { name: 'read', count: 1, vcpus: 1, devices: [{ kind: 'blk' }], workload: { kind: 'blk', depth: 8 } },
      ],
      phases: [{ name: 'a', seconds: 1, load: {} }, { name: 'b', seconds: 1, load: { kv: 0.4, read: 0.5 } }],
    };
    const m = createHostModel(scenario, { seed: 2, observe: 'full' });
    const snaps: HostSnapshot[] = [];
    for (let i = 0; i < 40; i++) {
      if (i === 15) m.apply({ kind: 'setSideCores', cores: [0] });
      snaps.push(m.step());
    }
    // One object, overwritten with the next snapshot each time the fit asks for one: a fit that kept
    // what it was given (collected the stream first) would see 40 copies of the last snapshot.
    const shared = {} as HostSnapshot;
    let pulled = 0;
    function* stream(): Generator<HostSnapshot> {
      for (const s of snaps) {
        for (const k of Object.keys(shared)) delete (shared as unknown as Record<string, unknown>)[k];
        Object.assign(shared, structuredClone(s));
        pulled++;
        yield shared;
      }
    }
    const fromStream = fitCosts(stream());
    expect(pulled).toBe(snaps.length);
    expect(fromStream).toEqual(fitCosts(snaps));
    expect(Object.keys(fromStream.costs).length).toBeGreaterThan(3);
  });
});

describe('nnls and collinearity', () => {
  it('keeps every coefficient ≥ 0 by solving the constrained problem, not by clamping the unconstrained one', () => {
    // Unconstrained: b = (1, −1). Constrained: b2 = 0 and b1 minimises (1 − b1)² + 1 + b1², so 0.5 (a clamp would keep 1).
    const fit = nnls([[1, 0], [0, 1], [1, 1]], [1, -1, 0]);
    expect(fit.b[0]).toBeCloseTo(0.5, 12);
    expect(fit.b[1]).toBe(0);
    expect(fit.se[1]).toBeNull();
    expect(fit.se[0]).toBeGreaterThan(0);
  });

  it('gives the ordinary least-squares solution and standard errors when no bound is active', () => {
    // y = 2 x1 + 3 x2 + e with e orthogonal to both columns: b is exact, se² = s² (XᵀX)⁻¹.
    const rows = [[1, 0], [0, 1], [1, 1], [1, -1]];
    const e = [1, 1, -1, 0]; // Xᵀe = 0
    const y = rows.map((r, i) => 2 * r[0] + 3 * r[1] + e[i]);
    const fit = nnls(rows, y);
    expect(fit.b[0]).toBeCloseTo(2, 12);
    expect(fit.b[1]).toBeCloseTo(3, 12);
    // XᵀX = [[3, 0], [0, 3]], s² = 3 / (4 − 2)
    expect(fit.se[0]).toBeCloseTo(Math.sqrt(1.5 / 3), 12);
  });

  it('measures collinearity by the condition index of unit-length columns', () => {
    expect(collinearity([[1, 0], [0, 1], [1, 1]], [0, 1]).conditionIndex).toBeCloseTo(Math.sqrt(3), 9);
    expect(collinearity([[1, 2], [2, 4], [3, 6]], [0, 1]).conditionIndex).toBe(Number.POSITIVE_INFINITY);
    // Two columns equal up to 1 part in 10⁴ per row: far above the threshold, and both involved.
    const near = collinearity([[1000, 1000], [2000, 2001], [3000, 2999], [4000, 4000]], [0, 1]);
    expect(near.conditionIndex).toBeGreaterThan(COLLINEAR_CONDITION_INDEX);
    expect(near.proportions.every((p) => p > 0.5)).toBe(true);
  });
});
