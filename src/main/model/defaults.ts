/**
 * Defaults of the host model: every workload parameter per kind
 * (WORKLOAD_DEFAULTS), every cost parameter (COST_DEFAULTS, with units), and
 * applyDefaults(), which returns a scenario with everything filled in.
 * Sources of each number: docs/model.md.
 */
import type { Scenario, WorkloadKind, WorkloadSpec, VmGroupSpec, CostOverrides } from '../../shared/scenario.ts';

/** A workload with every parameter resolved. `rate` is null for closed-loop workloads. */
export interface ResolvedWorkload {
  kind: WorkloadKind;
  rate: number | null;
  flows: number;
  depth: number;
  requestBytes: number;
  responseBytes: number;
  guestCyclesPerRequest: number;
  thinkUs: number;
  readFraction: number;
  deviceLatencyUs: number;
  queueSpread: 'round-robin' | 'hash';
}

/** Per workload kind, the default of every WorkloadSpec field (docs/model.md, "Workloads"). */
export const WORKLOAD_DEFAULTS: Readonly<Record<WorkloadKind, Readonly<Omit<ResolvedWorkload, 'kind'>>>> = {
  'net-stream': {
    rate: null, flows: 1, depth: 64, requestBytes: 65536, responseBytes: 0, guestCyclesPerRequest: 40000,
    thinkUs: 0, readFraction: 0, deviceLatencyUs: 0, queueSpread: 'round-robin',
  },
  'net-rr': {
    rate: null, flows: 1, depth: 1, requestBytes: 1, responseBytes: 1, guestCyclesPerRequest: 20000,
    thinkUs: 0, readFraction: 0, deviceLatencyUs: 0, queueSpread: 'round-robin',
  },
  kv: {
    rate: null, flows: 16, depth: 1, requestBytes: 100, responseBytes: 1024, guestCyclesPerRequest: 15000,
    thinkUs: 0, readFraction: 0, deviceLatencyUs: 0, queueSpread: 'round-robin',
  },
  web: {
    rate: null, flows: 8, depth: 1, requestBytes: 300, responseBytes: 16384, guestCyclesPerRequest: 150000,
    thinkUs: 0, readFraction: 0, deviceLatencyUs: 0, queueSpread: 'round-robin',
  },
  blk: {
    rate: null, flows: 1, depth: 32, requestBytes: 4096, responseBytes: 4096, guestCyclesPerRequest: 12000,
    thinkUs: 0, readFraction: 1, deviceLatencyUs: 10, queueSpread: 'round-robin',
  },
  cpu: {
    rate: null, flows: 1, depth: 1, requestBytes: 0, responseBytes: 0, guestCyclesPerRequest: 0,
    thinkUs: 0, readFraction: 0, deviceLatencyUs: 0, queueSpread: 'round-robin',
  },
};

