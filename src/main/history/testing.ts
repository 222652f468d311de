/**
 * Test support: a small deterministic generator of synthetic HostSnapshots and
 * events (no host model needed), used by the history tests, the crash/full-disk
 * child process and bench/history.ts. Values are plausible, not modelled.
 */
import type { HostSnapshot, CoreStats, QueueStats, VmStats, GroupStats, SideCoreStats } from '../../shared/snapshot.ts';
import type { HostEvent } from '../../shared/policy.ts';
import { assembleSnapshot } from '../../shared/host-snapshot.ts';

/** Shape of the synthetic host. */
export interface SyntheticHost {
  cores: number;
  vms: number;
  /** Queues per VM (one net device with this many queues); default 1. */
  queuesPerVm?: number;
  /** VM groups (VMs are dealt round-robin); default ['web', 'kv']. */
  groups?: string[];
  intervalMs: number;
  seed?: number;
  /** Phase names, each lasting `phaseMs`. */
  phases?: string[];
  phaseMs?: number;
}

/** A xorshift32 PRNG in [0, 1). */
export function prng(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

/** Generates snapshot seq 0, 1, 2, ... for a synthetic host, deterministically from its seed. */
export class SyntheticHostGen {
  readonly host: Required<SyntheticHost>;
  private rnd: () => number;
  private seq = 0;

  constructor(host: SyntheticHost) {
    this.host = {
      queuesPerVm: 1,
      groups: ['web', 'kv'],
      seed: 1,
      phases: ['ramp', 'peak', 'calm'],
      phaseMs: 10_000,
      ...host,
    };
    this.rnd = prng(this.host.seed);
  }

  /** Side-core count at time t (changes every 7 phases' worth of time / 3, to exercise layout changes). */
  sideCountAt(t: number): number {
    return 1 + (Math.floor(t / (this.host.phaseMs * 0.7)) % 3);
  }

  /** Phase name at time t. */
  phaseAt(t: number): string {
    const p = this.host.phases;
    return p[Math.floor(t / this.host.phaseMs) % p.length];
  }

  /** Load multiplier of a group at time t. */
  loadAt(group: string, t: number): number {
    const pi = Math.floor(t / this.host.phaseMs) % this.host.phases.length;
    return [0.5, 1, 0.25, 2][(pi + group.length) % 4];
  }

  /** The next snapshot. */
  next(): HostSnapshot {
    const h = this.host;
    const r = this.rnd;
    const seq = this.seq++;
    const t = (seq + 1) * h.intervalMs;
    const hz = 2.4e9;
    const cyc = (hz * h.intervalMs) / 1000;
    const nSide = Math.min(this.sideCountAt(t), h.cores - 1);
    const sideIds: number[] = [];
    for (let i = 0; i < nSide; i++) sideIds.push(h.cores - 1 - i);
    sideIds.sort((a, b) => a - b);
    const cores: CoreStats[] = [];
    for (let c = 0; c < h.cores; c++) {
      const side = sideIds.includes(c);
      const io = Math.round(cyc * (side ? 0.3 + 0.3 * r() : 0.05 * r()));
      const emptyPoll = side ? Math.round(cyc * 0.2 * r()) : 0;
      const guest = side ? 0 : Math.round(cyc * (0.4 + 0.3 * r()));
      const exit = side ? 0 : Math.round(cyc * 0.05 * r());
      const ctxSwitch = Math.round(cyc * 0.01 * r());
      const idle = Math.max(0, cyc - io - emptyPoll - guest - exit - ctxSwitch);
      cores.push({ id: c, role: side ? 'side' : 'vm', cycles: { guest, exit, io, emptyPoll, ctxSwitch, idle } });
    }
    const queues: QueueStats[] = [];
    const vms: VmStats[] = [];
    let qid = 0;
    for (let v = 0; v < h.vms; v++) {
      const group = h.groups[v % h.groups.length];
      const load = this.loadAt(group, t);
      for (let q = 0; q < h.queuesPerVm; q++) {
        const owner = nSide > 0 ? sideIds[qid % nSide] : null;
        const requests = Math.round(1000 * load * (0.5 + r()));
        queues.push({
          id: qid++,
          vm: v,
          device: 0,
          kind: 'net',
          owner,
          polling: owner !== null,
          kicks: owner === null ? requests : Math.round(requests * 0.05),
          polls: Math.round(requests * 1.5),
          emptyPolls: Math.round(requests * 0.5 * r()),
          requests,
          bytes: requests * 1500,
          pending: Math.floor(8 * r()),
          waitCycles: Math.round(requests * 2000 * r()),
          interrupts: Math.round(requests * 0.8),
          workCycles: Math.round(requests * 3000),
        });
      }
      const rps = (10_000 * load * (0.8 + 0.4 * r())) / 1;
      const p50 = 20 + 30 * r();
      vms.push({
        id: v,
        name: `${group}-${v}`,
        group,
        requestsPerSec: rps,
        bytesPerSec: rps * 1500,
        guestCyclesPerSec: 1e9 * (0.5 + r()),
        latencyUs: { p50, p99: p50 * (2 + r()), p999: p50 * (4 + 2 * r()) },
        exitsPerSec: rps * 0.1,
        interruptsPerSec: rps * 0.8,
        vcpuRunCycles: Math.round(cyc * (0.5 + 0.5 * r())),
        vcpuWaitCycles: Math.round(cyc * 0.1 * r()),
        load,
      });
    }
    const groups: GroupStats[] = h.groups.map((g) => {
      const mine = vms.filter((v) => v.group === g);
      const rps = mine.reduce((s, v) => s + v.requestsPerSec, 0);
      return {
        group: g,
        requestsPerSec: rps,
        bytesPerSec: rps * 1500,
        guestCyclesPerSec: mine.reduce((s, v) => s + v.guestCyclesPerSec, 0),
        latencyUs: { p50: mine[0]?.latencyUs.p50 ?? 0, p99: mine[0]?.latencyUs.p99 ?? 0, p999: mine[0]?.latencyUs.p999 ?? 0 },
        workRate: rps,
        score: rps,
      };
    });
    const sideCores: SideCoreStats[] = sideIds.map((c) => ({
      coreId: c,
      loops: Math.round(1e5 * r()),
      workCycles: cores[c].cycles.io,
      emptyPolls: Math.round(1e4 * r()),
      emptyPollCycles: cores[c].cycles.emptyPoll,
      queues: queues.filter((q) => q.owner === c).map((q) => q.id),
    }));
    const rps = vms.reduce((s, v) => s + v.requestsPerSec, 0);
    // Score and cycle totals follow from the parts, as in the model's snapshots.
    return assembleSnapshot({ seq, t, intervalMs: h.intervalMs, hz, phase: this.phaseAt(t), cores, sideCores, queues, vms, groups }, {
      requestsPerSec: rps,
      bytesPerSec: rps * 1500,
      exitsPerSec: rps * 0.1,
      interruptsPerSec: rps * 0.8,
      ctxSwitchesPerSec: 1000 * r(),
      sideCores: nSide,
      latencyUs: { p50: 30 * (0.5 + r()), p99: 90 * (0.5 + r()), p999: 200 * (0.5 + r()) },
    });
  }
}

/** A synthetic event at time t (every 10th is an override, others decisions). */
export function syntheticEvent(t: number, i: number): HostEvent {
  if (i % 10 === 9) return { t, source: 'operator', kind: 'override', message: `pin core ${i % 4}`, data: { core: i % 4 } };
  return {
    t,
    source: 'policy',
    kind: 'decision',
    message: `stay: score within 1% (${i})`,
    data: { policy: 'iocm', decision: { kind: 'stay', actions: [], reason: 'close', metrics: { score: i } }, applied: [] },
  };
}
