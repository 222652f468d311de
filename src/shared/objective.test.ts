import { describe, it, expect } from 'vitest';
import { assembleSnapshot } from './host-snapshot.ts';
import { observabilityOf, observe, TRUTH_KEYS } from './observe.ts';
import { observedObjective, progressUnit } from './objective.ts';
import type { HostSnapshot } from './snapshot.ts';

const lat = { p50: 10, p99: 20, p999: 30 };
const cyc = (guest: number) => ({ guest, exit: 0, io: 0, emptyPoll: 0, ctxSwitch: 0, idle: 2e8 - guest });

/** One stream VM (2 MB in the 100 ms interval), one web VM (300 requests), one batch VM (1.5e8 vCPU cycles run). */
function snap(truth: { score: number; load: number; wait: number; p99: number; phase: string }): HostSnapshot {
  return assembleSnapshot(
    {
      seq: 3, t: 400, intervalMs: 100, hz: 2e9, phase: truth.phase,
      cores: [{ id: 0, role: 'vm', cycles: cyc(1.5e8) }, { id: 1, role: 'side', cycles: cyc(0) }],
      sideCores: [{ coreId: 1, loops: 10, workCycles: 5e7, emptyPolls: 3, emptyPollCycles: 1.5e8, queues: [0, 1] }],
      queues: [
        { id: 0, vm: 0, device: 0, kind: 'net', owner: 1, polling: true, kicks: 0, polls: 9, emptyPolls: 1, requests: 2000, bytes: 2e6, pending: 0, waitCycles: truth.wait, interrupts: 5, workCycles: 3e7 },
        { id: 1, vm: 1, device: 0, kind: 'net', owner: 1, polling: true, kicks: 0, polls: 9, emptyPolls: 1, requests: 300, bytes: 3e4, pending: 2, waitCycles: truth.wait, interrupts: 5, workCycles: 2e7 },
      ],
      vms: [
        { id: 0, name: 's-0', group: 'stream', requestsPerSec: 1, bytesPerSec: 1, guestCyclesPerSec: 1, latencyUs: { ...lat, p99: truth.p99 }, exitsPerSec: 0, interruptsPerSec: 50, vcpuRunCycles: 1e7, vcpuWaitCycles: 0, load: truth.load },
        { id: 1, name: 'w-0', group: 'web', requestsPerSec: 1, bytesPerSec: 1, guestCyclesPerSec: 1, latencyUs: lat, exitsPerSec: 0, interruptsPerSec: 50, vcpuRunCycles: 1e7, vcpuWaitCycles: 0, load: truth.load },
        { id: 2, name: 'b-0', group: 'batch', requestsPerSec: 0, bytesPerSec: 0, guestCyclesPerSec: 1, latencyUs: lat, exitsPerSec: 0, interruptsPerSec: 0, vcpuRunCycles: 1.5e8, vcpuWaitCycles: 5e7, load: truth.load },
      ],
      groups: [{ group: 'stream', requestsPerSec: 0, bytesPerSec: 0, guestCyclesPerSec: 0, latencyUs: lat, workRate: 0, score: truth.score }],
    },
    { requestsPerSec: 0, bytesPerSec: 0, exitsPerSec: 0, interruptsPerSec: 0, ctxSwitchesPerSec: 0, sideCores: 1, latencyUs: lat },
  );
}

const groups = [
  { name: 'stream', weight: 2, workload: 'net-stream' },
  { name: 'web', weight: 0.5, workload: 'web' },
  { name: 'batch', weight: 10, workload: 'cpu' },
];

describe('observed objective', () => {
  it('weights each group by its declared class: MB/s, requests/s, vCPU Gcycles/s', () => {
    const v = observe(snap({ score: 1, load: 1, wait: 0, p99: 1, phase: 'a' }), observabilityOf('qemu'));
    // stream: 2e6 B / 0.1 s = 20 MB/s × 2; web: 300 / 0.1 s = 3000 req/s × 0.5; batch: 1.5e8 / 0.1 s = 1.5 Gcycles/s × 10.
    expect(observedObjective(v, groups)).toBeCloseTo(40 + 1500 + 15, 9);
    expect([progressUnit('blk'), progressUnit('kv'), progressUnit('cpu')]).toEqual(['MB/s', 'req/s', 'Gcycles/s']);
  });

  it('does not move with any truth field (score, offered load, queue wait, guest latency, phase)', () => {
    const a = observe(snap({ score: 1, load: 1, wait: 0, p99: 1, phase: 'a' }), observabilityOf('full'));
    const b = observe(snap({ score: 999, load: 0.2, wait: 1e9, p99: 5000, phase: 'b' }), observabilityOf('full'));
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(observedObjective(b, groups)).toBe(observedObjective(a, groups));
  });

  it("the view has none of the truth keys, and VM rates come from the devices' counters", () => {
    const v = observe(snap({ score: 1, load: 1, wait: 0, p99: 1, phase: 'a' }), observabilityOf('full'));
    const keys = new Set<string>();
    const walk = (x: unknown): void => {
      if (!x || typeof x !== 'object') return;
      for (const [k, y] of Object.entries(x)) {
        keys.add(k);
        walk(y);
      }
    };
    walk(v);
    for (const k of TRUTH_KEYS) expect(keys.has(k), k).toBe(false);
    expect(v.vms[0].bytesPerSec).toBe(2e7);
    expect(v.vms[1].requestsPerSec).toBe(3000);
    expect(v.totals.requestsPerSec).toBe(23000);
  });
});

describe('observe with VM ids that have gaps (a real host whose VMs come and go)', () => {
  it("sums each VM's device counters by id, not by position", () => {
    const s = snap({ score: 1, load: 1, wait: 0, p99: 1, phase: 'a' });
    // VM 0 left; VMs 1 and 2 keep their ids (now at positions 0 and 1), as a real source keeps them.
    s.vms = s.vms.slice(1);
    s.queues = [{ ...s.queues[1] }];
    const v = observe(s, observabilityOf('qemu'));
    expect(v.vms.map((x) => x.id)).toEqual([1, 2]);
    expect(v.vms[0].requestsPerSec).toBeCloseTo(3000);
    expect(v.vms[0].bytesPerSec).toBeCloseTo(3e5);
    expect(v.vms[1].requestsPerSec).toBe(0);
  });
});