/** Cost parameters with their units; every one may be overridden by name in `host.costs`. */
export interface CostParams {
  /** Direct cost of a VM exit and re-entry, cycles. */
  exitDirectCycles: number;
  /** Indirect cost of an exit (cache/TLB pollution) charged on the same core, cycles. */
  exitIndirectCycles: number;
  /** Side-core mode: deliver completion interrupts exitless (posted/ELI-like) instead of by exit. */
  exitlessInterrupts: boolean;
  /** Cost on the guest core of an exitless (posted) interrupt, cycles. */
  exitlessInterruptCycles: number;
  /** Host context switch between threads on a core, cycles. */
  ctxSwitchCycles: number;
  /** Wake-up latency of a blocked thread (kick → I/O thread runnable; interrupt → halted vCPU runnable), µs. */
  wakeupLatencyUs: number;
  /** Host scheduler time slice: a running thread yields after this long if a queued one has less vruntime, µs. */
  timeSliceUs: number;
  /** Wake-up preemption: a woken thread preempts a running vCPU whose vruntime exceeds its own by more than this, µs. */
  wakeupGranularityUs: number;
  /** Vruntime credit a sleeping thread keeps when it wakes (CFS sleeper fairness), µs. */
  sleeperCreditUs: number;
  /**
   * Host work per net request (vhost-net packet handling incl. vring access), cycles. The same on
   * both paths: a side core runs the same per-request code as a notified I/O thread; what differs
   * (exit, wake-up, context switch) is charged separately where it happens.
   */
  netRequestCycles: number;
  /** Host work per net byte (copy), cycles/byte. */
  netByteCycles: number;
  /** Host work per blk I/O (virtio-blk request handling and submission), the same on both paths, cycles. */
  blkRequestCycles: number;
  /** Host work per blk byte, cycles/byte. */
  blkByteCycles: number;
  /** Host fixed cost per processed batch (ring access, used-ring update), cycles. */
  batchCycles: number;
  /** Side core: cycles of one poll of a queue that finds it empty. */
  emptyPollCycles: number;
  /** Side core: per-queue budget, requests per visit. */
  pollBudgetRequests: number;
  /** Side core / I/O thread: per-queue budget, bytes per visit. */
  pollBudgetBytes: number;
  /** Guest: maximum guest work in one vCPU run before it posts what it produced, cycles. */
  guestChunkCycles: number;
  /** Reconfiguration: a moved queue is paused this long, µs. */
  queueMovePauseUs: number;
  /** Reconfiguration: cycles charged on the side core that receives a queue. */
  queueMoveCycles: number;
  /** Reconfiguration: cycles charged to a vCPU or I/O thread re-pinned to another core (cache refill, migration). */
  migrationCycles: number;
  /** blk device service time jitter: uniform ± this fraction of deviceLatencyUs. */
  deviceJitter: number;
  /** Guest work and think time per request vary uniformly by ± this fraction (per run segment / per flow batch). */
  guestWorkJitter: number;
  /** CPU the I/O core manager itself uses, µs per second of host time (charged when the manager is on). */
  managerUsPerSecond: number;
}

/** Default costs (sources in docs/model.md, "Costs"; ranges and sources in COST_SOURCES). */
export const COST_DEFAULTS: Readonly<CostParams> = {
  exitDirectCycles: 2000,
  exitIndirectCycles: 2000,
  exitlessInterrupts: false,
  exitlessInterruptCycles: 300,
  ctxSwitchCycles: 5000,
  wakeupLatencyUs: 4,
  timeSliceUs: 3000,
  wakeupGranularityUs: 1000,
  sleeperCreditUs: 3000,
  netRequestCycles: 750,
  netByteCycles: 0.5,
  blkRequestCycles: 2500,
  blkByteCycles: 0.02,
  batchCycles: 400,
  emptyPollCycles: 150,
  pollBudgetRequests: 64,
  pollBudgetBytes: 524288,
  guestChunkCycles: 1000000,
  queueMovePauseUs: 200,
  queueMoveCycles: 200000,
  migrationCycles: 100000,
  deviceJitter: 0.2,
  guestWorkJitter: 0.2,
  managerUsPerSecond: 2800,
};

/** Where a cost's default comes from. */
export type CostBasis = 'published' | 'kernel-default' | 'inferred' | 'model';

/** The source of one cost parameter: its plausible range, the basis of the default, and the citation. */
export interface CostSource {
  /** Plausible range [low, high] in the parameter's unit (sensitivity varies the cost over it). */
  range: readonly [number, number];
  /** published: a measured figure; kernel-default: a documented default; inferred: derived, reasoning given; model: a granularity of the model, not a cost. */
  basis: CostBasis;
  /** Citation (value, hardware, conditions) or the inference. One line. */
  source: string;
}

/**
 * Every numeric cost parameter's range and source (docs/model.md, "Costs" carries the same table; a
 * test keeps them in sync). Boolean switches (exitlessInterrupts) have no range.
 */
