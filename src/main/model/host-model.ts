/**
 * The host model: a discrete-event simulation of one virtualized host serving
 * paravirtual I/O, in vhost mode (per-device I/O threads on the VM cores,
 * notified by kicks) or side-core mode (dedicated cores polling virtqueues).
 *
 * Time is in CPU cycles of the host clock. All state lives in preallocated
 * typed arrays; the event queue is a binary heap on typed arrays; the hot
 * loop allocates nothing and uses no closures or promises. Requests travel in
 * batches (a ring entry is an arrival time and a count), so a vCPU run, an
 * I/O-thread run or a side-core visit handles many requests in one event,
 * while each batch keeps its own timestamps for queueing and latency.
 * Mechanisms and costs are documented in docs/model.md.
 */
import type { Scenario, WorkloadKind } from '../../shared/scenario.ts';
import type { ControlAction, ControlResult, HostConfig, HostInfo, KnobAction } from '../../shared/control.ts';
import type {
  CoreStats, GroupStats, HostSnapshot, LatencyStats, QueueStats, SideCoreStats, VmStats,
} from '../../shared/snapshot.ts';
import type { HostModelApi, IntervalHistograms, ModelOptions } from './api.ts';
import { DEFAULT_PROFILE, OBSERVABILITY_PROFILE_NAMES, observabilityOf, type ObservabilityProfile } from '../../shared/observe.ts';
import { EventHeap } from './heap.ts';
import { Rng } from './rng.ts';
import { LatencyHistogram } from './histogram.ts';
import {
  checkScenario, HOST_DEFAULTS, resolveCosts, resolveKnobs, resolveWorkload, type CostParams, type ResolvedKnobs, type ResolvedWorkload,
} from './defaults.ts';
import { groupScore, workRate } from './score.ts';
import { assembleSnapshot } from './host-snapshot.ts';

// Event kinds (low 3 bits of the kind word; core events carry a token above).
const EV_WAKE = 1;
const EV_BLK = 2;
const EV_THINK = 3;
const EV_ARRIVAL = 4;
const EV_UNPAUSE = 5;
const EV_GATE = 6;

// Entity kinds and states.
const VCPU = 0;
const IOTHREAD = 1;
/** The I/O core manager's own thread (when on; docs/model.md, "Knobs"). */
const MANAGER = 2;
const BLOCKED = 0;
const RUNNABLE = 1;
const RUNNING = 2;
const WAKING = 3;

// Core roles and states.
const ROLE_VM = 0;
const ROLE_SIDE = 1;
const C_IDLE = 0;
const C_RUN = 1;
const C_SPIN = 2;
const C_VISIT = 3;

// Cycle categories (CoreCycles order).
const CAT_GUEST = 0;
const CAT_EXIT = 1;
const CAT_IO = 2;
const CAT_EPOLL = 3;
const CAT_CTX = 4;
/** A side core asleep (pmd-maxsleep): counted as idle in snapshots. */
const CAT_SLEEP = 5;
/** OVS resets a PMD's sleep when an iteration finds at least half a batch (16 packets) on a queue. */
const PMD_SLEEP_RESET_REQUESTS = 16;
const NCAT = 6;

// Workload kind codes.
const K_STREAM = 0;
const K_BLK = 4;
const K_CPU = 5;
const KIND_CODE: Record<WorkloadKind, number> = { 'net-stream': 0, 'net-rr': 1, kv: 2, web: 3, blk: 4, cpu: 5 };

/** Ring entries per virtqueue (batches; each batch may hold many requests). */
const RING_SLOTS = 256;
/** Completion / think FIFO entries per VM. */
const VM_FIFO_SLOTS = 512;
/** A side-core visit may serve up to this many queues in one event... */
const VISIT_MAX_QUEUES = 8;
/** ...while its accumulated host work stays below this many cycles (bounds the timing error of merging). */
const VISIT_MERGE_CYCLES = 20000;
/** Open-loop backlog cap per VM (requests waiting for guest CPU). */
const OPEN_LOOP_BACKLOG = 100000;
/** Closed loops below load 1 alternate on/off with this period (µs); the on share is the load (docs/model.md, "Load"). */
const GATE_PERIOD_US = 2000;
/** A net batch whose wire time ends within this many µs of its processing completes at once (no event). */
const WIRE_INLINE_US = 8;
/** A VM's wire share is a token bucket this many µs deep: a light flow's batch goes at line rate. */
const WIRE_BURST_US = 50;

/** Why a knob value is refused, or null. */
function knobError(name: string, v: unknown, max: number): string | null {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > max) return `${name} must be a number in 0..${max}, got ${JSON.stringify(v)}`;
  return null;
}

/** Create a host model for a scenario (see HostModel). */
export function createHostModel(scenario: Scenario, options: ModelOptions): HostModel {
  return new HostModel(scenario, options);
}

/**
 * A discrete-event model of one virtualized host; implements HostModelApi
 * (and so HostControl). Refuses impossible scenarios with an Error.
 */
export class HostModel implements HostModelApi {
  declare private readonly scenario: Scenario;
  declare private readonly costs: CostParams;
  declare private readonly seed: number;
  declare private readonly rng: Rng;
  private readonly heap = new EventHeap(4096);
  declare private readonly hz: number;
  declare private readonly intervalMs: number;
  declare private readonly intervalCycles: number;
  declare private readonly cyclesPerUs: number;
  declare private readonly nCores: number;

  // Derived costs in cycles.
  declare private readonly exitCycles: number;
  declare private readonly eliCycles: number;
  declare private readonly ctxCycles: number;
  declare private readonly wakeCycles: number;
  declare private readonly sliceCycles: number;
  declare private readonly wakeGranCycles: number;
  declare private readonly sleeperCycles: number;
  declare private readonly pollCycles: number;
  declare private readonly pauseCycles: number;
  declare private readonly gateCycles: number;
  declare private readonly wireInlineCycles: number;
  declare private readonly wireBurstCycles: number;
  declare private readonly workJitter: number;
  /** NIC line rate per direction, bytes per cycle. */
  declare private readonly nicBytesPerCycle: number;

  private now = 0;
  private stepIndex = 0;
  private events = 0;
  /** Events processed per kind (0 core, 1 wake, 2 blk, 3 think, 4 arrival, 5 unpause), for benchmarks and tuning. */
  readonly eventKinds = new Float64Array(8);
  private loadOverride: Record<string, number> | null = null;
  private readonly phaseStarts: number[] = [];
  declare private readonly phaseTotal: number;

  // Cores.
  declare private readonly coreRole: Uint8Array;
  declare private readonly coreState: Uint8Array;
  /**
   * Each core has at most one pending event (the end of its current segment or a
   * side core's next poll). They live outside the heap in a tournament tree
   * (min over cores, O(log cores) update), so rescheduling or cancelling a
   * core's event is in place and leaves nothing stale behind.
   */
  declare private readonly coreNext: Float64Array;
  declare private readonly coreTree: Int32Array;
  declare private readonly treeLeaves: number;
  declare private readonly coreCur: Int32Array;
  declare private readonly segStart: Float64Array;
  declare private readonly p0End: Float64Array;
  declare private readonly p1End: Float64Array;
  declare private readonly p2End: Float64Array;
  declare private readonly cat0: Uint8Array;
  declare private readonly cat1: Uint8Array;
  declare private readonly cat2: Uint8Array;
  declare private readonly charged: Float64Array;
  declare private readonly cyc: Float64Array;
  declare private readonly runStart: Float64Array;
  /** The VM cores' shared run queue (unordered; the scheduler picks the lowest vruntime). */
  declare private readonly rqBuf: Int32Array;
  private rqLen = 0;
  /** Scheduler's minimum vruntime (monotonic). */
  private minVrt = 0;
  // In-service batch per core (I/O thread run or side-core visit).
  declare private readonly svcQ: Int32Array;
  declare private readonly svcN: Int32Array;
  declare private readonly svcTimes: Float64Array;
  declare private readonly svcCounts: Float64Array;
  declare private readonly svcCap: number;
  // Side cores.
  declare private readonly sideList: Int32Array;
  declare private readonly sideN: Int32Array;
  declare private readonly sidePos: Int32Array;
  declare private readonly spinStart: Float64Array;
  declare private readonly spinPos: Int32Array;
  declare private readonly sideOwed: Float64Array;
  declare private readonly sideLoops: Float64Array;
  declare private readonly sideEmptyPolls: Float64Array;
  /** pmd-maxsleep: each side core's current sleep step (µs) at the start of its spin. */
  declare private readonly sideSleepUs: Float64Array;
  /** Results of spinAt(): polls done and cycles slept from a spin's start up to a time. */
  private spinPolls = 0;
  private spinSlept = 0;
  private sideCores: number[] = [];
  private vmCoreList: number[] = [];
  /** VM cores as a typed array, and each core's index in it (-1 for side cores). */
  private vmCoreArr: Int32Array = new Int32Array(0);
  declare private readonly vmCoreIdx: Int32Array;

  // Entities (vCPUs then I/O threads).
  declare private readonly nEnt: number;
  declare private readonly nVcpu: number;
  declare private readonly entKind: Uint8Array;
  declare private readonly entVm: Int32Array;
  declare private readonly entDev: Int32Array;
  declare private readonly entCore: Int32Array;
  declare private readonly entState: Uint8Array;
  declare private readonly entRemaining: Float64Array;
  declare private readonly entSegReq: Float64Array;
  declare private readonly entOwedExit: Float64Array;
  declare private readonly entOwedCtx: Float64Array;
  declare private readonly entRunnableSince: Float64Array;
  declare private readonly entVrt: Float64Array;
  /** I/O thread: polling its queues after running out of work (QEMU aio_poll / vhost busyloop). */
  declare private readonly entPolling: Uint8Array;
  /** I/O thread: when its current idle period (poll, then block) began — QEMU's block_ns runs from here. */
  declare private readonly entIdleSince: Float64Array;
  /** blk I/O thread: the adaptive poll window in ns (QEMU AioContext poll_ns). */
  declare private readonly entPollNs: Float64Array;
  /** Number of I/O threads polling now. */
  private nPolling = 0;
  /** The knobs in force (host.knobs, changed by control actions). */
  declare private readonly knobs: ResolvedKnobs;
  /** The manager's thread (entity id) and state: on, and the side core it runs on (-1: floats over VM cores). */
  declare private readonly mgrEnt: number;
  private mgrOn = false;
  private mgrCore = -1;

  // VMs.
  declare private readonly nVm: number;
  private readonly vmNames: string[] = [];
  declare private readonly vmGroup: Int32Array;
  declare private readonly vmKind: Uint8Array;
  declare private readonly vmVcpu0: Int32Array;
  declare private readonly vmVcpus: Int32Array;
  declare private readonly vmQ0: Int32Array;
  declare private readonly vmQN: Int32Array;
  declare private readonly vmQList: Int32Array;
  declare private readonly vmQrr: Int32Array;
  declare private readonly vmHash: Uint8Array;
  declare private readonly vmGuestCyc: Float64Array;
  declare private readonly vmBytesPerReq: Float64Array;
  declare private readonly vmHostCycPerReq: Float64Array;
  declare private readonly vmMaxBatch: Float64Array;
  declare private readonly vmChunkN: Float64Array;
  declare private readonly vmChunkMax: Float64Array;
  declare private readonly vmThinkCyc: Float64Array;
  declare private readonly vmDevLatCyc: Float64Array;
  declare private readonly vmRate: Float64Array;
  /**
   * NIC, per VM and direction (tx = requestBytes, rx = responseBytes): bytes per request, this
   * interval's share of the line rate (bytes/cycle), when the VM's wire queue is busy until, and
   * the bytes sent this interval (for the next interval's shares). See wireShares().
   */
  declare private readonly vmTxBytes: Float64Array;
  declare private readonly vmRxBytes: Float64Array;
  declare private readonly vmTxShare: Float64Array;
  declare private readonly vmRxShare: Float64Array;
  declare private readonly vmTxFree: Float64Array;
  declare private readonly vmRxFree: Float64Array;
  declare private readonly vmTxSent: Float64Array;
  declare private readonly vmRxSent: Float64Array;
  /** Closed loop below load 1: gate on (clients active), gate events running, requests held while off. */
  declare private readonly vmGateOn: Uint8Array;
  declare private readonly vmGateRun: Uint8Array;
  declare private readonly vmHeld: Float64Array;
  declare private readonly vmPopulation: Float64Array;
  declare private readonly vmLoad: Float64Array;
  declare private readonly vmReady: Float64Array;
  declare private readonly vmPop: Float64Array;
  declare private readonly vmTarget: Float64Array;
  /** Per queue: a completion interrupt is pending (not yet handled by the guest). */
  declare private readonly qIrqPending: Uint8Array;
  declare private readonly vmArrivalOn: Uint8Array;
  declare private readonly cfTime: Float64Array;
  declare private readonly cfCount: Float64Array;
  declare private readonly cfHead: Int32Array;
  declare private readonly cfLen: Int32Array;
  declare private readonly thTime: Float64Array;
  declare private readonly thCount: Float64Array;
  declare private readonly thHead: Int32Array;
  declare private readonly thLen: Int32Array;
  private readonly vmHist: LatencyHistogram[] = [];
  // Per-interval VM counters.
  declare private readonly vmCompleted: Float64Array;
  declare private readonly vmGuestDone: Float64Array;
  declare private readonly vmExits: Float64Array;
  declare private readonly vmIrqs: Float64Array;
  declare private readonly vmRun: Float64Array;
  declare private readonly vmWait: Float64Array;

