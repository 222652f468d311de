import { describe, it, expect } from 'vitest';
import { createHostModel } from './index.ts';
import { fitCosts } from './calibrate.ts';
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
    expect(byte?.reason).toMatch(/collinear .*held at the model's 0\.02/);
    expect(cal.costs.blkByteCycles).toBeUndefined();
    // The blk work the written block predicts (with the model's per-byte cost) is the work measured.
    let measured = 0;
    let predicted = 0;
    for (const s of snaps) {
      for (const q of s.queues) {
        if (q.kind !== 'blk') continue;
        measured += q.workCycles;
        predicted += cal.costs.batchCycles! * (q.polls - q.emptyPolls) + cal.costs.blkRequestCycles! * q.requests + COST_DEFAULTS.blkByteCycles * q.bytes;
      }
    }
    expect(measured).toBeGreaterThan(0);
    expect(Math.abs(predicted - measured) / measured).toBeLessThan(0.02);
  });
});