export const COST_SOURCES: Readonly<Record<Exclude<keyof CostParams, 'exitlessInterrupts'>, CostSource>> = {
  exitDirectCycles: {
    range: [2000, 2528], basis: 'published',
    source: 'SplitX (Landau et al., Xeon X5570 2.93 GHz, KVM): ~2,000 cycles direct; KVM on AMD: 2,528 cycles guest exit round trip (LKML 2020)',
  },
  exitIndirectCycles: {
    range: [0, 20000], basis: 'inferred',
    source: 'SplitX: indirect costs (cache/TLB pollution) "can be an order of magnitude higher" than the direct ~2,000: range 0..10x; default 1x the direct cost',
  },
  exitlessInterruptCycles: {
    range: [100, 1000], basis: 'inferred',
    source: 'ELI (ASPLOS 2012): exitless delivery reaches 97-100 % of bare metal, so the guest-side cost is a small fraction of an exit; 100-1,000 cycles',
  },
  ctxSwitchCycles: {
    range: [2500, 6250], basis: 'published',
    source: 'LKML 2017 idle-poll patch: ~2.5 us per context switch inside a VM (6,250 cycles at 2.5 GHz), ~1.2 us with idle polling; host switch taken as ~2 us',
  },
  wakeupLatencyUs: {
    range: [1.2, 10], basis: 'inferred',
    source: 'IPI + scheduler wake path: LKML 2017 idle-poll patch measures 2.5 us vs 1.2 us for a switch with/without polling; a few us',
  },
  timeSliceUs: {
    range: [750, 6000], basis: 'kernel-default',
    source: 'CFS base slice 0.75 ms x (1 + log2 8 CPUs) = 3 ms (Linux sched_latency 6 ms / min_granularity 0.75 ms)',
  },
  wakeupGranularityUs: {
    range: [500, 4000], basis: 'kernel-default',
    source: 'CFS sched_wakeup_granularity 1 ms base (Linux default)',
  },
  sleeperCreditUs: {
    range: [0, 6000], basis: 'kernel-default',
    source: 'CFS places sleepers at min_vruntime - sched_latency/2 = 3 ms (Linux default, GENTLE_FAIR_SLEEPERS)',
  },
  netRequestCycles: {
    range: [670, 2600], basis: 'published',
    source: 'vhost_net datacopy TX, guest testpmd 64 B to tap XDP_DROP: 3.1 -> 3.9 Mpps per vhost thread on i7-5600U 2.6 GHz (Jason Wang, 2018: 840 -> 670 cycles/pkt); guest pktgen over mlx4: ~1.0 Mpps (2017) = upper end',
  },
  netByteCycles: {
    range: [0.25, 0.6], basis: 'published',
    source: 'vhost-net TCP_STREAM with poll-us 100: 37.6 Gbit/s with the vhost thread at 100 % (Tonghao Zhang, 2018): 4.7 GB/s per core = 0.53 cycles/byte at 2.5 GHz; a core copies ~10 GB/s (0.25) at best',
  },
  blkRequestCycles: {
    range: [600, 8000], basis: 'inferred',
    source: 'low: SPDK vfio-user 4.3 M IOPS per core (~580 cycles at 2.5 GHz); QEMU virtio-blk in an IOThread (request parsing, io_uring/aio submission and completion) costs several times that: inferred 2,500',
  },
  blkByteCycles: {
    range: [0, 0.25], basis: 'inferred',
    source: 'O_DIRECT: the device DMAs, the host does not copy data (0); a bounce copy costs at most a core copy rate (~0.25 cycles/byte); 0.02 for cache effects of descriptor/page handling',
  },
  batchCycles: {
    range: [100, 1000], basis: 'inferred',
    source: 'used-ring update + event-idx check per batch; vhost_net batched used-ring updates saved ~170 cycles/pkt over per-packet updates (Jason Wang, 2018): a few hundred cycles per batch',
  },
  emptyPollCycles: {
    range: [50, 400], basis: 'inferred',
    source: 'one ring-index read: ~50 cycles when cached, ~100 ns (250-400 cycles) when the guest wrote the line; the dynamic-io-manager counts empty polls and their cycles but publishes no figure',
  },
  pollBudgetRequests: {
    range: [32, 256], basis: 'kernel-default',
    source: 'NAPI weight / VHOST_NET_BATCH 64 (Linux drivers/vhost/net.c); VHOST_NET_PKT_WEIGHT 256',
  },
  pollBudgetBytes: {
    range: [32768, 524288], basis: 'kernel-default',
    source: 'VHOST_NET_WEIGHT 0x80000 = 512 KiB per work item (Linux drivers/vhost/net.c); dynamic-io-manager budgets 8-512 KiB per visit',
  },
  guestChunkCycles: {
    range: [250000, 4000000], basis: 'model',
    source: 'model granularity (guest work per vCPU run before posting), not a cost',
  },
  queueMovePauseUs: {
    range: [50, 1000], basis: 'inferred',
    source: 'SidecoreM thesis: "a few ms per reconfiguration" in total; split between the pause and the cycles below is inferred',
  },
  queueMoveCycles: {
    range: [50000, 1000000], basis: 'inferred',
    source: 'SidecoreM thesis: a few ms of CPU per reconfiguration with ~10 queues (inferred split)',
  },
  migrationCycles: {
    range: [20000, 500000], basis: 'inferred',
    source: 'cache refill of a thread moved to another core (tens of us); inferred',
  },
  deviceJitter: {
    range: [0, 0.5], basis: 'inferred',
    source: 'NVMe service time spread around ~10 us at QD1; uniform +-20 % inferred',
  },
  guestWorkJitter: {
    range: [0, 0.5], basis: 'inferred',
    source: 'per-request guest work and peer turnaround vary (netperf TCP_RR 13-14 K trans/s run to run); uniform +-20 % inferred',
  },
  managerUsPerSecond: {
    range: [280, 2800], basis: 'published',
    source: 'SidecoreM thesis (Technion 2016): manager overhead 2,800 us per second (the seminar abstract says 280 us)',
  },
};