  // Devices.
  declare private readonly nDev: number;
  declare private readonly devVm: Int32Array;
  declare private readonly devQ0: Int32Array;
  declare private readonly devQN: Int32Array;
  declare private readonly devRr: Int32Array;
  declare private readonly devThread: Int32Array;
  declare private readonly devIndex: Int32Array;
  /** blk: device time per I/O at its IOPS/bandwidth ceiling (cycles), and when the device is busy until. */
  declare private readonly devCycPerIo: Float64Array;
  declare private readonly devFree: Float64Array;

  // Queues.
  declare private readonly nQ: number;
  declare private readonly qVm: Int32Array;
  declare private readonly qDev: Int32Array;
  declare private readonly qKind: Uint8Array;
  declare private readonly qOwner: Int32Array;
  declare private readonly qPolling: Uint8Array;
  declare private readonly qNotified: Uint8Array;
  declare private readonly qPausedUntil: Float64Array;
  declare private readonly qSideIdx: Int32Array;
  /** vCPU (entity id) that takes this queue's completion interrupts. */
  declare private readonly qIrqVcpu: Int32Array;
  declare private readonly ringTime: Float64Array;
  declare private readonly ringCount: Float64Array;
  declare private readonly ringHead: Int32Array;
  declare private readonly ringLen: Int32Array;
  declare private readonly qPending: Float64Array;
  declare private readonly dvDone: Float64Array;
  declare private readonly dvTime: Float64Array;
  declare private readonly dvCount: Float64Array;
  declare private readonly dvHead: Int32Array;
  declare private readonly dvLen: Int32Array;
  declare private readonly dvLast: Float64Array;
  // Per-interval queue counters.
  declare private readonly qKicks: Float64Array;
  declare private readonly qPolls: Float64Array;
  declare private readonly qEmptyPolls: Float64Array;
  declare private readonly qRequests: Float64Array;
  declare private readonly qWaitCycles: Float64Array;
  declare private readonly qInterrupts: Float64Array;
  declare private readonly qWork: Float64Array;
  private ctxSwitches = 0;

  // Groups.
  private readonly groups: { name: string; weight: number; kind: WorkloadKind; w: ResolvedWorkload; vms: number[] }[] = [];
  private readonly groupHist: LatencyHistogram[] = [];
  private readonly totalHist = new LatencyHistogram();
  /** The observability profile declared in info() (what a loop on this host may see). */
  declare private readonly observeProfile: ObservabilityProfile;

  constructor(scenario: Scenario, options: ModelOptions) {
    checkScenario(scenario);
    if (!options || typeof options.seed !== 'number' || !Number.isFinite(options.seed)) {
      throw new Error(`model options: seed must be a finite number, got ${String(options?.seed)}`);
    }
    const intervalMs = options.intervalMs ?? 100;
    if (!(intervalMs > 0) || !Number.isFinite(intervalMs)) throw new Error(`model options: intervalMs must be > 0, got ${String(intervalMs)}`);
    const profile = options.observe ?? DEFAULT_PROFILE;
    if (!OBSERVABILITY_PROFILE_NAMES.includes(profile)) throw new Error(`model options: observe must be one of ${OBSERVABILITY_PROFILE_NAMES.join(', ')}, got ${String(profile)}`);
    this.observeProfile = profile;
    this.scenario = scenario;
    this.seed = options.seed;
    this.rng = new Rng(options.seed);
    this.costs = resolveCosts(scenario.host.costs);
    const c = this.costs;
    this.hz = scenario.host.ghz * 1e9;
    this.cyclesPerUs = scenario.host.ghz * 1000;
    this.intervalMs = intervalMs;
    this.intervalCycles = (intervalMs / 1000) * this.hz;
    this.nCores = scenario.host.cores;
    this.exitCycles = c.exitDirectCycles + c.exitIndirectCycles;
    this.eliCycles = c.exitlessInterruptCycles;
    this.ctxCycles = c.ctxSwitchCycles;
    this.wakeCycles = c.wakeupLatencyUs * this.cyclesPerUs;
    this.sliceCycles = c.timeSliceUs * this.cyclesPerUs;
    this.wakeGranCycles = c.wakeupGranularityUs * this.cyclesPerUs;
    this.sleeperCycles = c.sleeperCreditUs * this.cyclesPerUs;
    this.pollCycles = c.emptyPollCycles;
    this.pauseCycles = c.queueMovePauseUs * this.cyclesPerUs;
    this.gateCycles = GATE_PERIOD_US * this.cyclesPerUs;
    this.wireInlineCycles = WIRE_INLINE_US * this.cyclesPerUs;
    this.wireBurstCycles = WIRE_BURST_US * this.cyclesPerUs;
    this.workJitter = c.guestWorkJitter;
    this.nicBytesPerCycle = ((scenario.host.nicGbps ?? HOST_DEFAULTS.nicGbps) * 1e9) / 8 / this.hz;

    let acc = 0;
    for (const p of scenario.phases) {
      this.phaseStarts.push(acc);
      acc += p.seconds;
    }
    this.phaseTotal = acc;

    // Count entities.
    let nVm = 0;
    let nVcpu = 0;
    let nDev = 0;
    let nQ = 0;
    for (const g of scenario.vms) {
      nVm += g.count;
      nVcpu += g.count * g.vcpus;
      nDev += g.count * g.devices.length;
      for (const d of g.devices) nQ += g.count * (d.queues ?? 1);
    }
    this.nVm = nVm;
    this.nVcpu = nVcpu;
    this.nDev = nDev;
    this.nQ = nQ;
    this.nEnt = nVcpu + nDev + 1;
    const N = this.nCores;
    const E = this.nEnt;

    this.coreRole = new Uint8Array(N);
    this.coreState = new Uint8Array(N);
    let leaves = 1;
    while (leaves < N) leaves *= 2;
    this.treeLeaves = leaves;
    this.coreNext = new Float64Array(leaves).fill(Infinity);
    this.coreTree = new Int32Array(2 * leaves);
    for (let i = 0; i < leaves; i++) this.coreTree[leaves + i] = i;
    for (let i = leaves - 1; i >= 1; i--) this.coreTree[i] = this.coreTree[2 * i];
    this.coreCur = new Int32Array(N).fill(-1);
    this.segStart = new Float64Array(N);
    this.p0End = new Float64Array(N);
    this.p1End = new Float64Array(N);
    this.p2End = new Float64Array(N);
    this.cat0 = new Uint8Array(N);
    this.cat1 = new Uint8Array(N);
    this.cat2 = new Uint8Array(N);
    this.charged = new Float64Array(N);
    this.cyc = new Float64Array(N * NCAT);
    this.runStart = new Float64Array(N);
    this.rqBuf = new Int32Array(E + 1);
    this.vmCoreIdx = new Int32Array(N);
    this.svcCap = (Math.max(1, Math.ceil(c.pollBudgetRequests)) + 1) * VISIT_MAX_QUEUES;
    this.svcQ = new Int32Array(N * this.svcCap);
    this.svcN = new Int32Array(N);
    this.svcTimes = new Float64Array(N * this.svcCap);
    this.svcCounts = new Float64Array(N * this.svcCap);
    this.sideList = new Int32Array(N * Math.max(1, nQ));
    this.sideN = new Int32Array(N);
    this.sidePos = new Int32Array(N);
    this.spinStart = new Float64Array(N);
    this.spinPos = new Int32Array(N);
    this.sideOwed = new Float64Array(N);
    this.sideLoops = new Float64Array(N);
    this.sideEmptyPolls = new Float64Array(N);
    this.sideSleepUs = new Float64Array(N);

    this.entKind = new Uint8Array(E);
    this.entVm = new Int32Array(E);
    this.entDev = new Int32Array(E).fill(-1);
    this.entCore = new Int32Array(E);
    this.entState = new Uint8Array(E);
    this.entRemaining = new Float64Array(E);
    this.entSegReq = new Float64Array(E);
    this.entOwedExit = new Float64Array(E);
    this.entOwedCtx = new Float64Array(E);
    this.entRunnableSince = new Float64Array(E);
    this.entVrt = new Float64Array(E);
    this.entPolling = new Uint8Array(E);
    this.entIdleSince = new Float64Array(E);
    this.entPollNs = new Float64Array(E);
    this.knobs = resolveKnobs(scenario.host.knobs);

    this.vmGroup = new Int32Array(nVm);
    this.vmKind = new Uint8Array(nVm);
    this.vmVcpu0 = new Int32Array(nVm);
    this.vmVcpus = new Int32Array(nVm);
    this.vmQ0 = new Int32Array(nVm);
    this.vmQN = new Int32Array(nVm);
    this.vmQList = new Int32Array(Math.max(1, nQ));
    this.vmQrr = new Int32Array(nVm);
    this.vmHash = new Uint8Array(nVm);
    this.vmGuestCyc = new Float64Array(nVm);
    this.vmBytesPerReq = new Float64Array(nVm);
    this.vmHostCycPerReq = new Float64Array(nVm);
    this.vmMaxBatch = new Float64Array(nVm);
    this.vmChunkN = new Float64Array(nVm);
    this.vmChunkMax = new Float64Array(nVm);
    this.vmThinkCyc = new Float64Array(nVm);
    this.vmDevLatCyc = new Float64Array(nVm);
    this.vmRate = new Float64Array(nVm);
    this.vmTxBytes = new Float64Array(nVm);
    this.vmRxBytes = new Float64Array(nVm);
    this.vmTxShare = new Float64Array(nVm);
    this.vmRxShare = new Float64Array(nVm);
    this.vmTxFree = new Float64Array(nVm);
    this.vmRxFree = new Float64Array(nVm);
    this.vmTxSent = new Float64Array(nVm).fill(-1);
    this.vmRxSent = new Float64Array(nVm).fill(-1);
    this.vmGateOn = new Uint8Array(nVm).fill(1);
    this.vmGateRun = new Uint8Array(nVm);
    this.vmHeld = new Float64Array(nVm);
    this.vmPopulation = new Float64Array(nVm);
    this.vmLoad = new Float64Array(nVm).fill(-1);
    this.vmReady = new Float64Array(nVm);
    this.vmPop = new Float64Array(nVm);
    this.vmTarget = new Float64Array(nVm);
    this.qIrqPending = new Uint8Array(Math.max(1, nQ));
    this.vmArrivalOn = new Uint8Array(nVm);
    this.cfTime = new Float64Array(nVm * VM_FIFO_SLOTS);
    this.cfCount = new Float64Array(nVm * VM_FIFO_SLOTS);
    this.cfHead = new Int32Array(nVm);
    this.cfLen = new Int32Array(nVm);
    this.thTime = new Float64Array(nVm * VM_FIFO_SLOTS);
    this.thCount = new Float64Array(nVm * VM_FIFO_SLOTS);
    this.thHead = new Int32Array(nVm);
    this.thLen = new Int32Array(nVm);
    this.vmCompleted = new Float64Array(nVm);
    this.vmGuestDone = new Float64Array(nVm);
    this.vmExits = new Float64Array(nVm);
    this.vmIrqs = new Float64Array(nVm);
    this.vmRun = new Float64Array(nVm);
    this.vmWait = new Float64Array(nVm);

    this.devVm = new Int32Array(nDev);
    this.devQ0 = new Int32Array(nDev);
    this.devQN = new Int32Array(nDev);
    this.devRr = new Int32Array(nDev);
    this.devThread = new Int32Array(nDev);
    this.devIndex = new Int32Array(nDev);
    this.devCycPerIo = new Float64Array(nDev);
    this.devFree = new Float64Array(nDev);

    this.qVm = new Int32Array(nQ);
    this.qDev = new Int32Array(nQ);
    this.qKind = new Uint8Array(nQ);
    this.qOwner = new Int32Array(nQ).fill(-1);
    this.qPolling = new Uint8Array(nQ).fill(1);
    this.qNotified = new Uint8Array(nQ);
    this.qPausedUntil = new Float64Array(nQ);
    this.qSideIdx = new Int32Array(nQ).fill(-1);
    this.qIrqVcpu = new Int32Array(nQ);
    this.ringTime = new Float64Array(nQ * RING_SLOTS);
    this.ringCount = new Float64Array(nQ * RING_SLOTS);
    this.ringHead = new Int32Array(nQ);
    this.ringLen = new Int32Array(nQ);
    this.qPending = new Float64Array(nQ);
    this.dvDone = new Float64Array(nQ * RING_SLOTS);
    this.dvTime = new Float64Array(nQ * RING_SLOTS);
    this.dvCount = new Float64Array(nQ * RING_SLOTS);
    this.dvHead = new Int32Array(nQ);
    this.dvLen = new Int32Array(nQ);
    this.dvLast = new Float64Array(nQ);
    this.qKicks = new Float64Array(nQ);
    this.qPolls = new Float64Array(nQ);
    this.qEmptyPolls = new Float64Array(nQ);
    this.qRequests = new Float64Array(nQ);
    this.qWaitCycles = new Float64Array(nQ);
    this.qInterrupts = new Float64Array(nQ);
    this.qWork = new Float64Array(nQ);

    // Build VMs, vCPUs, devices, queues.
    let vm = 0;
    let ent = 0;
    let dev = 0;
    let q = 0;
    let qListPos = 0;
    scenario.vms.forEach((g, gi) => {
      const w = resolveWorkload(g.workload);
      this.groups.push({ name: g.name, weight: g.weight ?? 1, kind: w.kind, w, vms: [] });
      this.groupHist.push(new LatencyHistogram());
      const kind = KIND_CODE[w.kind];
      const bytes = kind === K_BLK
        ? w.readFraction * w.responseBytes + (1 - w.readFraction) * w.requestBytes
        : w.requestBytes + w.responseBytes;
      const hostCyc = kind === K_BLK
        ? c.blkRequestCycles + c.blkByteCycles * bytes
        : c.netRequestCycles + c.netByteCycles * bytes;
      for (let i = 0; i < g.count; i++) {
        this.groups[gi].vms.push(vm);
        this.vmNames.push(`${g.name}-${i}`);
        this.vmGroup[vm] = gi;
        this.vmKind[vm] = kind;
        this.vmVcpus[vm] = g.vcpus;
        this.vmVcpu0[vm] = ent;
        this.vmHash[vm] = w.queueSpread === 'hash' ? 1 : 0;
        this.vmGuestCyc[vm] = w.guestCyclesPerRequest;
        this.vmBytesPerReq[vm] = bytes;
        this.vmHostCycPerReq[vm] = hostCyc;
        this.vmMaxBatch[vm] = Math.max(1, Math.min(Math.floor(c.pollBudgetRequests), Math.floor(c.pollBudgetBytes / Math.max(1, bytes))));
        // Guest work per vCPU run: up to guestChunkCycles, and at most a quarter of a closed loop's population (keeps the pipeline full).
        const chunk = w.guestCyclesPerRequest > 0 ? Math.floor(c.guestChunkCycles / w.guestCyclesPerRequest) : 64;
        this.vmChunkMax[vm] = Math.max(1, chunk);
        this.vmChunkN[vm] = this.vmChunkMax[vm];
        this.vmThinkCyc[vm] = w.thinkUs * this.cyclesPerUs;
        this.vmDevLatCyc[vm] = w.deviceLatencyUs * this.cyclesPerUs;
        this.vmRate[vm] = w.rate ?? 0;
        if (kind !== K_BLK && kind !== K_CPU) {
          this.vmTxBytes[vm] = w.requestBytes;
          this.vmRxBytes[vm] = w.responseBytes;
        }
        this.vmPopulation[vm] = w.rate === null ? w.flows * w.depth : 0;
        this.vmHist.push(new LatencyHistogram());
        for (let v = 0; v < g.vcpus; v++) {
          this.entKind[ent] = VCPU;
          this.entVm[ent] = vm;
          ent++;
        }
        this.vmQ0[vm] = qListPos;
        const need = kind === K_CPU ? -1 : kind === K_BLK ? 1 : 0;
        g.devices.forEach((d, di) => {
          const nq = d.queues ?? 1;
          this.devVm[dev] = vm;
          this.devQ0[dev] = q;
          this.devQN[dev] = nq;
          this.devIndex[dev] = di;
          if (d.kind === 'blk') {
            const iops = d.maxIops ?? HOST_DEFAULTS.blkMaxIops;
            const bw = (d.maxMBps ?? HOST_DEFAULTS.blkMaxMBps) * 1e6;
            this.devCycPerIo[dev] = Math.max(this.hz / iops, kind === K_BLK ? (bytes / bw) * this.hz : 0);
          }
          const dk = d.kind === 'blk' ? 1 : 0;
          for (let k = 0; k < nq; k++) {
            this.qVm[q] = vm;
            this.qDev[q] = dev;
            this.qKind[q] = dk;
            this.qIrqVcpu[q] = this.vmVcpu0[vm] + ((qListPos - this.vmQ0[vm]) % g.vcpus);
            if (dk === need) this.vmQList[qListPos++] = q;
            q++;
          }
          dev++;
        });
        this.vmQN[vm] = qListPos - this.vmQ0[vm];
        vm++;
      }
    });
    // I/O threads, one per device, after all vCPUs.
    for (let d = 0; d < nDev; d++) {
      const e = nVcpu + d;
      this.entKind[e] = IOTHREAD;
      this.entVm[e] = this.devVm[d];
      this.entDev[e] = d;
      this.devThread[d] = e;
    }
    this.mgrEnt = nVcpu + nDev;
    this.entKind[this.mgrEnt] = MANAGER;
    this.entVm[this.mgrEnt] = 0;
    // Initial placement: vhost mode, every core a VM core.
    this.vmCoreList = [];
    for (let i = 0; i < N; i++) this.vmCoreList.push(i);
    this.indexVmCores();
    this.nIdleVm = N;
    for (let e = 0; e < E; e++) this.entCore[e] = this.vmCoreList[e % N];
  }