/** Host and device defaults that are not costs (sources in docs/model.md, "Device limits" and "Knobs"). */
export const HOST_DEFAULTS = {
  /** One 25GbE port (IEEE 802.3by), per direction. */
  nicGbps: 25,
  /** One NVMe drive: ~550 K IOPS (docs/model.md, "Device limits"). */
  blkMaxIops: 550000,
  /** PCIe 3.0 x4 NVMe: ~3.5 GB/s (3.94 GB/s raw link). */
  blkMaxMBps: 3500,
} as const;

/** The knobs with every default filled in (QEMU 7.2, Linux vhost-net, OVS 3.1 defaults). */
export interface ResolvedKnobs {
  pollMaxNs: number;
  pollGrow: number;
  pollShrink: number;
  vhostPollUs: number;
  pmdMaxSleepUs: number;
}

/** Defaults of the knobs: QEMU `poll-max-ns` 32768, `poll-grow` 0, `poll-shrink` 0; vhost `poll-us` 0; OVS `pmd-maxsleep` 0. */
export const KNOB_DEFAULTS: Readonly<ResolvedKnobs> = {
  pollMaxNs: 32768, pollGrow: 0, pollShrink: 0, vhostPollUs: 0, pmdMaxSleepUs: 0,
};

/** Resolve a scenario's knobs; unknown names and bad values are refused. */
export function resolveKnobs(k: Partial<ResolvedKnobs> | undefined): ResolvedKnobs {
  const out: ResolvedKnobs = { ...KNOB_DEFAULTS };
  if (!k) return out;
  for (const [name, v] of Object.entries(k)) {
    if (v === undefined) continue;
    if (!Object.hasOwn(KNOB_DEFAULTS, name)) throw new Error(`host.knobs.${name}: unknown knob (known: ${Object.keys(KNOB_DEFAULTS).join(', ')})`);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`host.knobs.${name}: expected a number ≥ 0, got ${JSON.stringify(v)}`);
    (out as unknown as Record<string, number>)[name] = v;
  }
  return out;
}

/** Units of each cost parameter (for docs and UIs). */
export const COST_UNITS: Readonly<Record<keyof CostParams, string>> = {
  exitDirectCycles: 'cycles', exitIndirectCycles: 'cycles', exitlessInterrupts: 'boolean',
  exitlessInterruptCycles: 'cycles', ctxSwitchCycles: 'cycles', wakeupLatencyUs: 'µs', timeSliceUs: 'µs',
  wakeupGranularityUs: 'µs', sleeperCreditUs: 'µs', netRequestCycles: 'cycles', netByteCycles: 'cycles/byte', blkRequestCycles: 'cycles',
  blkByteCycles: 'cycles/byte', batchCycles: 'cycles', emptyPollCycles: 'cycles', pollBudgetRequests: 'requests',
  pollBudgetBytes: 'bytes', guestChunkCycles: 'cycles', queueMovePauseUs: 'µs', queueMoveCycles: 'cycles',
  migrationCycles: 'cycles', deviceJitter: 'fraction', guestWorkJitter: 'fraction', managerUsPerSecond: 'µs/s',
};

const WORKLOAD_KINDS: readonly WorkloadKind[] = ['net-stream', 'net-rr', 'kv', 'web', 'blk', 'cpu'];

/** Resolve a workload's parameters against the defaults of its kind. */
export function resolveWorkload(w: WorkloadSpec): ResolvedWorkload {
  const d = WORKLOAD_DEFAULTS[w.kind];
  if (!d) throw new Error(`unknown workload kind '${String(w.kind)}' (expected one of ${WORKLOAD_KINDS.join(', ')})`);
  return {
    kind: w.kind,
    rate: w.rate ?? d.rate,
    flows: w.flows ?? d.flows,
    depth: w.depth ?? d.depth,
    requestBytes: w.requestBytes ?? d.requestBytes,
    responseBytes: w.responseBytes ?? d.responseBytes,
    guestCyclesPerRequest: w.guestCyclesPerRequest ?? d.guestCyclesPerRequest,
    thinkUs: w.thinkUs ?? d.thinkUs,
    readFraction: w.readFraction ?? d.readFraction,
    deviceLatencyUs: w.deviceLatencyUs ?? d.deviceLatencyUs,
    queueSpread: w.queueSpread ?? d.queueSpread,
  };
}

/** Resolve a scenario's cost overrides; unknown names and wrong types are refused. */
export function resolveCosts(overrides: CostOverrides | undefined): CostParams {
  const out: CostParams = { ...COST_DEFAULTS };
  if (!overrides) return out;
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    if (!Object.hasOwn(COST_DEFAULTS, name)) {
      throw new Error(`host.costs.${name}: unknown cost parameter (known: ${Object.keys(COST_DEFAULTS).join(', ')})`);
    }
    const def = (COST_DEFAULTS as unknown as Record<string, unknown>)[name];
    if (typeof def === 'boolean') {
      if (typeof value !== 'boolean') throw new Error(`host.costs.${name}: expected a boolean, got ${JSON.stringify(value)}`);
    } else if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new Error(`host.costs.${name}: expected a non-negative number, got ${JSON.stringify(value)}`);
    }
    (out as unknown as Record<string, unknown>)[name] = value;
  }
  if (out.emptyPollCycles <= 0) throw new Error('host.costs.emptyPollCycles: must be > 0');
  if (out.timeSliceUs <= 0) throw new Error('host.costs.timeSliceUs: must be > 0');
  if (out.pollBudgetRequests < 1) throw new Error('host.costs.pollBudgetRequests: must be ≥ 1');
  if (out.guestChunkCycles <= 0) throw new Error('host.costs.guestChunkCycles: must be > 0');
  return out;
}

/** The scenario with extra cost overrides merged over its host.costs (a new object; the input is not changed). */
export function withCosts(sc: Scenario, costs: CostOverrides | undefined): Scenario {
  if (!costs || Object.keys(costs).length === 0) return sc;
  return { ...sc, host: { ...sc.host, costs: { ...(sc.host.costs ?? {}), ...costs } } };
}

/**
 * Return a copy of the scenario with every default filled in: each group's
 * weight, device queue counts and every workload parameter (closed-loop
 * workloads keep `rate` absent), and host.costs with every cost parameter.
 */
export function applyDefaults(scenario: Scenario): Scenario {
  const costs = resolveCosts(scenario.host.costs);
  return {
    ...scenario,
    host: { ...scenario.host, nicGbps: scenario.host.nicGbps ?? HOST_DEFAULTS.nicGbps, knobs: resolveKnobs(scenario.host.knobs), costs: { ...costs } },
    vms: scenario.vms.map((g): VmGroupSpec => {
      const w = resolveWorkload(g.workload);
      const { rate, ...rest } = w;
      const workload: WorkloadSpec = rate === null ? rest : { ...rest, rate };
      return {
        ...g,
        weight: g.weight ?? 1,
        devices: g.devices.map((d) => (d.kind === 'blk'
          ? { kind: d.kind, queues: d.queues ?? 1, maxIops: d.maxIops ?? HOST_DEFAULTS.blkMaxIops, maxMBps: d.maxMBps ?? HOST_DEFAULTS.blkMaxMBps }
          : { kind: d.kind, queues: d.queues ?? 1 })),
        workload,
      };
    }),
    phases: scenario.phases.map((p) => ({ ...p, load: { ...p.load } })),
  };
}