  // ---------------------------------------------------------------- API

  /** Simulated time now, ms since start. */
  get nowMs(): number {
    return this.stepIndex * this.intervalMs;
  }

  /** Name of the phase in force now. */
  get phase(): string {
    return this.phaseAt(this.stepIndex * this.intervalMs);
  }

  /**
   * Model events processed so far: events from the heap, core events (segment ends, side-core
   * visits) from the tournament tree, and the events handled inline — a wake-up placed directly on
   * an idle core, and the poll that ends a side core's spin.
   */
  get eventsProcessed(): number {
    return this.events;
  }

  /** Static description of the host. */
  info(): HostInfo {
    const vms = [];
    for (let v = 0; v < this.nVm; v++) {
      vms.push({ id: v, name: this.vmNames[v], group: this.groups[this.vmGroup[v]].name, vcpus: this.vmVcpus[v] });
    }
    const queues = [];
    for (let q = 0; q < this.nQ; q++) {
      queues.push({ id: q, vm: this.qVm[q], device: this.devIndex[this.qDev[q]], kind: this.qKind[q] === 1 ? 'blk' as const : 'net' as const });
    }
    return {
      name: this.scenario.name,
      source: 'model',
      cores: this.nCores,
      hz: this.hz,
      intervalMs: this.intervalMs,
      vms,
      queues,
      groups: this.groups.map((g) => ({ name: g.name, weight: g.weight, workload: g.kind })),
      observability: observabilityOf(this.observeProfile),
    };
  }

  /** The I/O configuration in force. */
  config(): HostConfig {
    return {
      cores: this.nCores,
      sideCores: [...this.sideCores],
      queueOwner: Array.from(this.qOwner, (o) => (o < 0 ? null : o)),
      queuePolling: Array.from(this.qPolling, (p) => p === 1),
      knobs: { ...this.knobs, manager: { on: this.mgrOn, core: this.mgrCore < 0 ? null : this.mgrCore } },
    };
  }