/** Largest side-core count worth sweeping on a host of `cores` cores (≈ 3/8 of the cores, ≥ 1, ≤ cores − 1). */
export function maxSideCores(cores: number): number {
  return Math.max(1, Math.min(cores - 1, Math.round(cores * 0.375)));
}

/** Most vCPUs a scenario may have in total (Σ count × vcpus). */
export const MAX_TOTAL_VCPUS = 65536;
/** Most virtqueues a scenario may have in total (Σ count × queues over every device). */
export const MAX_TOTAL_QUEUES = 16384;

function fail(path: string, msg: string): never {
  throw new Error(`scenario ${path}: ${msg}`);
}

/**
 * Most open-loop requests per second one VM may offer: above any real host's (a 100 GbE port carries
 * at most 148.8 M minimum-size packets/s), and a bound on the model's events per simulated second,
 * since it simulates each request (a recording with absurd counters inferred a rate of 1e301, and its
 * what-if never finished).
 */
export const MAX_RATE_PER_VM = 2e8;

/** Longest scenario and phase name: the agent protocol's and import's bound on names. */
const MAX_NAME = 200;
/** Longest VM group name: its VMs are named `<group>-<n>`, which must fit MAX_NAME. */
const MAX_GROUP_NAME = 128;

/**
 * Refuse input the model cannot run, with a clear message naming the field.
 * (The loader validates JSON shape; this guards the model against impossible values.)
 */