  /** Override per-group loads (what-if re-runs) until cleared with null. */
  setLoads(loads: Record<string, number> | null): void {
    if (loads !== null) {
      for (const [name, v] of Object.entries(loads)) {
        if (!this.groups.some((g) => g.name === name)) throw new Error(`setLoads: no VM group named '${name}'`);
        if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) throw new Error(`setLoads: load of '${name}' must be a number ≥ 0, got ${String(v)}`);
      }
      this.loadOverride = { ...loads };
    } else {
      this.loadOverride = null;
    }
  }

  /** Apply one control action at the current event boundary. */
  apply(action: ControlAction | KnobAction): ControlResult {
    if (!action || typeof action !== 'object') return { ok: false, error: 'action must be an object' };
    switch (action.kind) {
      case 'setSideCores': {
        const cores = action.cores;
        if (!Array.isArray(cores)) return { ok: false, error: 'setSideCores: cores must be an array of core ids' };
        const seen = new Set<number>();
        for (const c of cores) {
          if (!Number.isInteger(c) || c < 0 || c >= this.nCores) return { ok: false, error: `setSideCores: core ${String(c)} does not exist (cores are 0..${this.nCores - 1})` };
          if (seen.has(c)) return { ok: false, error: `setSideCores: core ${c} listed twice` };
          seen.add(c);
        }
        if (seen.size > this.nCores - 1) return { ok: false, error: `setSideCores: at least one VM core must remain (asked for ${seen.size} side cores on ${this.nCores} cores)` };
        const costCycles = this.reconfigure([...seen].sort((a, b) => a - b));
        if (this.checking) this.checkInvariants('setSideCores');
        return { ok: true, costCycles };
      }
      case 'assignQueue': {
        const { queue, core } = action;
        if (!Number.isInteger(queue) || queue < 0 || queue >= this.nQ) return { ok: false, error: `assignQueue: queue ${String(queue)} does not exist (queues are 0..${this.nQ - 1})` };
        if (!Number.isInteger(core) || core < 0 || core >= this.nCores || this.coreRole[core] !== ROLE_SIDE) {
          return { ok: false, error: `assignQueue: core ${String(core)} is not a side core (side cores: ${this.sideCores.length ? this.sideCores.join(', ') : 'none'})` };
        }
        return { ok: true, costCycles: this.moveQueue(queue, core) };
      }
      case 'setPolling': {
        const { queue, on } = action;
        if (!Number.isInteger(queue) || queue < 0 || queue >= this.nQ) return { ok: false, error: `setPolling: queue ${String(queue)} does not exist (queues are 0..${this.nQ - 1})` };
        if (typeof on !== 'boolean') return { ok: false, error: 'setPolling: on must be true or false' };
        this.setPollingNow(queue, on);
        return { ok: true, costCycles: 0 };
      }
      case 'setIoThreadPoll': {
        const { maxNs, grow, shrink } = action;
        const bad = knobError('maxNs', maxNs, 1e9) ?? (grow === undefined ? null : knobError('grow', grow, 1000))
          ?? (shrink === undefined ? null : knobError('shrink', shrink, 1000));
        if (bad) return { ok: false, error: `setIoThreadPoll: ${bad}` };
        this.knobs.pollMaxNs = maxNs;
        if (grow !== undefined) this.knobs.pollGrow = grow;
        if (shrink !== undefined) this.knobs.pollShrink = shrink;
        // As QEMU on qom-set: each thread's current window is cut to the new maximum.
        for (let e = 0; e < this.nEnt; e++) if (this.entPollNs[e] > maxNs) this.entPollNs[e] = maxNs;
        return { ok: true, costCycles: 0 };
      }
      case 'setVhostPoll': {
        const bad = knobError('us', action.us, 1e6);
        if (bad) return { ok: false, error: `setVhostPoll: ${bad}` };
        this.knobs.vhostPollUs = action.us;
        return { ok: true, costCycles: 0 };
      }
      case 'setPmdMaxSleep': {
        const bad = knobError('us', action.us, 1e4);
        if (bad) return { ok: false, error: `setPmdMaxSleep: ${bad}` };
        this.setPmdMaxSleep(action.us);
        return { ok: true, costCycles: 0 };
      }
      case 'setManager': {
        const { on, core } = action;
        if (typeof on !== 'boolean') return { ok: false, error: 'setManager: on must be true or false' };
        if (core !== undefined && core !== null && (!Number.isInteger(core) || core < 0 || core >= this.nCores || this.coreRole[core] !== ROLE_SIDE)) {
          return { ok: false, error: `setManager: core ${String(core)} is not a side core (omit it to run the manager on the VM cores; side cores: ${this.sideCores.length ? this.sideCores.join(', ') : 'none'})` };
        }
        this.mgrOn = on;
        this.mgrCore = core === undefined || core === null ? -1 : core;
        return { ok: true, costCycles: 0 };
      }
      default:
        return { ok: false, error: `unknown action kind '${String((action as { kind?: unknown }).kind)}'` };
    }
  }

  /**
   * Share the NIC's line rate between net VMs for the next interval, per direction, as a fair
   * queueing NIC/qdisc would (fq_codel, Linux's default): each VM gets up to twice what it sent
   * last interval — unbounded if it was held back by the wire, or is new — water-filled so the
   * shares sum to the line rate; what is left is split evenly. The aggregate never exceeds the
   * line rate, and a light flow does not queue behind a bulk one.
   */
  private wireShares(): void {
    this.shareDirection(this.vmTxBytes, this.vmTxSent, this.vmTxFree, this.vmTxShare);
    this.shareDirection(this.vmRxBytes, this.vmRxSent, this.vmRxFree, this.vmRxShare);
  }

  private shareDirection(per: Float64Array, sent: Float64Array, free: Float64Array, share: Float64Array): void {
    const cap = this.nicBytesPerCycle;
    const iv = this.intervalCycles;
    const wants: number[] = [];
    const vms: number[] = [];
    for (let v = 0; v < this.nVm; v++) {
      if (per[v] <= 0) {
        share[v] = cap;
        continue;
      }
      const limited = sent[v] < 0 || free[v] > this.now;
      vms.push(v);
      wants.push(limited ? Infinity : (2 * sent[v]) / iv);
      sent[v] = 0;
    }
    if (vms.length === 0) return;
    // Water-filling: ascending wants; each gets min(want, equal split of what remains).
    const order = vms.map((_, i) => i).sort((a, b) => wants[a] - wants[b]);
    let left = cap;
    let n = order.length;
    const got = new Array<number>(order.length).fill(0);
    for (const i of order) {
      const fair = left / n;
      got[i] = wants[i] < fair ? wants[i] : fair;
      left -= got[i];
      n--;
    }
    const extra = left / vms.length;
    for (let i = 0; i < vms.length; i++) share[vms[i]] = got[i] + extra;
  }

  /** The manager's CPU for one interval: on its side core, or as a thread on the VM cores. */
  private chargeManager(): void {
    if (!this.mgrOn) return;
    const cycles = this.costs.managerUsPerSecond * (this.intervalMs / 1000) * this.cyclesPerUs;
    if (cycles <= 0) return;
    const c = this.mgrCore;
    if (c >= 0 && this.coreRole[c] === ROLE_SIDE) {
      this.chargeCore(c);
      this.sideOwed[c] += cycles;
      if (this.coreState[c] === C_SPIN) {
        this.stopSpin(c);
        this.sideNext(c);
      }
      return;
    }
    const e = this.mgrEnt;
    this.entRemaining[e] += cycles;
    this.wakeEntity(e, 0);
  }

  /** Advance one interval and return its statistics. */
  step(): HostSnapshot {
    this.applyLoads();
    this.wireShares();
    this.chargeManager();
    const tEnd = (this.stepIndex + 1) * this.intervalCycles;
    this.runUntil(tEnd);
    this.now = tEnd;
    const snap = this.snapshot();
    this.stepIndex++;
    return snap;
  }

  /**
   * Process every event up to tEnd. A function of its own with nothing after the loop: when V8
   * compiled the loop on-stack inside step(), the code after the loop had no type feedback yet,
   * and that compiled loop deoptimized at its exit on every step.
   */
  private runUntil(tEnd: number): void {
    const heap = this.heap;
    const next = this.coreNext;
    const tree = this.coreTree;
    for (;;) {
      const c = tree[1];
      const ct = next[c];
      const ht = heap.size > 0 ? heap.times[0] : Infinity;
      if (ct <= ht) {
        if (ct > tEnd) break;
        this.now = ct;
        // Cancel lazily: most handlers reschedule the core anyway (one tree update instead of two).
        next[c] = Infinity;
        this.dirtyCore = c;
        this.events++;
        this.eventKinds[0]++;
        this.onCore(c);
        if (this.dirtyCore === c) this.schedCore(c, Infinity);
        if (this.checking) this.checkInvariants('core');
      } else {
        if (ht > tEnd) break;
        heap.pop();
        this.now = heap.lastTime;
        this.events++;
        this.handle(heap.lastEnt, heap.lastKind);
        if (this.dirtyCore >= 0) this.schedCore(this.dirtyCore, this.coreNext[this.dirtyCore]);
        if (this.checking) this.checkInvariants('event ' + (heap.lastKind & 7));
      }
    }
  }

  /** Test hook: verify scheduler invariants after every event (slow; off by default). */
  checking = false;

  /** Throw if a running thread is not on its core, a core runs a blocked thread, or a VM core is idle with work queued. */
  checkInvariants(where: string): void {
    for (let e = 0; e < this.nEnt; e++) {
      if (this.entState[e] === RUNNING && this.coreCur[this.entCore[e]] !== e) {
        throw new Error(`${where} t=${this.now}: entity ${e} RUNNING but core ${this.entCore[e]} runs ${this.coreCur[this.entCore[e]]}`);
      }
    }
    let minC = 0;
    for (let c = 1; c < this.nCores; c++) if (this.coreNext[c] < this.coreNext[minC]) minC = c;
    if (this.coreNext[this.coreTree[1]] !== this.coreNext[minC]) throw new Error(`${where} t=${this.now}: core event tree out of date`);
    let idle = 0;
    for (let c = 0; c < this.nCores; c++) if (this.coreRole[c] === ROLE_VM && this.coreState[c] === C_IDLE) idle++;
    if (idle !== this.nIdleVm) throw new Error(`${where} t=${this.now}: ${idle} idle VM cores, counted ${this.nIdleVm}`);
    for (let c = 0; c < this.nCores; c++) {
      const e = this.coreCur[c];
      if (e >= 0 && (this.entState[e] !== RUNNING || this.coreRole[c] !== ROLE_VM)) throw new Error(`${where} t=${this.now}: core ${c} has entity ${e} in state ${this.entState[e]}`);
      if (this.coreRole[c] === ROLE_VM && this.coreState[c] === C_IDLE && this.rqLen > 0) throw new Error(`${where} t=${this.now}: VM core ${c} idle with ${this.rqLen} runnable`);
    }
  }

  // ------------------------------------------------------------ events

  private handle(ent: number, kindWord: number): void {
    this.eventKinds[kindWord & 7]++;
    switch (kindWord & 7) {
      case EV_WAKE:
        this.onWake(ent);
        break;
      case EV_BLK:
        this.onBlk(ent);
        break;
      case EV_THINK:
        this.onThink(ent);
        break;
      case EV_ARRIVAL:
        this.onArrival(ent);
        break;
      case EV_UNPAUSE:
        this.onUnpause(ent);
        break;
      case EV_GATE:
        this.onGate(ent);
        break;
    }
  }

  /** Set core c's pending event time (Infinity cancels it). */
  private schedCore(c: number, t: number): void {
    if (c === this.dirtyCore) this.dirtyCore = -1;
    const next = this.coreNext;
    const tree = this.coreTree;
    next[c] = t;
    let i = (this.treeLeaves + c) >> 1;
    while (i >= 1) {
      const a = tree[2 * i];
      const b = tree[2 * i + 1];
      // b if next[b] < next[a], else a (ties to the left), without a data-dependent branch.
      tree[i] = a ^ ((a ^ b) & -Number(next[b] < next[a]));
      i >>= 1;
    }
  }

  /** Core whose event was taken but whose tree path is not yet updated (see step()). */
  private dirtyCore = -1;

  private cancelCore(c: number): void {
    if (c === this.dirtyCore) {
      this.schedCore(c, Infinity);
      return;
    }
    if (this.coreNext[c] !== Infinity) this.schedCore(c, Infinity);
  }

  /** Set core c's segment: three parts (length, category) starting at `start` (default now; later = idle until then). */
  private setSeg(c: number, l0: number, k0: number, l1: number, k1: number, l2: number, k2: number, start: number = this.now): number {
    const s = start;
    this.segStart[c] = s;
    this.p0End[c] = s + l0;
    this.p1End[c] = s + l0 + l1;
    this.p2End[c] = s + l0 + l1 + l2;
    this.cat0[c] = k0;
    this.cat1[c] = k1;
    this.cat2[c] = k2;
    this.charged[c] = s;
    return s + l0 + l1 + l2;
  }

  /**
   * Charge core c's running segment from the last charge up to now into its cycle categories.
   * (Reads `now` itself: a double argument to a call that is not inlined would be boxed.)
   */
  private chargeCore(c: number): void {
    const t = this.now;
    const from = this.charged[c];
    if (t <= from) return;
    this.charged[c] = t;
    const st = this.coreState[c];
    if (st === C_IDLE) return;
    const e = this.coreCur[c];
    const d0 = this.overlap(this.segStart[c], this.p0End[c], from, t);
    const d1 = this.overlap(this.p0End[c], this.p1End[c], from, t);
    let d2 = this.overlap(this.p1End[c], this.p2End[c], from, t);
    const base = c * NCAT;
    const cyc = this.cyc;
    if (d0 > 0) cyc[base + this.cat0[c]] += d0;
    if (d1 > 0) cyc[base + this.cat1[c]] += d1;
    if (d2 > 0) cyc[base + this.cat2[c]] += d2;
    if (st === C_SPIN && this.knobs.pmdMaxSleepUs > 0) {
      this.spinAt(c, t);
      const slept = this.spinSlept;
      this.spinAt(c, from);
      const d = slept - this.spinSlept;
      cyc[base + CAT_EPOLL] -= d;
      cyc[base + CAT_SLEEP] += d;
    }
    if (st === C_RUN && e >= 0) {
      this.entVrt[e] += d0 + d1 + d2;
      if (this.entKind[e] === VCPU) {
        const vm = this.entVm[e];
        // vCPU segments are [ctx][exit][guest].
        if (this.cat2[c] !== CAT_GUEST) d2 = 0;
        this.vmGuestDone[vm] += d2;
        this.vmRun[vm] += d1 + d2;
      }
    }
  }

  /** Length of [a, b) ∩ [lo, hi). */
  private overlap(a: number, b: number, lo: number, hi: number): number {
    const x = a > lo ? a : lo;
    const y = b < hi ? b : hi;
    return y > x ? y - x : 0;
  }

  // ---------------------------------------------------------- run queues

  /** Add a runnable entity to the shared run queue (a binary min-heap on vruntime, ties by entity id). */
  private rqPush(e: number): void {
    const buf = this.rqBuf;
    const vrt = this.entVrt;
    const v = vrt[e];
    let i = this.rqLen++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pe = buf[p];
      const pv = vrt[pe];
      if (pv < v || (pv === v && pe < e)) break;
      buf[i] = pe;
      i = p;
    }
    buf[i] = e;
  }

  /** Remove and return the runnable entity with the least vruntime. */
  private rqPopMin(): number {
    const buf = this.rqBuf;
    const vrt = this.entVrt;
    const top = buf[0];
    const n = --this.rqLen;
    if (n === 0) return top;
    const e = buf[n];
    const v = vrt[e];
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      let ce = buf[c];
      let cv = vrt[ce];
      if (c + 1 < n) {
        const de = buf[c + 1];
        const dv = vrt[de];
        if (dv < cv || (dv === cv && de < ce)) {
          c++;
          ce = de;
          cv = dv;
        }
      }
      if (v < cv || (v === cv && e < ce)) break;
      buf[i] = ce;
      i = c;
    }
    buf[i] = e;
    return top;
  }

  // ------------------------------------------------------ VM-core scheduler

  /** Core c has no current entity: run the next runnable one, or go idle. */
  private dispatch(c: number): void {
    this.coreCur[c] = -1;
    // Claim the core while choosing (a wake-up nested in startEntity must not take it).
    this.setCoreState(c, C_RUN);
    this.charged[c] = this.now;
    while (this.rqLen > 0) {
      const e = this.rqPopMin();
      if (this.entVrt[e] > this.minVrt) this.minVrt = this.entVrt[e];
      this.entCore[e] = c;
      this.vmWaitAdd(e);
      this.runStart[c] = this.now;
      if (this.startEntity(c, e, true)) return;
      this.blockEntity(e);
    }
    this.setCoreState(c, C_IDLE);
  }

  /** Set a core's state, keeping the count of idle VM cores. */
  private setCoreState(c: number, st: number): void {
    const old = this.coreState[c];
    if (this.coreRole[c] === ROLE_VM) {
      if (old === C_IDLE && st !== C_IDLE) this.nIdleVm--;
      else if (old !== C_IDLE && st === C_IDLE) this.nIdleVm++;
    }
    this.coreState[c] = st;
  }

  private recountIdle(): void {
    let n = 0;
    for (let c = 0; c < this.nCores; c++) if (this.coreRole[c] === ROLE_VM && this.coreState[c] === C_IDLE) n++;
    this.nIdleVm = n;
  }

  /** Number of VM cores in state C_IDLE. */
  private nIdleVm = 0;

  /** An idle VM core other than c (round-robin from c), or -1. */
  private idleVmCore(c: number): number {
    if (this.nIdleVm === 0) return -1;
    const list = this.vmCoreArr;
    const m = list.length;
    const state = this.coreState;
    // Round-robin from c's position; the index wraps by subtraction (no division per step).
    let j = this.vmCoreIdx[c];
    for (let k = 1; k < m; k++) {
      if (++j >= m) j -= m;
      const o = list[j];
      if (state[o] === C_IDLE) return o;
    }
    return -1;
  }

  private vmWaitAdd(e: number): void {
    if (this.entKind[e] === VCPU) {
      const w = this.now - this.entRunnableSince[e];
      if (w > 0) this.vmWait[this.entVm[e]] += w;
    }
    this.entRunnableSince[e] = this.now;
  }

  /** Start a run segment of entity e on core c, `delay` cycles from now. Returns false when it has nothing to do. */
  private startEntity(c: number, e: number, fresh: boolean, delay: number = 0): boolean {
    const at = this.now + delay;
    let ctx = this.entOwedCtx[e];
    this.entOwedCtx[e] = 0;
    if (fresh) {
      ctx += this.ctxCycles;
      this.ctxSwitches++;
    }
    let exit = 0;
    let work = 0;
    let cat = CAT_GUEST;
    if (this.entKind[e] === VCPU) {
      const vm = this.entVm[e];
      if (this.cfLen[vm] > 0) this.drainCompletions(vm, delay);
      exit = this.entOwedExit[e];
      this.entOwedExit[e] = 0;
      if (this.entRemaining[e] > 0 || this.entSegReq[e] > 0) {
        work = this.entRemaining[e];
        this.entRemaining[e] = 0;
      } else if (this.vmKind[vm] === K_CPU) {
        if (this.vmLoad[vm] > 0) work = this.sliceCycles;
      } else if (this.vmReady[vm] > 0) {
        const chunk = this.vmChunkN[vm];
        const n = this.vmReady[vm] < chunk ? this.vmReady[vm] : chunk;
        this.vmReady[vm] -= n;
        this.entSegReq[e] = n;
        work = n * this.vmGuestCyc[vm];
        if (this.workJitter > 0) work *= 1 + this.workJitter * (2 * this.rng.next() - 1);
      }
    } else if (this.entKind[e] === MANAGER) {
      cat = CAT_IO;
      work = this.entRemaining[e];
      this.entRemaining[e] = 0;
    } else {
      cat = CAT_IO;
      const d = this.entDev[e];
      const nq = this.devQN[d];
      const q0 = this.devQ0[d];
      const rr = this.devRr[d];
      for (let k = 0; k < nq; k++) {
        const q = q0 + ((rr + k) % nq);
        if (this.qOwner[q] < 0 && this.qPending[q] > 0 && this.qPausedUntil[q] <= this.now) {
          this.takeBatch(c, q);
          work = this.takenWork;
          this.devRr[d] = (rr + k + 1) % nq;
          break;
        }
      }
    }
    const total = ctx + exit + work;
    if (total <= 0 && this.entSegReq[e] === 0) return false;
    this.setCoreState(c, C_RUN);
    this.coreCur[c] = e;
    this.entState[e] = RUNNING;
    const end = this.setSeg(c, ctx, CAT_CTX, exit, CAT_EXIT, work, cat, at);
    this.schedCore(c, end);
    return true;
  }

  private blockEntity(e: number): void {
    this.entState[e] = BLOCKED;
  }

  /** Wake a blocked entity after `delay` cycles (a vCPU's halt exit is charged on wake). */
  private wakeEntity(e: number, delay: number): void {
    if (this.entState[e] !== BLOCKED) return;
    if (this.entKind[e] === VCPU) {
      this.entOwedExit[e] += this.exitCycles;
      this.vmExits[this.entVm[e]]++;
    } else if (this.entKind[e] === IOTHREAD) {
      this.adaptPoll(e, this.now - this.entIdleSince[e]);
    }
    // Fast path: an idle VM core (its last core first) runs it after the wake-up latency,
    // without a separate wake event; the core stays idle until then.
    let c = this.entCore[e];
    if (this.coreRole[c] !== ROLE_VM || this.coreState[c] !== C_IDLE) c = this.idleVmCore(c);
    if (c >= 0 && !this.reconfiguring) {
      // The wake-up is a model event handled inline (counted like one from the heap).
      this.events++;
      this.eventKinds[EV_WAKE]++;
      this.setCoreState(c, C_RUN);
      this.coreCur[c] = -1;
      // Not BLOCKED any more: a wake-up nested in startEntity (wakeVcpus) must not take it twice.
      this.entState[e] = WAKING;
      const at = this.now + delay;
      this.entCore[e] = c;
      const floor = this.minVrt - this.sleeperCycles;
      if (this.entVrt[e] < floor) this.entVrt[e] = floor;
      if (this.entVrt[e] > this.minVrt) this.minVrt = this.entVrt[e];
      this.entRunnableSince[e] = at;
      this.runStart[c] = at;
      this.charged[c] = this.now;
      if (this.startEntity(c, e, true, delay)) return;
      this.setCoreState(c, C_IDLE);
      this.coreCur[c] = -1;
      this.entState[e] = BLOCKED;
      return;
    }
    this.entState[e] = WAKING;
    this.heap.push(this.now + delay, e, EV_WAKE);
  }

  private onWake(e: number): void {
    if (this.entState[e] !== WAKING) return;
    this.entState[e] = RUNNABLE;
    this.entRunnableSince[e] = this.now;
    let c = this.entCore[e];
    if (this.coreState[c] !== C_IDLE) {
      // Wake on an idle VM core if there is one (select_idle_sibling-like).
      const o = this.idleVmCore(c);
      if (o >= 0) {
        this.entCore[e] = o;
        c = o;
      }
    }
    // CFS-like placement: a sleeper gets at most `sleeperCredit` of vruntime credit.
    const floor = this.minVrt - this.sleeperCycles;
    if (this.entVrt[e] < floor) this.entVrt[e] = floor;
    const st = this.coreState[c];
    this.rqPush(e);
    if (st === C_IDLE) {
      this.dispatch(c);
    } else if (this.nPolling > 0) {
      // A polling I/O thread gives its core up when another thread is runnable (need_resched()).
      const pc = this.pollingCore(c);
      this.chargeCore(pc);
      const cur = this.coreCur[pc];
      this.endPoll(cur);
      this.blockEntity(cur);
      this.cancelCore(pc);
      this.dispatch(pc);
    } else if (st === C_RUN) {
      const cur = this.coreCur[c];
      if (cur >= 0 && this.entKind[cur] === VCPU && this.now < this.p2End[c]) {
        this.chargeCore(c);
        if (this.entVrt[cur] - this.entVrt[e] > this.wakeGranCycles) {
          this.preempt(c, true);
          this.dispatch(c);
        }
      }
    }
  }

  /** Stop the vCPU running on core c, keep its remaining work, put it at the front of the run queue. */
  private preempt(c: number, lazyCancel = false): void {
    this.chargeCore(c);
    const cur = this.coreCur[c];
    const now = this.now;
    const p0 = this.p0End[c];
    const p1 = this.p1End[c];
    const p2 = this.p2End[c];
    if (this.entKind[cur] === VCPU) {
      if (now < p1) this.entOwedExit[cur] += p1 - (now > p0 ? now : p0);
      this.entRemaining[cur] = now < p1 ? p2 - p1 : p2 - now;
    } else if (this.entKind[cur] === MANAGER) {
      this.entRemaining[cur] = p2 > now ? p2 - (now > p1 ? now : p1) : 0;
    } else {
      // An I/O thread's batch completes at the stop (only on reconfiguration); a poll just ends.
      if (this.entPolling[cur] === 1) this.endPoll(cur);
      this.completeService(c);
    }
    if (lazyCancel && this.dirtyCore < 0) {
      // The caller dispatches at once, which reschedules the core (see step()).
      this.coreNext[c] = Infinity;
      this.dirtyCore = c;
    } else {
      this.cancelCore(c);
    }
    this.entState[cur] = RUNNABLE;
    this.entRunnableSince[cur] = now;
    this.rqPush(cur);
    this.coreCur[c] = -1;
    this.setCoreState(c, C_IDLE);
  }

  // ------------------------------------------------- I/O-thread polling

  /** The poll window of I/O thread e in cycles: blk threads adapt (QEMU), net threads use vhost poll-us. */
  private pollWindow(e: number): number {
    const d = this.entDev[e];
    if (this.qKind[this.devQ0[d]] === 1) return (this.entPollNs[e] * this.cyclesPerUs) / 1000;
    return this.knobs.vhostPollUs * this.cyclesPerUs;
  }

  /**
   * QEMU's adjust_polling_time (util/aio-posix.c) for a blk I/O thread: `blockCycles` is how long
   * its idle period (poll + block) lasted. Within the window: keep it; longer than poll-max-ns:
   * shrink (÷ poll-shrink, or to 0); else grow (× poll-grow, default 2; from 0 start at 4 µs),
   * capped at poll-max-ns.
   */
  private adaptPoll(e: number, blockCycles: number): void {
    const d = this.entDev[e];
    if (d < 0 || this.qKind[this.devQ0[d]] !== 1) return;
    const k = this.knobs;
    const ns = (blockCycles * 1000) / this.cyclesPerUs;
    const cur = this.entPollNs[e];
    if (ns <= cur) return;
    if (ns > k.pollMaxNs) {
      this.entPollNs[e] = k.pollShrink > 0 ? cur / k.pollShrink : 0;
    } else if (cur < k.pollMaxNs && ns < k.pollMaxNs) {
      let next = cur > 0 ? cur * (k.pollGrow > 0 ? k.pollGrow : 2) : 4000;
      if (next > k.pollMaxNs) next = k.pollMaxNs;
      this.entPollNs[e] = next;
    }
  }

  /** I/O thread e stops polling (its core is charged up to now). */
  private endPoll(e: number): void {
    this.chargeCore(this.entCore[e]);
    this.entPolling[e] = 0;
    this.nPolling--;
  }

  /** Work arrived for polling I/O thread e: it takes it at once on its core (no kick, wake-up or switch). */
  private pollHit(e: number): void {
    const c = this.entCore[e];
    this.endPoll(e);
    this.adaptPoll(e, this.now - this.entIdleSince[e]);
    this.runStart[c] = this.now;
    if (!this.startEntity(c, e, false)) {
      this.blockEntity(e);
      this.cancelCore(c);
      this.dispatch(c);
    }
  }

  /** A VM core whose I/O thread polls, preferring c (nPolling > 0). */
  private pollingCore(c: number): number {
    const cur = this.coreCur[c];
    if (cur >= 0 && this.entPolling[cur] === 1) return c;
    const list = this.vmCoreArr;
    for (let i = 0; i < list.length; i++) {
      const e = this.coreCur[list[i]];
      if (e >= 0 && this.entPolling[e] === 1) return list[i];
    }
    throw new Error('model: nPolling > 0 but no polling core');
  }

  private vcpuHasWork(e: number): boolean {
    const vm = this.entVm[e];
    // Owed exit cycles alone do not keep a vCPU running: they are paid at its next run (batched with work).
    if (this.entRemaining[e] > 0 || this.entSegReq[e] > 0 || this.cfLen[vm] > 0) return true;
    if (this.vmKind[vm] === K_CPU) return this.vmLoad[vm] > 0;
    return this.vmReady[vm] > 0;
  }

  private ioHasWork(e: number): boolean {
    const d = this.entDev[e];
    if (d < 0) return false;
    const q0 = this.devQ0[d];
    const nq = this.devQN[d];
    for (let q = q0; q < q0 + nq; q++) {
      if (this.qOwner[q] < 0 && this.qPending[q] > 0 && this.qPausedUntil[q] <= this.now) return true;
    }
    return false;
  }

  private onCore(c: number): void {
    const st = this.coreState[c];
    if (st === C_RUN) {
      this.chargeCore(c);
      const e = this.coreCur[c];
      let more: boolean;
      if (this.entKind[e] === VCPU) {
        const vm = this.entVm[e];
        const n = this.entSegReq[e];
        if (n > 0) {
          this.entSegReq[e] = 0;
          this.post(vm, e, n);
        }
        if (this.vmKind[vm] === K_CPU) {
          const load = this.vmLoad[vm];
          if (load < 1 && this.entOwedExit[e] === 0) {
            const work = this.p2End[c] - this.p1End[c];
            this.coreCur[c] = -1;
            if (load > 0 && work > 0) {
              this.entState[e] = WAKING;
              this.heap.push(this.now + (work * (1 - load)) / load, e, EV_WAKE);
            } else {
              this.blockEntity(e);
            }
            this.dispatch(c);
            return;
          }
        }
        more = this.vcpuHasWork(e);
      } else {
        this.completeService(c);
        if (this.entPolling[e] === 1) {
          // The poll window ran out with nothing found: the thread blocks (notifications back on).
          this.endPoll(e);
          this.blockEntity(e);
          this.dispatch(c);
          return;
        }
        more = this.entKind[e] === MANAGER ? this.entRemaining[e] > 0 : this.ioHasWork(e);
        if (!more && this.entKind[e] === IOTHREAD) {
          this.entIdleSince[e] = this.now;
          const w = this.pollWindow(e);
          if (w > 0 && this.rqLen === 0) {
            this.entPolling[e] = 1;
            this.nPolling++;
            const end = this.setSeg(c, 0, CAT_EPOLL, 0, CAT_EPOLL, w, CAT_EPOLL);
            this.schedCore(c, end);
            return;
          }
        }
      }
      if (this.rqLen === 0 && this.entVrt[e] > this.minVrt) this.minVrt = this.entVrt[e];
      if (more) {
        if (this.rqLen > 0 && this.now - this.runStart[c] >= this.sliceCycles
          && this.entVrt[this.rqBuf[0]] < this.entVrt[e]) {
          this.entState[e] = RUNNABLE;
          this.entRunnableSince[e] = this.now;
          this.rqPush(e);
          this.dispatch(c);
          return;
        }
        if (this.startEntity(c, e, false)) return;
      }
      this.blockEntity(e);
      this.dispatch(c);
    } else if (st === C_SPIN) {
      this.chargeCore(c);
      this.stopSpin(c);
      this.sideNext(c);
    } else if (st === C_VISIT) {
      this.chargeCore(c);
      this.completeService(c);
      this.sideNext(c);
    }
  }

  // ------------------------------------------------------------- guests

  /** A vCPU of `vm` finished guest work for n requests: post them to a virtqueue and notify. */
  private post(vm: number, e: number, n: number): void {
    const qn = this.vmQN[vm];
    if (qn === 0) return;
    let idx: number;
    if (this.vmHash[vm] === 1) idx = Math.floor(this.rng.next() * qn);
    else {
      idx = this.vmQrr[vm];
      this.vmQrr[vm] = (idx + 1) % qn;
    }
    const q = this.vmQList[this.vmQ0[vm] + idx];
    this.ringPush(q, n);
    const owner = this.qOwner[q];
    if (owner < 0) {
      const th = this.devThread[this.qDev[q]];
      if (this.entPolling[th] === 1) {
        // The I/O thread is polling (notifications off): it sees the request now, no kick, no wake-up.
        if (this.qPausedUntil[q] <= this.now) this.pollHit(th);
      } else if (this.entState[th] === BLOCKED && this.qPausedUntil[q] <= this.now) {
        this.kick(q, e);
        this.wakeEntity(th, this.wakeCycles);
      }
    } else if (this.qPolling[q] === 1) {
      this.sideArrival(owner, q);
    } else if (this.qNotified[q] === 0) {
      this.kick(q, e);
      this.qNotified[q] = 1;
      this.sideArrival(owner, q);
    }
  }

  private kick(q: number, e: number): void {
    this.qKicks[q]++;
    this.vmExits[this.entVm[e]]++;
    this.entOwedExit[e] += this.exitCycles;
  }

  private ringPush(q: number, n: number): void {
    const t = this.now;
    const base = q * RING_SLOTS;
    const len = this.ringLen[q];
    if (len === RING_SLOTS) {
      // Ring full: merge into the newest batch (keeps counts; its timestamp stands for both).
      this.ringCount[base + ((this.ringHead[q] + len - 1) % RING_SLOTS)] += n;
    } else {
      const i = base + ((this.ringHead[q] + len) % RING_SLOTS);
      this.ringTime[i] = t;
      this.ringCount[i] = n;
      this.ringLen[q] = len + 1;
    }
    this.qPending[q] += n;
  }

  /** Host cycles and requests of the batch last taken by takeBatch (fields, so the doubles are not boxed on return). */
  private takenWork = 0;
  private takenReq = 0;

  /** Append up to one budget of requests from queue q to core c's in-service batch; their host cycles go to `takenWork`. */
  private takeBatch(c: number, q: number): void {
    const vm = this.qVm[q];
    let budget = this.vmMaxBatch[vm];
    const base = q * RING_SLOTS;
    const sbase = c * this.svcCap;
    const cap = this.svcCap;
    let n = this.svcN[c];
    let req = 0;
    let wait = 0;
    const now = this.now;
    while (budget > 0 && this.ringLen[q] > 0 && n < cap) {
      const h = this.ringHead[q];
      const i = base + h;
      const cnt = this.ringCount[i];
      const t = this.ringTime[i];
      let take = cnt;
      if (take > budget) {
        take = budget;
        this.ringCount[i] = cnt - take;
      } else {
        this.ringHead[q] = (h + 1) % RING_SLOTS;
        this.ringLen[q]--;
      }
      this.svcQ[sbase + n] = q;
      this.svcTimes[sbase + n] = t;
      this.svcCounts[sbase + n] = take;
      n++;
      req += take;
      wait += (now - t) * take;
      budget -= take;
    }
    this.svcN[c] = n;
    this.qPending[q] -= req;
    this.qPolls[q]++;
    this.qWaitCycles[q] += wait;
    // The same per-request work on a side core and on a notified I/O thread (docs/model.md, "What is charged where").
    const work = this.costs.batchCycles + req * this.vmHostCycPerReq[vm];
    this.qWork[q] += work;
    this.takenWork = work;
    this.takenReq = req;
  }

  /** The batches in service on core c are done: hand them to the device (blk) or complete them to the guest (net). */
  private completeService(c: number): void {
    const n = this.svcN[c];
    if (n === 0) return;
    const side = this.coreRole[c] === ROLE_SIDE;
    const sbase = c * this.svcCap;
    const jit = this.costs.deviceJitter;
    let last = -1;
    for (let i = 0; i < n; i++) {
      const q = this.svcQ[sbase + i];
      if (q !== last && last >= 0) this.finishQueue(last, side);
      last = q;
      const vm = this.qVm[q];
      const cnt = this.svcCounts[sbase + i];
      this.qRequests[q] += cnt;
      const now = this.now;
      if (this.qKind[q] === 1) {
        let done = now + this.vmDevLatCyc[vm] * (1 + jit * (2 * this.rng.next() - 1));
        // The device's IOPS / bandwidth ceiling: it serves this batch after what it already has.
        const d = this.qDev[q];
        let f = this.devFree[d];
        if (f < now) f = now;
        f += cnt * this.devCycPerIo[d];
        this.devFree[d] = f;
        if (done < f) done = f;
        if (done < this.dvLast[q]) done = this.dvLast[q];
        this.dvLast[q] = done;
        this.devPush(q, done, this.svcTimes[sbase + i], cnt);
      } else {
        // The NIC's line rate per direction, shared fairly between VMs (wireShares): each VM's share
        // is a token bucket (GCRA: vmTxFree is its theoretical arrival time, WIRE_BURST_US deep); the
        // batch leaves when the bucket allows and takes its bytes at line rate.
        const cap = this.nicBytesPerCycle;
        const burst = this.wireBurstCycles;
        const txB = cnt * this.vmTxBytes[vm];
        let tat = this.vmTxFree[vm];
        if (tat < now) tat = now;
        const tx = (tat - burst > now ? tat - burst : now) + txB / cap;
        this.vmTxFree[vm] = tat + txB / this.vmTxShare[vm];
        this.vmTxSent[vm] += txB;
        const rxB = cnt * this.vmRxBytes[vm];
        tat = this.vmRxFree[vm];
        if (tat < now) tat = now;
        const rx = (tat - burst > now ? tat - burst : now) + rxB / cap;
        this.vmRxFree[vm] = tat + rxB / this.vmRxShare[vm];
        this.vmRxSent[vm] += rxB;
        let done = tx > rx ? tx : rx;
        if (done <= now + this.wireInlineCycles && this.dvLen[q] === 0) {
          this.cfPush(vm, this.svcTimes[sbase + i], cnt);
          this.qCompleted = 1;
        } else {
          if (done < this.dvLast[q]) done = this.dvLast[q];
          this.dvLast[q] = done;
          this.devPush(q, done, this.svcTimes[sbase + i], cnt);
        }
      }
    }
    this.finishQueue(last, side);
    this.svcN[c] = 0;
  }

  /** Set when completeService completed a net batch at once (an interrupt is due for its queue). */
  private qCompleted = 0;

  private finishQueue(q: number, side: boolean): void {
    if (this.qKind[q] === 0 && this.qCompleted === 1) this.raiseIrq(this.qVm[q], q, side);
    this.qCompleted = 0;
    if (this.qPending[q] === 0 && this.qPolling[q] === 0) this.qNotified[q] = 0;
  }

  private devPush(q: number, done: number, t: number, n: number): void {
    const base = q * RING_SLOTS;
    const len = this.dvLen[q];
    if (len === RING_SLOTS) {
      this.dvCount[base + ((this.dvHead[q] + len - 1) % RING_SLOTS)] += n;
      return;
    }
    const i = base + ((this.dvHead[q] + len) % RING_SLOTS);
    this.dvDone[i] = done;
    this.dvTime[i] = t;
    this.dvCount[i] = n;
    this.dvLen[q] = len + 1;
    if (len === 0) this.heap.push(done, q, EV_BLK);
  }

  private onBlk(q: number): void {
    const base = q * RING_SLOTS;
    const vm = this.qVm[q];
    let any = false;
    while (this.dvLen[q] > 0) {
      const i = base + this.dvHead[q];
      if (this.dvDone[i] > this.now) break;
      this.cfPush(vm, this.dvTime[i], this.dvCount[i]);
      this.dvHead[q] = (this.dvHead[q] + 1) % RING_SLOTS;
      this.dvLen[q]--;
      any = true;
    }
    if (any) this.raiseIrq(vm, q, this.qOwner[q] >= 0);
    if (this.dvLen[q] > 0) this.heap.push(this.dvDone[base + this.dvHead[q]], q, EV_BLK);
  }

  private cfPush(vm: number, t: number, n: number): void {
    const base = vm * VM_FIFO_SLOTS;
    const len = this.cfLen[vm];
    if (len === VM_FIFO_SLOTS) {
      this.cfCount[base + ((this.cfHead[vm] + len - 1) % VM_FIFO_SLOTS)] += n;
      return;
    }
    const i = base + ((this.cfHead[vm] + len) % VM_FIFO_SLOTS);
    this.cfTime[i] = t;
    this.cfCount[i] = n;
    this.cfLen[vm] = len + 1;
  }

  /**
   * Inject a completion interrupt for queue q into its vCPU. Suppressed while
   * that vCPU runs (NAPI / event-idx: its driver takes the completions at once)
   * and while one is already pending for the queue.
   */
  private raiseIrq(vm: number, q: number, fromSide: boolean): void {
    if (this.qIrqPending[q] === 1) return;
    const target = this.qIrqVcpu[q];
    const st = this.entState[target];
    if (st === RUNNING) {
      // NAPI / event-idx: no interrupt; the running guest's driver sees the completions now
      // (latency recorded here), and their follow-up work joins the VM's ready work.
      this.drainCompletions(vm);
      return;
    }
    this.qIrqPending[q] = 1;
    this.qInterrupts[q]++;
    this.vmIrqs[vm]++;
    const exitless = fromSide && this.costs.exitlessInterrupts;
    if (!exitless) this.vmExits[vm]++;
    this.entOwedExit[target] += exitless ? this.eliCycles : this.exitCycles;
    if (st === BLOCKED) this.wakeEntity(target, this.wakeCycles);
  }

  /** A vCPU handles the VM's pending completions: record latency, re-issue (closed loop). */
  private drainCompletions(vm: number, delay: number = 0): void {
    const now = this.now + delay;
    const base = vm * VM_FIFO_SLOTS;
    const hist = this.vmHist[vm];
    const nsPerCycle = 1e9 / this.hz;
    let done = 0;
    while (this.cfLen[vm] > 0) {
      const i = base + this.cfHead[vm];
      const n = this.cfCount[i];
      hist.record((now - this.cfTime[i]) * nsPerCycle, n);
      done += n;
      this.cfHead[vm] = (this.cfHead[vm] + 1) % VM_FIFO_SLOTS;
      this.cfLen[vm]--;
    }
    const q0 = this.vmQ0[vm];
    for (let i = q0; i < q0 + this.vmQN[vm]; i++) this.qIrqPending[this.vmQList[i]] = 0;
    this.vmCompleted[vm] += done;
    if (this.vmRate[vm] > 0 || this.vmPopulation[vm] === 0) {
      this.vmPop[vm] -= done;
      return;
    }
    let again = done;
    const excess = this.vmPop[vm] - this.vmTarget[vm];
    if (excess > 0) {
      const drop = excess < done ? excess : done;
      this.vmPop[vm] -= drop;
      again -= drop;
    }
    if (again <= 0) return;
    if (this.vmThinkCyc[vm] > 0) this.thinkPush(vm, now + this.thinkCycles(vm), again);
    else if (this.vmGateOn[vm] === 0) this.vmHeld[vm] += again;
    else {
      this.vmReady[vm] += again;
      if (this.vmVcpus[vm] > 1) this.wakeVcpus(vm);
    }
  }

  /** One think time of vm (± guestWorkJitter). */
  private thinkCycles(vm: number): number {
    const t = this.vmThinkCyc[vm];
    return this.workJitter > 0 ? t * (1 + this.workJitter * (2 * this.rng.next() - 1)) : t;
  }

  /** The gate of a closed loop below load 1 opens or closes; open: held requests are issued. */
  private onGate(vm: number): void {
    const load = this.vmLoad[vm];
    if (!(load > 0 && load < 1)) {
      this.vmGateRun[vm] = 0;
      if (this.vmGateOn[vm] === 0) this.openGate(vm);
      return;
    }
    if (this.vmGateOn[vm] === 1) {
      // Clients go quiet: what they have not yet handed to a vCPU waits for the next on period.
      this.vmGateOn[vm] = 0;
      this.vmHeld[vm] += this.vmReady[vm];
      this.vmReady[vm] = 0;
      this.heap.push(this.now + (1 - load) * this.gateCycles, vm, EV_GATE);
    } else {
      this.openGate(vm);
      this.heap.push(this.now + load * this.gateCycles, vm, EV_GATE);
    }
  }

  private openGate(vm: number): void {
    this.vmGateOn[vm] = 1;
    const h = this.vmHeld[vm];
    if (h > 0) {
      this.vmHeld[vm] = 0;
      this.vmReady[vm] += h;
      this.wakeVcpus(vm);
    }
  }

  private thinkPush(vm: number, t: number, n: number): void {
    const base = vm * VM_FIFO_SLOTS;
    const len = this.thLen[vm];
    if (len === VM_FIFO_SLOTS) {
      this.thCount[base + ((this.thHead[vm] + len - 1) % VM_FIFO_SLOTS)] += n;
      return;
    }
    const i = base + ((this.thHead[vm] + len) % VM_FIFO_SLOTS);
    this.thTime[i] = t;
    this.thCount[i] = n;
    this.thLen[vm] = len + 1;
    if (len === 0) this.heap.push(t, vm, EV_THINK);
  }

  private onThink(vm: number): void {
    const base = vm * VM_FIFO_SLOTS;
    let any = false;
    const held = this.vmGateOn[vm] === 0;
    while (this.thLen[vm] > 0) {
      const i = base + this.thHead[vm];
      if (this.thTime[i] > this.now) break;
      if (held) this.vmHeld[vm] += this.thCount[i];
      else this.vmReady[vm] += this.thCount[i];
      this.thHead[vm] = (this.thHead[vm] + 1) % VM_FIFO_SLOTS;
      this.thLen[vm]--;
      any = true;
    }
    if (this.thLen[vm] > 0) this.heap.push(this.thTime[base + this.thHead[vm]], vm, EV_THINK);
    if (any && !held) this.wakeVcpus(vm);
  }

  private onArrival(vm: number): void {
    const rate = this.vmRate[vm] * (this.vmLoad[vm] > 0 ? this.vmLoad[vm] : 0);
    if (rate <= 0) {
      this.vmArrivalOn[vm] = 0;
      return;
    }
    // One event per window of ≥ 2 expected arrivals (≥ 20 µs): Poisson count per window.
    let win = 2 / rate;
    if (win < 20e-6) win = 20e-6;
    const n = this.rng.poisson(rate * win);
    if (n > 0 && this.vmReady[vm] < OPEN_LOOP_BACKLOG) {
      this.vmReady[vm] += n;
      this.vmPop[vm] += n;
      this.wakeVcpus(vm);
    }
    this.heap.push(this.now + win * this.hz, vm, EV_ARRIVAL);
  }

  /** Make enough of vm's vCPUs runnable for its ready work. */
  private wakeVcpus(vm: number): void {
    const v0 = this.vmVcpu0[vm];
    const nv = this.vmVcpus[vm];
    let want = nv;
    if (this.vmKind[vm] !== K_CPU) {
      want = Math.ceil(this.vmReady[vm] / this.vmChunkN[vm]);
      if (want > nv) want = nv;
      if (want < 1) want = 1;
    }
    let active = 0;
    for (let e = v0; e < v0 + nv; e++) if (this.entState[e] !== BLOCKED) active++;
    for (let e = v0; e < v0 + nv && active < want; e++) {
      if (this.entState[e] === BLOCKED) {
        this.wakeEntity(e, this.wakeCycles);
        active++;
      }
    }
  }

  // --------------------------------------------------------- side cores

  /** Work arrived on queue q owned by side core c: if c is spinning, schedule the poll that finds it. */
  private sideArrival(c: number, q: number): void {
    if (this.coreState[c] !== C_SPIN || this.qPausedUntil[q] > this.now) return;
    const n = this.sideN[c];
    const idx = this.qSideIdx[q];
    if (n === 0 || idx < 0) return;
    const P = this.pollCycles;
    const rel = (idx - this.spinPos[c] + n) % n;
    let at: number;
    let slept = 0;
    if (this.knobs.pmdMaxSleepUs > 0) {
      // Rounds of n polls, each followed by a sleep (pmd-maxsleep): the first poll of the queue at or after now.
      const j = this.roundAt(c, this.now);
      at = this.roundStart(c, j) + rel * P;
      if (at < this.now - 1e-9) at = this.roundStart(c, j + 1) + rel * P;
      this.spinAt(c, at);
      slept = this.spinSlept;
      this.spinAt(c, this.now);
      slept -= this.spinSlept;
    } else {
      const polled = (this.now - this.spinStart[c]) / P;
      let m = Math.ceil((polled - rel) / n - 1e-9);
      if (m < 0) m = 0;
      at = this.spinStart[c] + (rel + m * n) * P;
    }
    // The poll at `at` finds the work: the spin ends there and the visit starts. That poll is a model
    // event handled inline (counted like a core event); the visit's end is the next one.
    this.events++;
    this.eventKinds[0]++;
    this.chargeCore(c);
    this.stopSpin(c, at);
    this.svcN[c] = 0;
    this.takeBatch(c, q);
    const work = this.takenWork;
    if (this.takenReq >= PMD_SLEEP_RESET_REQUESTS) this.sideSleepUs[c] = 0;
    this.qWaitCycles[q] += (at - this.now) * this.svcCounts[c * this.svcCap + this.svcN[c] - 1];
    this.sideLoops[c] += Math.floor((idx + 1) / n);
    this.sidePos[c] = (idx + 1) % n;
    this.setCoreState(c, C_VISIT);
    const end = this.setSeg(c, slept, CAT_SLEEP, at - this.now - slept, CAT_EPOLL, work, CAT_IO);
    this.schedCore(c, end);
  }

  /** End a spin period on side core c: account its empty polls; the core is then free at `now`. */
  private stopSpin(c: number, t: number = this.now): void {
    const n = this.sideN[c];
    let polls: number;
    if (n > 0 && this.knobs.pmdMaxSleepUs > 0) {
      this.spinAt(c, t);
      polls = this.spinPolls;
      // The sleep step grew by one µs per round (OVS PMD_SLEEP_INC_US), up to the maximum.
      const s = this.sideSleepUs[c] + this.roundAt(c, t);
      this.sideSleepUs[c] = s < this.knobs.pmdMaxSleepUs ? s : this.knobs.pmdMaxSleepUs;
    } else {
      polls = n > 0 ? Math.floor((t - this.spinStart[c]) / this.pollCycles + 1e-9) : 0;
    }
    if (polls > 0) {
      this.sideEmptyPolls[c] += polls;
      const sp = this.spinPos[c];
      this.sideLoops[c] += Math.floor((sp + polls) / n);
      const full = Math.floor(polls / n);
      const rest = polls - full * n;
      const base = c * this.nQ;
      for (let r = 0; r < n; r++) {
        const q = this.sideList[base + ((sp + r) % n)];
        const k = full + (r < rest ? 1 : 0);
        this.qPolls[q] += k;
        this.qEmptyPolls[q] += k;
      }
      this.sidePos[c] = (sp + polls) % n;
    } else {
      this.sidePos[c] = this.spinPos[c];
    }
    this.cancelCore(c);
    this.setCoreState(c, C_IDLE);
    this.charged[c] = this.now;
  }

  // ------------------------------------------------ pmd-maxsleep spin

  /** Σ_{i<j} min(s + i, M): µs slept in the first j rounds of a spin that starts at sleep step s. */
  private static sleepSum(s: number, M: number, j: number): number {
    if (j <= 0) return 0;
    let a = M - s;
    if (a < 0) a = 0;
    if (a > j) a = j;
    return a * s + (a * (a - 1)) / 2 + (j - a) * M;
  }

  /** Start of round j of side core c's spin (n polls, then a sleep), cycles. */
  private roundStart(c: number, j: number): number {
    const R = this.sideN[c] * this.pollCycles;
    return this.spinStart[c] + j * R + HostModel.sleepSum(this.sideSleepUs[c], this.knobs.pmdMaxSleepUs, j) * this.cyclesPerUs;
  }

  /** The last round of c's spin that started at or before t. */
  private roundAt(c: number, t: number): number {
    const R = this.sideN[c] * this.pollCycles;
    let lo = 0;
    let hi = Math.floor((t - this.spinStart[c]) / R) + 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.roundStart(c, mid) <= t + 1e-9) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Polls done and cycles slept by side core c's spin from its start up to t (into spinPolls / spinSlept). */
  private spinAt(c: number, t: number): void {
    const n = this.sideN[c];
    if (n === 0 || t <= this.spinStart[c]) {
      this.spinPolls = 0;
      this.spinSlept = 0;
      return;
    }
    const P = this.pollCycles;
    const j = this.roundAt(c, t);
    const within = t - this.roundStart(c, j);
    const inRound = Math.floor(within / P + 1e-9);
    this.spinPolls = j * n + (inRound < n ? inRound : n);
    const past = within - n * P;
    this.spinSlept = HostModel.sleepSum(this.sideSleepUs[c], this.knobs.pmdMaxSleepUs, j) * this.cyclesPerUs + (past > 0 ? past : 0);
  }

  /** Change pmd-maxsleep: spinning side cores end their spin under the old value and start anew. */
  private setPmdMaxSleep(us: number): void {
    for (const c of this.sideCores) {
      if (this.coreState[c] === C_SPIN) {
        this.chargeCore(c);
        this.stopSpin(c);
      }
    }
    this.knobs.pmdMaxSleepUs = us;
    for (let c = 0; c < this.nCores; c++) {
      if (this.sideSleepUs[c] > us) this.sideSleepUs[c] = us;
      if (this.coreRole[c] === ROLE_SIDE && this.coreState[c] === C_IDLE) this.sideNext(c);
    }
  }

  /**
   * Side core c is free at `now`: one visit goes round-robin from its position,
   * serving each queue with work (one budget each) until the visit's work
   * reaches VISIT_MERGE_CYCLES or VISIT_MAX_QUEUES queues; polled queues found
   * empty on the way cost an empty poll each. With no work anywhere it spins.
   */
  private sideNext(c: number): void {
    const n = this.sideN[c];
    const owed = this.sideOwed[c];
    this.sideOwed[c] = 0;
    const base = c * this.nQ;
    const pos = n > 0 ? this.sidePos[c] % n : 0;
    const now = this.now;
    this.svcN[c] = 0;
    let work = 0;
    let served = 0;
    let empty = 0;
    let reqs = 0;
    let lastK = -1;
    for (let k = 0; k < n; k++) {
      const q = this.sideList[base + ((pos + k) % n)];
      if (this.qPending[q] > 0 && this.qPausedUntil[q] <= now && (this.qPolling[q] === 1 || this.qNotified[q] === 1)) {
        for (let j = lastK + 1; j < k; j++) {
          const qj = this.sideList[base + ((pos + j) % n)];
          if (this.qPolling[qj] === 1) {
            empty++;
            this.qPolls[qj]++;
            this.qEmptyPolls[qj]++;
          }
        }
        lastK = k;
        this.takeBatch(c, q);
        work += this.takenWork;
        reqs += this.takenReq;
        served++;
        if (work >= VISIT_MERGE_CYCLES || served >= VISIT_MAX_QUEUES) break;
      }
    }
    if (served > 0) {
      if (reqs >= PMD_SLEEP_RESET_REQUESTS) this.sideSleepUs[c] = 0;
      this.sideEmptyPolls[c] += empty;
      this.sideLoops[c] += Math.floor((pos + lastK + 1) / n);
      this.sidePos[c] = (pos + lastK + 1) % n;
      this.setCoreState(c, C_VISIT);
      const end = this.setSeg(c, owed, CAT_IO, empty * this.pollCycles, CAT_EPOLL, work, CAT_IO);
      this.schedCore(c, end);
      return;
    }
    this.sidePos[c] = pos;
    if (owed > 0) {
      this.setCoreState(c, C_VISIT);
      const end = this.setSeg(c, owed, CAT_IO, 0, CAT_IO, 0, CAT_IO);
      this.schedCore(c, end);
      return;
    }
    this.setCoreState(c, C_SPIN);
    this.spinStart[c] = now;
    this.spinPos[c] = pos;
    this.cancelCore(c);
    this.setSeg(c, 0, CAT_EPOLL, 0, CAT_EPOLL, Infinity, CAT_EPOLL);
  }

  private onUnpause(q: number): void {
    if (this.qPausedUntil[q] > this.now || this.qPending[q] <= 0) return;
    const owner = this.qOwner[q];
    if (owner >= 0) {
      if (this.qPolling[q] === 0) this.qNotified[q] = 1;
      this.sideArrival(owner, q);
    } else {
      this.wakeEntity(this.devThread[this.qDev[q]], this.wakeCycles);
    }
  }

  // ---------------------------------------------------- reconfiguration

  /** Stop whatever VM core c runs (the entity goes back to the front of c's run queue). */
  private stopVmCore(c: number): void {
    if (this.coreState[c] === C_RUN) this.preempt(c);
    this.setCoreState(c, C_IDLE);
    this.coreCur[c] = -1;
  }

  /** Stop side core c: finish its batch, account its spin. */
  private stopSideCore(c: number): void {
    if (this.coreState[c] === C_SPIN) this.stopSpin(c);
    this.completeService(c);
    this.cancelCore(c);
    this.setCoreState(c, C_IDLE);
    this.coreCur[c] = -1;
  }

  private indexVmCores(): void {
    this.vmCoreArr = Int32Array.from(this.vmCoreList);
    this.vmCoreIdx.fill(-1);
    this.vmCoreList.forEach((c, i) => {
      this.vmCoreIdx[c] = i;
    });
  }

  private rebuildSideLists(): void {
    const N = this.nCores;
    this.sideN.fill(0);
    this.qSideIdx.fill(-1);
    for (let q = 0; q < this.nQ; q++) {
      const o = this.qOwner[q];
      if (o >= 0) {
        this.qSideIdx[q] = this.sideN[o];
        this.sideList[o * this.nQ + this.sideN[o]++] = q;
      }
    }
    for (let c = 0; c < N; c++) if (this.sideN[c] > 0) this.sidePos[c] %= this.sideN[c];
  }

  /** Make `side` (sorted) the side-core set; returns the modelled cost in cycles. */
  private reconfigure(side: number[]): number {
    this.reconfiguring = true;
    try {
      return this.reconfigureNow(side);
    } finally {
      this.reconfiguring = false;
    }
  }

  private reconfiguring = false;

  private reconfigureNow(side: number[]): number {
    const N = this.nCores;
    const now = this.now;
    for (let c = 0; c < N; c++) this.chargeCore(c);
    const newRole = new Uint8Array(N);
    for (const c of side) newRole[c] = ROLE_SIDE;
    let cost = 0;
    for (let c = 0; c < N; c++) {
      if (this.coreRole[c] === ROLE_VM && newRole[c] === ROLE_SIDE) this.stopVmCore(c);
      else if (this.coreRole[c] === ROLE_SIDE && newRole[c] === ROLE_VM) this.stopSideCore(c);
      else if (this.coreRole[c] === ROLE_SIDE && this.coreState[c] === C_SPIN) this.stopSpin(c);
    }
    this.coreRole.set(newRole);
    this.recountIdle();
    this.sideCores = side;
    this.vmCoreList = [];
    for (let c = 0; c < N; c++) if (newRole[c] === ROLE_VM) this.vmCoreList.push(c);
    this.indexVmCores();
    const m = this.vmCoreList.length;
    // Re-pin: threads whose core became a side core move to the VM cores (round-robin) and pay a migration.
    for (let e = 0; e < this.nEnt; e++) {
      const oc = this.entCore[e];
      if (newRole[oc] !== ROLE_SIDE) continue;
      cost += this.costs.migrationCycles;
      this.entOwedCtx[e] += this.costs.migrationCycles;
      this.entCore[e] = this.vmCoreList[e % m];
    }
    // Queues: round-robin over the side cores (or back to their vhost threads).
    const s = side.length;
    for (let q = 0; q < this.nQ; q++) {
      const owner = s === 0 ? -1 : side[q % s];
      if (owner === this.qOwner[q]) continue;
      this.qOwner[q] = owner;
      this.qNotified[q] = 0;
      this.qPausedUntil[q] = now + this.pauseCycles;
      this.heap.push(now + this.pauseCycles, q, EV_UNPAUSE);
      if (owner >= 0) {
        cost += this.costs.queueMoveCycles;
        this.sideOwed[owner] += this.costs.queueMoveCycles;
      }
    }
    this.rebuildSideLists();
    for (let c = 0; c < N; c++) {
      if (newRole[c] === ROLE_SIDE) {
        if (this.coreState[c] !== C_VISIT) this.sideNext(c);
      } else if (this.coreState[c] === C_IDLE) {
        this.dispatch(c);
      }
    }
    return cost;
  }

  private moveQueue(q: number, core: number): number {
    const old = this.qOwner[q];
    if (old === core) return 0;
    const now = this.now;
    for (const c of [old, core]) {
      if (c >= 0) {
        this.chargeCore(c);
        if (this.coreState[c] === C_SPIN) this.stopSpin(c);
      }
    }
    this.qOwner[q] = core;
    this.qNotified[q] = 0;
    this.qPausedUntil[q] = now + this.pauseCycles;
    this.heap.push(now + this.pauseCycles, q, EV_UNPAUSE);
    const cost = this.costs.queueMoveCycles;
    this.sideOwed[core] += cost;
    this.rebuildSideLists();
    for (const c of [old, core]) {
      if (c >= 0 && this.coreState[c] === C_IDLE) this.sideNext(c);
    }
    return cost;
  }

  private setPollingNow(q: number, on: boolean): void {
    const v = on ? 1 : 0;
    if (this.qPolling[q] === v) return;
    this.qPolling[q] = v;
    const owner = this.qOwner[q];
    if (owner < 0) return;
    if (!on && this.qPending[q] > 0) this.qNotified[q] = 1;
    if (this.coreState[owner] === C_SPIN) {
      this.chargeCore(owner);
      this.stopSpin(owner);
    }
    if (this.coreState[owner] === C_IDLE) this.sideNext(owner);
  }

  // ------------------------------------------------------------- loads

  private phaseIndexAt(ms: number): number {
    const n = this.scenario.phases.length;
    if (n === 0 || this.phaseTotal <= 0) return -1;
    const s = (ms / 1000) % this.phaseTotal;
    let i = n - 1;
    while (i > 0 && this.phaseStarts[i] > s + 1e-9) i--;
    return i;
  }

  private phaseAt(ms: number): string {
    const i = this.phaseIndexAt(ms);
    return i < 0 ? '' : this.scenario.phases[i].name;
  }

  private applyLoads(): void {
    const pi = this.phaseIndexAt(this.stepIndex * this.intervalMs);
    const phaseLoad = pi >= 0 ? this.scenario.phases[pi].load : {};
    for (let gi = 0; gi < this.groups.length; gi++) {
      const g = this.groups[gi];
      const ov = this.loadOverride ? this.loadOverride[g.name] : undefined;
      const load = ov ?? phaseLoad[g.name] ?? 1;
      for (const vm of g.vms) {
        if (this.vmLoad[vm] === load) continue;
        this.vmLoad[vm] = load;
        const kind = this.vmKind[vm];
        if (kind === K_CPU) {
          if (load > 0) {
            const v0 = this.vmVcpu0[vm];
            for (let e = v0; e < v0 + this.vmVcpus[vm]; e++) if (this.entState[e] === BLOCKED) this.wakeEntity(e, 0);
          }
        } else if (this.vmRate[vm] > 0) {
          if (load > 0 && this.vmArrivalOn[vm] === 0) {
            this.vmArrivalOn[vm] = 1;
            this.heap.push(this.now, vm, EV_ARRIVAL);
          }
        } else if (this.vmPopulation[vm] > 0) {
          // Load is offered work: above 1 more clients (rounded stochastically), below 1 the clients are
          // active a `load` share of the time (an on/off gate with a random phase per VM).
          const exact = this.vmPopulation[vm] * (load > 1 ? load : load > 0 ? 1 : 0);
          let target = Math.floor(exact);
          if (this.rng.next() < exact - target) target++;
          if (load > 0 && load < 1) {
            if (this.vmGateRun[vm] === 0) {
              this.vmGateRun[vm] = 1;
              this.heap.push(this.now + this.rng.next() * load * this.gateCycles, vm, EV_GATE);
            }
          } else if (this.vmGateOn[vm] === 0) {
            if (load === 0) {
              this.vmPop[vm] -= this.vmHeld[vm];
              this.vmHeld[vm] = 0;
            }
            this.openGate(vm);
          }
          this.vmTarget[vm] = target;
          this.vmChunkN[vm] = Math.max(1, Math.min(this.vmChunkMax[vm], Math.ceil(target / 2)));
          if (target > this.vmPop[vm]) {
            const add = target - this.vmPop[vm];
            this.vmPop[vm] = target;
            if (this.vmThinkCyc[vm] > 0 && kind !== K_STREAM) this.thinkPush(vm, this.now + this.thinkCycles(vm), add);
            else if (this.vmGateOn[vm] === 0) this.vmHeld[vm] += add;
            else {
              this.vmReady[vm] += add;
              this.wakeVcpus(vm);
            }
          }
        }
      }
    }
  }

  // ----------------------------------------------------------- snapshot

  /** The latency histograms behind the last snapshot (HostModelApi.intervalHistograms; valid until the next step). */
  intervalHistograms(): IntervalHistograms {
    return { total: this.totalHist, groups: this.groupHist };
  }

  private lat(h: LatencyHistogram): LatencyStats {
    return { p50: h.quantile(0.5) / 1000, p99: h.quantile(0.99) / 1000, p999: h.quantile(0.999) / 1000 };
  }

  private snapshot(): HostSnapshot {
    const N = this.nCores;
    const now = this.now;
    const iv = this.intervalCycles;
    const perSec = 1000 / this.intervalMs;
    for (let c = 0; c < N; c++) this.chargeCore(c);
    // Waiting (runnable, not running) vCPU time up to the interval's end.
    for (let e = 0; e < this.nVcpu; e++) {
      if (this.entState[e] === RUNNABLE) {
        this.vmWait[this.entVm[e]] += now - this.entRunnableSince[e];
        this.entRunnableSince[e] = now;
      }
    }
    const cores: CoreStats[] = [];
    for (let c = 0; c < N; c++) {
      const b = c * NCAT;
      const guest = this.cyc[b];
      const exit = this.cyc[b + 1];
      const io = this.cyc[b + 2];
      const emptyPoll = this.cyc[b + 3];
      const ctxSwitch = this.cyc[b + 4];
      let idle = iv - (guest + exit + io + emptyPoll + ctxSwitch);
      if (idle < 0) idle = 0;
      cores.push({ id: c, role: this.coreRole[c] === ROLE_SIDE ? 'side' : 'vm', cycles: { guest, exit, io, emptyPoll, ctxSwitch, idle } });
    }
    const sideCores: SideCoreStats[] = this.sideCores.map((c) => {
      const qs: number[] = [];
      for (let i = 0; i < this.sideN[c]; i++) qs.push(this.sideList[c * this.nQ + i]);
      return {
        coreId: c,
        loops: this.sideLoops[c],
        workCycles: this.cyc[c * NCAT + CAT_IO],
        emptyPolls: this.sideEmptyPolls[c],
        emptyPollCycles: this.cyc[c * NCAT + CAT_EPOLL],
        queues: qs,
      };
    });
    const queues: QueueStats[] = [];
    for (let q = 0; q < this.nQ; q++) {
      const vm = this.qVm[q];
      queues.push({
        id: q,
        vm,
        device: this.devIndex[this.qDev[q]],
        kind: this.qKind[q] === 1 ? 'blk' : 'net',
        owner: this.qOwner[q] < 0 ? null : this.qOwner[q],
        polling: this.qPolling[q] === 1,
        kicks: this.qKicks[q],
        polls: this.qPolls[q],
        emptyPolls: this.qEmptyPolls[q],
        requests: this.qRequests[q],
        bytes: this.qRequests[q] * this.vmBytesPerReq[vm],
        pending: this.qPending[q],
        waitCycles: this.qWaitCycles[q],
        interrupts: this.qInterrupts[q],
        workCycles: this.qWork[q],
      });
    }
    const vms: VmStats[] = [];
    for (let v = 0; v < this.nVm; v++) {
      const g = this.groups[this.vmGroup[v]];
      vms.push({
        id: v,
        name: this.vmNames[v],
        group: g.name,
        requestsPerSec: this.vmCompleted[v] * perSec,
        bytesPerSec: this.vmCompleted[v] * this.vmBytesPerReq[v] * perSec,
        guestCyclesPerSec: this.vmGuestDone[v] * perSec,
        latencyUs: this.lat(this.vmHist[v]),
        exitsPerSec: this.vmExits[v] * perSec,
        interruptsPerSec: this.vmIrqs[v] * perSec,
        vcpuRunCycles: this.vmRun[v],
        vcpuWaitCycles: this.vmWait[v],
        load: this.vmLoad[v] < 0 ? 1 : this.vmLoad[v],
      });
    }
    const groups: GroupStats[] = [];
    this.totalHist.reset();
    let reqs = 0;
    let bytes = 0;
    let exits = 0;
    let irqs = 0;
    for (let gi = 0; gi < this.groups.length; gi++) {
      const g = this.groups[gi];
      const h = this.groupHist[gi];
      h.reset();
      let r = 0;
      let b = 0;
      let gc = 0;
      for (const v of g.vms) {
        r += vms[v].requestsPerSec;
        b += vms[v].bytesPerSec;
        gc += vms[v].guestCyclesPerSec;
        exits += vms[v].exitsPerSec;
        irqs += vms[v].interruptsPerSec;
        h.merge(this.vmHist[v]);
      }
      this.totalHist.merge(h);
      reqs += r;
      bytes += b;
      const input = { requestsPerSec: r, bytesPerSec: b, guestCyclesPerSec: gc };
      groups.push({
        group: g.name,
        requestsPerSec: r,
        bytesPerSec: b,
        guestCyclesPerSec: gc,
        latencyUs: this.lat(h),
        workRate: workRate(g.kind, input),
        score: groupScore(g.kind, g.weight, input),
      });
    }
    const snap = assembleSnapshot({
      seq: this.stepIndex,
      t: (this.stepIndex + 1) * this.intervalMs,
      intervalMs: this.intervalMs,
      hz: this.hz,
      phase: this.phaseAt(this.stepIndex * this.intervalMs),
      cores, sideCores, queues, vms, groups,
    }, {
      requestsPerSec: reqs,
      bytesPerSec: bytes,
      exitsPerSec: exits,
      interruptsPerSec: irqs,
      ctxSwitchesPerSec: this.ctxSwitches * perSec,
      sideCores: this.sideCores.length,
      latencyUs: this.lat(this.totalHist),
    });
    // Reset per-interval counters.
    this.cyc.fill(0);
    this.sideLoops.fill(0);
    this.sideEmptyPolls.fill(0);
    this.qKicks.fill(0);
    this.qPolls.fill(0);
    this.qEmptyPolls.fill(0);
    this.qRequests.fill(0);
    this.qWaitCycles.fill(0);
    this.qInterrupts.fill(0);
    this.qWork.fill(0);
    this.vmCompleted.fill(0);
    this.vmGuestDone.fill(0);
    this.vmExits.fill(0);
    this.vmIrqs.fill(0);
    this.vmRun.fill(0);
    this.vmWait.fill(0);
    for (const h of this.vmHist) h.reset();
    this.ctxSwitches = 0;
    return snap;
  }
}