export function checkScenario(s: Scenario): void {
  if (!s || typeof s !== 'object') fail('', 'expected an object');
  if (typeof s.name === 'string' && s.name.length > MAX_NAME) fail('name', `at most ${MAX_NAME} characters, got ${s.name.length}`);
  if (!s.host) fail('host', 'missing');
  const { cores, ghz } = s.host;
  if (!Number.isInteger(cores) || cores < 2) fail('host.cores', `expected an integer ≥ 2 (one VM core and one possible side core), got ${String(cores)}`);
  if (cores > 1024) fail('host.cores', `at most 1024 supported, got ${cores}`);
  if (typeof ghz !== 'number' || !(ghz > 0) || ghz > 10) fail('host.ghz', `expected a clock rate in GHz in (0, 10], got ${String(ghz)}`);
  const nic = s.host.nicGbps;
  if (nic !== undefined && (typeof nic !== 'number' || !(nic > 0) || !Number.isFinite(nic))) fail('host.nicGbps', `expected a line rate in Gbit/s > 0, got ${String(nic)}`);
  resolveKnobs(s.host.knobs);
  if (!Array.isArray(s.vms) || s.vms.length === 0) fail('vms', 'expected at least one VM group');
  const names = new Set<string>();
  let totalVms = 0;
  let totalVcpus = 0;
  let totalQueues = 0;
  s.vms.forEach((g, i) => {
    const p = `vms[${i}]`;
    if (typeof g.name !== 'string' || g.name === '') fail(`${p}.name`, 'expected a non-empty string');
    // Names reach every snapshot (a VM is `<group>-<n>`) and the agent protocol and import take names
    // of at most 200 characters: a longer one would make a recording that cannot be imported.
    if (g.name.length > MAX_GROUP_NAME) fail(`${p}.name`, `at most ${MAX_GROUP_NAME} characters, got ${g.name.length}`);
    if (names.has(g.name)) fail(`${p}.name`, `duplicate group name '${g.name}'`);
    names.add(g.name);
    if (!Number.isInteger(g.count) || g.count < 1) fail(`${p}.count`, `expected an integer ≥ 1, got ${String(g.count)}`);
    if (!Number.isInteger(g.vcpus) || g.vcpus < 1 || g.vcpus > 256) fail(`${p}.vcpus`, `expected an integer in 1..256, got ${String(g.vcpus)}`);
    totalVms += g.count;
    totalVcpus += g.count * g.vcpus;
    if (g.weight !== undefined && (typeof g.weight !== 'number' || !(g.weight >= 0) || !Number.isFinite(g.weight))) fail(`${p}.weight`, `expected a number ≥ 0, got ${String(g.weight)}`);
    if (!Array.isArray(g.devices)) fail(`${p}.devices`, 'expected an array');
    g.devices.forEach((d, j) => {
      if (d.kind !== 'net' && d.kind !== 'blk') fail(`${p}.devices[${j}].kind`, `expected 'net' or 'blk', got ${String(d.kind)}`);
      if (d.queues !== undefined && (!Number.isInteger(d.queues) || d.queues < 1 || d.queues > 64)) fail(`${p}.devices[${j}].queues`, `expected an integer in 1..64, got ${String(d.queues)}`);
      totalQueues += g.count * (d.queues ?? 1);
      for (const f of ['maxIops', 'maxMBps'] as const) {
        const v = d[f];
        if (v !== undefined && (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v))) fail(`${p}.devices[${j}].${f}`, `expected a number > 0, got ${String(v)}`);
      }
    });
    if (!g.workload || !WORKLOAD_KINDS.includes(g.workload.kind)) fail(`${p}.workload.kind`, `expected one of ${WORKLOAD_KINDS.join(', ')}, got ${String(g.workload?.kind)}`);
    const w = resolveWorkload(g.workload);
    const need = w.kind === 'blk' ? 'blk' : w.kind === 'cpu' ? null : 'net';
    if (need && !g.devices.some((d) => d.kind === need)) fail(`${p}.devices`, `a '${w.kind}' workload needs a ${need} device`);
    const num = (field: keyof ResolvedWorkload, v: number, min: number, integer = false): void => {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (integer && !Number.isInteger(v))) {
        fail(`${p}.workload.${field}`, `expected ${integer ? 'an integer' : 'a number'} ≥ ${min}, got ${String(v)}`);
      }
    };
    if (w.rate !== null) {
      num('rate', w.rate, 0);
      if (w.rate > MAX_RATE_PER_VM) fail(`${p}.workload.rate`, `at most ${MAX_RATE_PER_VM} requests/s per VM (a 100 GbE port's minimum-size packets are 148.8 M/s; the model simulates each request), got ${w.rate}`);
    }
    num('flows', w.flows, 1, true);
    num('depth', w.depth, 1, true);
    if (w.flows * w.depth > 100000) fail(`${p}.workload`, `flows × depth must be ≤ 100000, got ${w.flows * w.depth}`);
    num('requestBytes', w.requestBytes, 0);
    num('responseBytes', w.responseBytes, 0);
    num('guestCyclesPerRequest', w.guestCyclesPerRequest, 0);
    num('thinkUs', w.thinkUs, 0);
    num('deviceLatencyUs', w.deviceLatencyUs, 0);
    if (!(w.readFraction >= 0 && w.readFraction <= 1)) fail(`${p}.workload.readFraction`, `expected a number in 0..1, got ${String(w.readFraction)}`);
  });
  if (totalVms > 4096) fail('vms', `at most 4096 VMs supported, got ${totalVms}`);
  // The model preallocates per vCPU and per (core × virtqueue): bound both so memory stays bounded.
  if (totalVcpus > MAX_TOTAL_VCPUS) fail('vms', `at most ${MAX_TOTAL_VCPUS} vCPUs in total (Σ count × vcpus) supported, got ${totalVcpus}`);
  if (totalQueues > MAX_TOTAL_QUEUES) fail('vms', `at most ${MAX_TOTAL_QUEUES} virtqueues in total (Σ count × queues over devices) supported, got ${totalQueues}`);
  if (!Array.isArray(s.phases)) fail('phases', 'expected an array');
  s.phases.forEach((ph, i) => {
    if (typeof ph.name !== 'string') fail(`phases[${i}].name`, 'expected a string');
    if (ph.name.length > MAX_NAME) fail(`phases[${i}].name`, `at most ${MAX_NAME} characters, got ${ph.name.length}`);
    if (typeof ph.seconds !== 'number' || !(ph.seconds > 0) || !Number.isFinite(ph.seconds)) fail(`phases[${i}].seconds`, `expected a number > 0, got ${String(ph.seconds)}`);
    for (const [gname, v] of Object.entries(ph.load ?? {})) {
      if (!names.has(gname)) fail(`phases[${i}].load.${gname}`, `no VM group named '${gname}'`);
      if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) fail(`phases[${i}].load.${gname}`, `expected a multiplier ≥ 0, got ${String(v)}`);
    }
  });
  resolveCosts(s.host.costs);
}
