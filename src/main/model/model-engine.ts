/**
 * The event engine of the host model (see host-model.ts for the whole): its constants, every
 * field of the model (one object shape for the class chain ModelEngine ← ModelLayout ←
 * ModelControl ← ModelWorkload ← ModelSnapshots ← HostModel), and the hot path — the event loop
 * (runUntil), the core tournament tree, the CFS-like scheduler, guests, virtqueues, I/O threads
 * (with their polling), side cores (with pmd-maxsleep), device and NIC completions, interrupts.
 * Typed arrays, no allocation per event, no closures. The constants are module-local here (an
 * imported or exported binding is a module-cell load in the hot loop), the hot path's as const
 * enums, and reach the other model files as MODEL_CONSTANTS.
 */
import type { Scenario, WorkloadKind } from '../../shared/scenario.ts';
import { type ObservabilityProfile } from '../../shared/observe.ts';
import { EventHeap } from './heap.ts';
import { Rng } from './rng.ts';
import { LatencyHistogram } from './histogram.ts';
import { type CostParams, type ResolvedKnobs, type ResolvedWorkload } from './defaults.ts';

// The hot path's constants are const enums: TypeScript's transform (esbuild, in tsx, vitest and the
// build) writes each use as its number. A module-level `const` is a context-slot load and a hole
// check in bytecode (6 bytes a use): TurboFan folds them away, but they count against V8's inlining
// budgets (460 bytes of bytecode per function, 920 per compiled handler), and with them chargeCore
// was 466 bytes and never inlined (docs/model.md, "Speed").

/** Event kinds (low 3 bits of the kind word; core events carry a token above). */
const enum Ev {
  WAKE = 1,
  BLK = 2,
  THINK = 3,
  ARRIVAL = 4,
  UNPAUSE = 5,
  GATE = 6,
}

/** Entity kinds. */
const enum Ent {
  VCPU = 0,
  IOTHREAD = 1,
  /** The I/O core manager's own thread (when on; docs/model.md, "Knobs"). */
  MANAGER = 2,
}

/** Entity states. */
const enum St {
  BLOCKED = 0,
  RUNNABLE = 1,
  RUNNING = 2,
  WAKING = 3,
}

/** Core roles. */
const enum Role {
  VM = 0,
  SIDE = 1,
}

/** Core states. */
const enum Core {
  IDLE = 0,
  RUN = 1,
  SPIN = 2,
  VISIT = 3,
}

/** Cycle categories (CoreCycles order). */
const enum Cat {
  GUEST = 0,
  EXIT = 1,
  IO = 2,
  EPOLL = 3,
  CTX = 4,
  /** A side core asleep (pmd-maxsleep): counted as idle in snapshots. */
  SLEEP = 5,
  /** The number of categories (per-core stride of `cyc`). */
  COUNT = 6,
}

/** Workload kind codes (see KIND_CODE). */
const enum Work {
  STREAM = 0,
  BLK = 4,
  CPU = 5,
}
const KIND_CODE: Record<WorkloadKind, number> = { 'net-stream': 0, 'net-rr': 1, kv: 2, web: 3, blk: 4, cpu: 5 };

// Both sizes are powers of two, so ring indices (never negative) wrap with a mask instead of `%`
// (V8's modulo handles negative operands: a few instructions more on every push and pop).
/** Ring entries per virtqueue (batches; each batch may hold many requests). */
const enum Ring {
  SLOTS = 256,
  MASK = SLOTS - 1,
}

/** Completion / think FIFO entries per VM. */
const enum Fifo {
  SLOTS = 512,
  MASK = SLOTS - 1,
}

/** OVS resets a PMD's sleep when an iteration finds at least half a batch (16 packets) on a queue. */
const PMD_SLEEP_RESET_REQUESTS = 16;
/** A side-core visit may serve up to this many queues in one event... */
const VISIT_MAX_QUEUES = 8;
/** ...while its accumulated host work stays below this many cycles (bounds the timing error of merging). */
const VISIT_MERGE_CYCLES = 20000;
/** Open-loop backlog cap per VM (requests waiting for guest CPU). */
const OPEN_LOOP_BACKLOG = 100000;
/**
 * Closed loops below load 1 alternate on/off with this period (µs); the clients are active a `load`
 * share of it (docs/model.md, "Load"). It must be long against a closed loop's own time constants —
 * a guest chunk (the default stream's 32 requests × 16 µs ≈ 0.5 ms) and the drain of its window (64 ×
 * 64 KiB ≈ 1.3 ms of a 25 Gbit/s line) — and short against the 100-ms interval, which then averages
 * several cycles: ≥ 10 × 1.3 ms and ≤ 100 ms / 5 gives [13, 20] ms. At 2 ms the default stream did
 * 12 % of its full-load work at load 0.2 (the on time was shorter than one chunk).
 */
const GATE_PERIOD_US = 20000;
/** A net batch whose wire time ends within this many µs of its processing completes at once (no event). */
const WIRE_INLINE_US = 8;
/** A VM's wire share is a token bucket this many µs deep: a light flow's batch goes at line rate. */
const WIRE_BURST_US = 50;

/** Placeholders of the hot typed-array fields until the layout allocates them (same maps). */
const EMPTY_F64 = new Float64Array(0);
const EMPTY_I32 = new Int32Array(0);
const EMPTY_U8 = new Uint8Array(0);

/** Why a knob value is refused, or null. */
export function knobError(name: string, v: unknown, max: number): string | null {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > max) return `${name} must be a number in 0..${max}, got ${JSON.stringify(v)}`;
  return null;
}

/**
 * The engine's constants for the other model files, which destructure them into module-local
 * consts. (The engine keeps its own non-exported: an exported binding is a module-cell load with a
 * hole check in the hot loop, ~15 % slower.) The const enums have no runtime object: each is listed.
 */
export const MODEL_CONSTANTS = {
  EV_WAKE: Ev.WAKE, EV_BLK: Ev.BLK, EV_THINK: Ev.THINK, EV_ARRIVAL: Ev.ARRIVAL,
  EV_UNPAUSE: Ev.UNPAUSE, EV_GATE: Ev.GATE, VCPU: Ent.VCPU, IOTHREAD: Ent.IOTHREAD,
  MANAGER: Ent.MANAGER, BLOCKED: St.BLOCKED, RUNNABLE: St.RUNNABLE, RUNNING: St.RUNNING,
  WAKING: St.WAKING, ROLE_VM: Role.VM, ROLE_SIDE: Role.SIDE, C_IDLE: Core.IDLE, C_RUN: Core.RUN,
  C_SPIN: Core.SPIN, C_VISIT: Core.VISIT, CAT_GUEST: Cat.GUEST, CAT_EXIT: Cat.EXIT, CAT_IO: Cat.IO,
  CAT_EPOLL: Cat.EPOLL, CAT_CTX: Cat.CTX, CAT_SLEEP: Cat.SLEEP, PMD_SLEEP_RESET_REQUESTS,
  NCAT: Cat.COUNT, K_STREAM: Work.STREAM, K_BLK: Work.BLK, K_CPU: Work.CPU, KIND_CODE,
  RING_SLOTS: Ring.SLOTS, VM_FIFO_SLOTS: Fifo.SLOTS, VISIT_MAX_QUEUES, VISIT_MERGE_CYCLES,
  OPEN_LOOP_BACKLOG, GATE_PERIOD_US, WIRE_INLINE_US, WIRE_BURST_US,
} as const;

/** The event engine: fields, events, scheduling, guests, queues, I/O threads, side cores, completions (the hot path). */
export class ModelEngine {
  // The hottest fields come first, initialized here so they take the object's first in-object
  // slots (fields are laid out in the order they are first assigned). TurboFan's load
  // elimination tracks only an object's first 32 slots: a field further down is reloaded from
  // `this` on every use, one in the first slots once per compiled handler (−3 % instructions per
  // event; docs/model.md, "Speed"). The layout's constructor replaces the empty arrays.

  /** Current time, cycles. */
  protected now = 0;

  protected coreState: Uint8Array = EMPTY_U8;

  protected coreCur: Int32Array = EMPTY_I32;

  protected entKind: Uint8Array = EMPTY_U8;

  protected entVm: Int32Array = EMPTY_I32;

  protected entState: Uint8Array = EMPTY_U8;

  protected entVrt: Float64Array = EMPTY_F64;

  protected charged: Float64Array = EMPTY_F64;

  protected p0End: Float64Array = EMPTY_F64;

  protected p1End: Float64Array = EMPTY_F64;

  protected p2End: Float64Array = EMPTY_F64;

  protected segStart: Float64Array = EMPTY_F64;

  protected cat0: Uint8Array = EMPTY_U8;

  protected cat1: Uint8Array = EMPTY_U8;

  protected cat2: Uint8Array = EMPTY_U8;

  protected cfLen: Int32Array = EMPTY_I32;

  protected entRemaining: Float64Array = EMPTY_F64;

  protected entOwedCtx: Float64Array = EMPTY_F64;

  protected entOwedExit: Float64Array = EMPTY_F64;

  protected entRunnableSince: Float64Array = EMPTY_F64;

  protected entSegReq: Float64Array = EMPTY_F64;

  protected entCore: Int32Array = EMPTY_I32;

  protected vmReady: Float64Array = EMPTY_F64;

  protected qPending: Float64Array = EMPTY_F64;

  /** Scheduler's minimum vruntime (monotonic). */
  protected minVrt = 0;

  protected rqLen = 0;

  protected coreRole: Uint8Array = EMPTY_U8;

  /**
   * Each core has at most one pending event (the end of its current segment or a
   * side core's next poll). They live outside the heap in a tournament tree
   * (min over cores, O(log cores) update), so rescheduling or cancelling a
   * core's event is in place and leaves nothing stale behind.
   */
  protected coreNext: Float64Array = EMPTY_F64;

  protected coreTree: Int32Array = EMPTY_I32;

  /** The VM cores' shared run queue: a binary min-heap on vruntime, ties by entity id (rqPush, rqPopMin). */
  protected rqBuf: Int32Array = EMPTY_I32;

  declare protected scenario: Scenario;

  declare protected costs: CostParams;

  declare protected seed: number;

  declare protected rng: Rng;

  protected readonly heap = new EventHeap(4096);

  /**
   * Wake-ups due `wakeCycles` after they are made (all but the rare immediate ones) are in time
   * order as made (`wakeCycles` is set once, in the layout), so they wait in this FIFO ring instead
   * of the heap (≈ 5 % fewer instructions per event on `default`). A wake-up due at the same cycle
   * as a core or heap event is taken after it.
   */
  protected wkTime = new Float64Array(256);

  protected wkEnt = new Int32Array(256);

  protected wkHead = 0;

  protected wkLen = 0;

  declare protected hz: number;

  declare protected intervalMs: number;

  declare protected intervalCycles: number;

  /** Nanoseconds per cycle (1e9 / hz), for latencies: computed once, not divided per completion. */
  declare protected nsPerCycle: number;

  declare protected cyclesPerUs: number;

  declare protected nCores: number;

  // Derived costs in cycles.
  declare protected exitCycles: number;

  declare protected eliCycles: number;

  declare protected ctxCycles: number;

  declare protected wakeCycles: number;

  declare protected sliceCycles: number;

  declare protected wakeGranCycles: number;

  declare protected sleeperCycles: number;

  declare protected pollCycles: number;

  declare protected pauseCycles: number;

  declare protected gateCycles: number;

  declare protected wireInlineCycles: number;

  declare protected wireBurstCycles: number;

  declare protected workJitter: number;

  /** NIC line rate per direction, bytes per cycle. */
  declare protected nicBytesPerCycle: number;

  protected stepIndex = 0;

  protected events = 0;

  /** Events processed per kind (0 core, 1 wake, 2 blk, 3 think, 4 arrival, 5 unpause), for benchmarks and tuning. */
  readonly eventKinds = new Float64Array(8);

  protected loadOverride: Record<string, number> | null = null;

  protected readonly phaseStarts: number[] = [];

  declare protected phaseTotal: number;

  // Cores (the hottest per-core arrays are at the top of the class).

  declare protected treeLeaves: number;

  declare protected cyc: Float64Array;

  declare protected runStart: Float64Array;

  // In-service batch per core (I/O thread run or side-core visit).
  declare protected svcQ: Int32Array;

  declare protected svcN: Int32Array;

  declare protected svcTimes: Float64Array;

  declare protected svcCounts: Float64Array;

  declare protected svcCap: number;

  // Side cores.
  declare protected sideList: Int32Array;

  declare protected sideN: Int32Array;

  declare protected sidePos: Int32Array;

  declare protected spinStart: Float64Array;

  declare protected spinPos: Int32Array;

  declare protected sideOwed: Float64Array;

  declare protected sideLoops: Float64Array;

  declare protected sideEmptyPolls: Float64Array;

  /** pmd-maxsleep: each side core's current sleep step (µs) at the start of its spin. */
  declare protected sideSleepUs: Float64Array;

  /** Results of spinAt(): polls done and cycles slept from a spin's start up to a time. */
  protected spinPolls = 0;

  protected spinSlept = 0;

  protected sideCores: number[] = [];

  protected vmCoreList: number[] = [];

  /** VM cores as a typed array, and each core's index in it (-1 for side cores). */
  protected vmCoreArr: Int32Array = new Int32Array(0);

  declare protected vmCoreIdx: Int32Array;

  // Entities (vCPUs then I/O threads; the hottest arrays are at the top of the class).
  declare protected nEnt: number;

  declare protected nVcpu: number;

  declare protected entDev: Int32Array;

  /** I/O thread: polling its queues after running out of work (QEMU aio_poll / vhost busyloop). */
  declare protected entPolling: Uint8Array;

  /** I/O thread: when its current idle period (poll, then block) began — QEMU's block_ns runs from here. */
  declare protected entIdleSince: Float64Array;

  /** blk I/O thread: the adaptive poll window in ns (QEMU AioContext poll_ns). */
  declare protected entPollNs: Float64Array;

  /** Number of I/O threads polling now. */
  protected nPolling = 0;

  /** The knobs in force (host.knobs, changed by control actions). */
  declare protected knobs: ResolvedKnobs;

  /** The manager's thread (entity id) and state: on, and the side core it runs on (-1: floats over VM cores). */
  declare protected mgrEnt: number;

  protected mgrOn = false;

  protected mgrCore = -1;

  // VMs.
  declare protected nVm: number;

  protected readonly vmNames: string[] = [];

  declare protected vmGroup: Int32Array;

  declare protected vmKind: Uint8Array;

  declare protected vmVcpu0: Int32Array;

  declare protected vmVcpus: Int32Array;

  declare protected vmQ0: Int32Array;

  declare protected vmQN: Int32Array;

  declare protected vmQList: Int32Array;

  declare protected vmQrr: Int32Array;

  declare protected vmHash: Uint8Array;

  declare protected vmGuestCyc: Float64Array;

  declare protected vmBytesPerReq: Float64Array;

  declare protected vmHostCycPerReq: Float64Array;

  declare protected vmMaxBatch: Float64Array;

  declare protected vmChunkN: Float64Array;

  declare protected vmChunkMax: Float64Array;

  declare protected vmThinkCyc: Float64Array;

  declare protected vmDevLatCyc: Float64Array;

  declare protected vmRate: Float64Array;

  /**
   * NIC, per VM and direction (tx = requestBytes, rx = responseBytes): bytes per request, this
   * interval's share of the line rate (bytes/cycle), when the VM's wire queue is busy until, and
   * the bytes sent this interval (for the next interval's shares). See wireShares().
   */
  declare protected vmTxBytes: Float64Array;

  declare protected vmRxBytes: Float64Array;

  declare protected vmTxShare: Float64Array;

  declare protected vmRxShare: Float64Array;

  declare protected vmTxFree: Float64Array;

  declare protected vmRxFree: Float64Array;

  declare protected vmTxSent: Float64Array;

  declare protected vmRxSent: Float64Array;

  /** Closed loop below load 1: gate on (clients active), gate events running, requests held while off. */
  declare protected vmGateOn: Uint8Array;

  declare protected vmGateRun: Uint8Array;

  /** When the VM's gate last opened (its clients' active period began). */
  declare protected vmGateOpenAt: Float64Array;

  declare protected vmHeld: Float64Array;

  declare protected vmPopulation: Float64Array;

  declare protected vmLoad: Float64Array;

  declare protected vmPop: Float64Array;

  declare protected vmTarget: Float64Array;

  /** Per queue: a completion interrupt is pending (not yet handled by the guest). */
  declare protected qIrqPending: Uint8Array;

  declare protected vmArrivalOn: Uint8Array;

  declare protected cfTime: Float64Array;

  declare protected cfCount: Float64Array;

  declare protected cfHead: Int32Array;

  declare protected thTime: Float64Array;

  declare protected thCount: Float64Array;

  declare protected thHead: Int32Array;

  declare protected thLen: Int32Array;

  protected readonly vmHist: LatencyHistogram[] = [];

  // Per-interval VM counters.
  declare protected vmCompleted: Float64Array;

  declare protected vmGuestDone: Float64Array;

  declare protected vmExits: Float64Array;

  declare protected vmIrqs: Float64Array;

  declare protected vmRun: Float64Array;

  declare protected vmWait: Float64Array;

  // Devices.
  declare protected nDev: number;

  declare protected devVm: Int32Array;

  declare protected devQ0: Int32Array;

  declare protected devQN: Int32Array;

  declare protected devRr: Int32Array;

  declare protected devThread: Int32Array;

  declare protected devIndex: Int32Array;

  /** blk: device time per I/O at its IOPS/bandwidth ceiling (cycles), and when the device is busy until. */
  declare protected devCycPerIo: Float64Array;

  declare protected devFree: Float64Array;

  // Queues.
  declare protected nQ: number;

  declare protected qVm: Int32Array;

  declare protected qDev: Int32Array;

  declare protected qKind: Uint8Array;

  declare protected qOwner: Int32Array;

  declare protected qPolling: Uint8Array;

  declare protected qNotified: Uint8Array;

  declare protected qPausedUntil: Float64Array;

  declare protected qSideIdx: Int32Array;

  /** vCPU (entity id) that takes this queue's completion interrupts. */
  declare protected qIrqVcpu: Int32Array;

  declare protected ringTime: Float64Array;

  declare protected ringCount: Float64Array;

  declare protected ringHead: Int32Array;

  declare protected ringLen: Int32Array;

  declare protected dvDone: Float64Array;

  declare protected dvTime: Float64Array;

  declare protected dvCount: Float64Array;

  declare protected dvHead: Int32Array;

  declare protected dvLen: Int32Array;

  declare protected dvLast: Float64Array;

  // Per-interval queue counters.
  declare protected qKicks: Float64Array;

  declare protected qPolls: Float64Array;

  declare protected qEmptyPolls: Float64Array;

  declare protected qRequests: Float64Array;

  declare protected qWaitCycles: Float64Array;

  declare protected qInterrupts: Float64Array;

  declare protected qWork: Float64Array;

  protected ctxSwitches = 0;

  // Groups.
  protected readonly groups: { name: string; weight: number; kind: WorkloadKind; w: ResolvedWorkload; vms: number[] }[] = [];

  protected readonly groupHist: LatencyHistogram[] = [];

  protected readonly totalHist = new LatencyHistogram();

  /** The observability profile declared in info() (what a loop on this host may see). */
  declare protected observeProfile: ObservabilityProfile;

  /** Test hook: verify scheduler invariants after every event (slow; off by default). */
  checking = false;

  /** Core whose event was taken but whose tree path is not yet updated (see step()). */
  protected dirtyCore = -1;

  /** Number of VM cores in state Core.IDLE. */
  protected nIdleVm = 0;

  /** Host cycles and requests of the batch last taken by takeBatch (fields, so the doubles are not boxed on return). */
  protected takenWork = 0;

  protected takenReq = 0;

  /** Set when completeService completed a net batch at once (an interrupt is due for its queue). */
  protected qCompleted = 0;

  protected reconfiguring = false;

  /**
   * Share the NIC's line rate between net VMs for the next interval, per direction, as a fair
   * queueing NIC/qdisc would (fq_codel, Linux's default): each VM gets up to twice what it sent
   * last interval — at least twice its share if it was held back by the wire, unbounded if it is
   * new — water-filled so the shares sum to the line rate; what is left is split evenly. A light
   * flow does not queue behind a bulk one, and the line rate is not left unused for it.
   *
   * A VM that sent nothing (idle, e.g. its phase load is 0) takes no part in the water-filling, so
   * the active VMs keep the whole line rate; if it starts sending within the interval it may send at
   * an equal split (line rate / net VMs), and from the next interval on it is shared like the others.
   * For the rest of that one interval the aggregate can exceed the line rate by that split. (Before,
   * its share was what was left over, 0 when bulk flows took it all, and its first batch then found
   * the wire free only at t = ∞: on `day` every web, kv and stream VM that idled through a phase
   * beside a wire-limited stream sent nothing for the rest of the run.)
   *
   * A VM still held back by the wire (its bucket's arrival time ahead of now) keeps its backlog in
   * bytes across the change of share: its arrival time is rescaled by old share / new share.
   */
  protected wireShares(): void {
    this.shareDirection(this.vmTxBytes, this.vmTxSent, this.vmTxFree, this.vmTxShare);
    this.shareDirection(this.vmRxBytes, this.vmRxSent, this.vmRxFree, this.vmRxShare);
  }

  protected shareDirection(per: Float64Array, sent: Float64Array, free: Float64Array, share: Float64Array): void {
    const cap = this.nicBytesPerCycle;
    const iv = this.intervalCycles;
    const now = this.now;
    const wants: number[] = [];
    const vms: number[] = [];
    const idle: number[] = [];
    for (let v = 0; v < this.nVm; v++) {
      if (per[v] <= 0) {
        share[v] = cap;
        continue;
      }
      const limited = sent[v] < 0 || free[v] > now;
      if (!limited && sent[v] === 0) {
        idle.push(v);
        continue;
      }
      vms.push(v);
      // Held back: at least twice its share (a light flow whose one batch overran a small share
      // doubles it, where an unbounded want took an equal split and left most of it unused).
      const want = (2 * sent[v]) / iv;
      wants.push(sent[v] < 0 ? Infinity : limited && want < 2 * share[v] ? 2 * share[v] : want);
      sent[v] = 0;
    }
    const split = cap / (vms.length + idle.length);
    for (const v of idle) share[v] = split;
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
    for (let i = 0; i < vms.length; i++) {
      const v = vms[i];
      const s = got[i] + extra;
      if (free[v] > now && share[v] > 0) free[v] = now + ((free[v] - now) * share[v]) / s;
      share[v] = s;
    }
  }

  /**
   * Process every event up to tEnd. A function of its own with nothing after the loop: when V8
   * compiled the loop on-stack inside step(), the code after the loop had no type feedback yet,
   * and that compiled loop deoptimized at its exit on every step.
   */
  protected runUntil(tEnd: number): void {
    const heap = this.heap;
    const next = this.coreNext;
    const tree = this.coreTree;
    // Events counted in locals, added to the fields when the loop ends (handlers add the events
    // they handle inline to the fields themselves).
    let nCore = 0;
    let nHeap = 0;
    for (;;) {
      const c = tree[1];
      const ct = next[c];
      const ht = heap.size > 0 ? heap.times[0] : Infinity;
      const wt = this.wkLen > 0 ? this.wkTime[this.wkHead] : Infinity;
      if (wt < ht && wt < ct) {
        if (wt > tEnd) {
          this.addEvents(nCore, nHeap);
          break;
        }
        const e = this.wkEnt[this.wkHead];
        this.wkHead = (this.wkHead + 1) & (this.wkTime.length - 1);
        this.wkLen--;
        this.now = wt;
        nHeap++;
        this.eventKinds[Ev.WAKE]++;
        this.onWake(e);
        if (this.dirtyCore >= 0) this.schedCore(this.dirtyCore, this.coreNext[this.dirtyCore]);
        if (this.checking) this.checkInvariants('event 1');
      } else if (ct <= ht) {
        if (ct > tEnd) {
          this.addEvents(nCore, nHeap);
          break;
        }
        this.now = ct;
        // Cancel lazily: most handlers reschedule the core anyway (one tree update instead of two).
        next[c] = Infinity;
        this.dirtyCore = c;
        nCore++;
        this.onCore(c);
        if (this.dirtyCore === c) this.schedCore(c, Infinity);
        if (this.checking) this.checkInvariants('core');
      } else {
        if (ht > tEnd) {
          this.addEvents(nCore, nHeap);
          break;
        }
        heap.pop();
        this.now = heap.lastTime;
        nHeap++;
        this.handle(heap.lastEnt, heap.lastKind);
        if (this.dirtyCore >= 0) this.schedCore(this.dirtyCore, this.coreNext[this.dirtyCore]);
        if (this.checking) this.checkInvariants('event ' + (heap.lastKind & 7));
      }
    }
  }

  /** Count the core and heap events runUntil processed (core events are eventKinds[0]). */
  protected addEvents(nCore: number, nHeap: number): void {
    this.events += nCore + nHeap;
    this.eventKinds[0] += nCore;
  }

  /** Throw if a running thread is not on its core, a core runs a blocked thread, or a VM core is idle with work queued. */
  checkInvariants(where: string): void {
    for (let e = 0; e < this.nEnt; e++) {
      if (this.entState[e] === St.RUNNING && this.coreCur[this.entCore[e]] !== e) {
        throw new Error(`${where} t=${this.now}: entity ${e} St.RUNNING but core ${this.entCore[e]} runs ${this.coreCur[this.entCore[e]]}`);
      }
    }
    let minC = 0;
    for (let c = 1; c < this.nCores; c++) if (this.coreNext[c] < this.coreNext[minC]) minC = c;
    if (this.coreNext[this.coreTree[1]] !== this.coreNext[minC]) throw new Error(`${where} t=${this.now}: core event tree out of date`);
    let idle = 0;
    for (let c = 0; c < this.nCores; c++) if (this.coreRole[c] === Role.VM && this.coreState[c] === Core.IDLE) idle++;
    if (idle !== this.nIdleVm) throw new Error(`${where} t=${this.now}: ${idle} idle VM cores, counted ${this.nIdleVm}`);
    for (let c = 0; c < this.nCores; c++) {
      const e = this.coreCur[c];
      if (e >= 0 && (this.entState[e] !== St.RUNNING || this.coreRole[c] !== Role.VM)) throw new Error(`${where} t=${this.now}: core ${c} has entity ${e} in state ${this.entState[e]}`);
      if (this.coreRole[c] === Role.VM && this.coreState[c] === Core.IDLE && this.rqLen > 0) throw new Error(`${where} t=${this.now}: VM core ${c} idle with ${this.rqLen} runnable`);
    }
  }

  protected handle(ent: number, kindWord: number): void {
    this.eventKinds[kindWord & 7]++;
    switch (kindWord & 7) {
      case Ev.WAKE:
        this.onWake(ent);
        break;
      case Ev.BLK:
        this.onBlk(ent);
        break;
      case Ev.THINK:
        this.onThink(ent);
        break;
      case Ev.ARRIVAL:
        this.onArrival(ent);
        break;
      case Ev.UNPAUSE:
        this.onUnpause(ent);
        break;
      case Ev.GATE:
        this.onGate(ent);
        break;
    }
  }

  /** Set core c's pending event time (Infinity cancels it). */
  protected schedCore(c: number, t: number): void {
    if (c === this.dirtyCore) this.dirtyCore = -1;
    const next = this.coreNext;
    const tree = this.coreTree;
    next[c] = t;
    let i = (this.treeLeaves + c) >> 1;
    // Two levels per pass: V8 re-checks both arrays (map, length, data pointer) at the top of
    // every loop iteration, so half the iterations do half those checks (-0.7 % instructions).
    while (i >= 1) {
      const a = tree[2 * i];
      const b = tree[2 * i + 1];
      // b if next[b] < next[a], else a (ties to the left), without a data-dependent branch.
      const w = a ^ ((a ^ b) & -Number(next[b] < next[a]));
      // Stop once a node's winner is unchanged and is not c: neither that winner nor its time
      // changed, so no ancestor can change (the same tree as a full walk, in fewer steps). A node
      // still holding c, or now holding it, must go on up: c's time is what changed. (Nodes left
      // stale by a lazy cancel are on dirtyCore's path, whose own update walks it the same way.)
      if (w === tree[i] && w !== c) return;
      tree[i] = w;
      i >>= 1;
      if (i < 1) return;
      // The next level, the same step.
      const a2 = tree[2 * i];
      const b2 = tree[2 * i + 1];
      const w2 = a2 ^ ((a2 ^ b2) & -Number(next[b2] < next[a2]));
      if (w2 === tree[i] && w2 !== c) return;
      tree[i] = w2;
      i >>= 1;
    }
  }

  protected cancelCore(c: number): void {
    if (c === this.dirtyCore) {
      this.schedCore(c, Infinity);
      return;
    }
    if (this.coreNext[c] !== Infinity) this.schedCore(c, Infinity);
  }

  /** Set core c's segment: three parts (length, category) starting at `start` (default now; later = idle until then). */
  protected setSeg(c: number, l0: number, k0: number, l1: number, k1: number, l2: number, k2: number, start: number = this.now): number {
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
  protected chargeCore(c: number): void {
    const t = this.now;
    const from = this.charged[c];
    if (t <= from) return;
    this.charged[c] = t;
    const st = this.coreState[c];
    if (st === Core.IDLE) return;
    const e = this.coreCur[c];
    const p0 = this.p0End[c];
    const p1 = this.p1End[c];
    const k2 = this.cat2[c];
    const d0 = this.overlap(this.segStart[c], p0, from, t);
    const d1 = this.overlap(p0, p1, from, t);
    let d2 = this.overlap(p1, this.p2End[c], from, t);
    const base = c * Cat.COUNT;
    const cyc = this.cyc;
    if (d0 > 0) cyc[base + this.cat0[c]] += d0;
    if (d1 > 0) cyc[base + this.cat1[c]] += d1;
    if (d2 > 0) cyc[base + k2] += d2;
    // The rare sleeping-spin part is a method of its own, and this one is kept under V8's
    // inlining limit (460 bytes of bytecode) so that it is inlined into its hot callers (onCore,
    // onWake): at 475 bytes every charge was a call.
    if (st === Core.SPIN) this.chargeSleep(c, from);
    if (st === Core.RUN && e >= 0) {
      this.entVrt[e] += d0 + d1 + d2;
      if (this.entKind[e] === Ent.VCPU) {
        const vm = this.entVm[e];
        // vCPU segments are [ctx][exit][guest].
        if (k2 !== Cat.GUEST) d2 = 0;
        this.vmGuestDone[vm] += d2;
        this.vmRun[vm] += d1 + d2;
      }
    }
  }

  /** chargeCore's part for a spin that may sleep (pmd-maxsleep): move the slept share of [from, now) from polling to sleep. */
  protected chargeSleep(c: number, from: number): void {
    if (this.knobs.pmdMaxSleepUs <= 0) return;
    const base = c * Cat.COUNT;
    const cyc = this.cyc;
    this.spinAt(c, this.now);
    const slept = this.spinSlept;
    this.spinAt(c, from);
    const d = slept - this.spinSlept;
    cyc[base + Cat.EPOLL] -= d;
    cyc[base + Cat.SLEEP] += d;
  }

  /** Length of [a, b) ∩ [lo, hi). */
  protected overlap(a: number, b: number, lo: number, hi: number): number {
    const x = a > lo ? a : lo;
    const y = b < hi ? b : hi;
    return y > x ? y - x : 0;
  }

  /** Add a runnable entity to the shared run queue (a binary min-heap on vruntime, ties by entity id). */
  protected rqPush(e: number): void {
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
  protected rqPopMin(): number {
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

  /**
   * Core c has no current entity: run the next runnable one, or go idle. `first` (≥ 0) is a
   * runnable entity the caller kept out of the run queue because it precedes everything in it
   * (so it is the one a pop would return; see onWake).
   */
  protected dispatch(c: number, first: number = -1): void {
    this.coreCur[c] = -1;
    // Claim the core while choosing (a wake-up nested in startEntity must not take it).
    this.setCoreState(c, Core.RUN);
    this.charged[c] = this.now;
    let e = first;
    while (e >= 0 || this.rqLen > 0) {
      if (e < 0) e = this.rqPopMin();
      if (this.entVrt[e] > this.minVrt) this.minVrt = this.entVrt[e];
      this.entCore[e] = c;
      this.vmWaitAdd(e);
      this.runStart[c] = this.now;
      if (this.startEntity(c, e, true)) return;
      this.blockEntity(e);
      e = -1;
    }
    this.setCoreState(c, Core.IDLE);
  }

  /** Whether runnable entity e precedes the run queue's head (lower vruntime, ties by id), or the queue is empty. */
  protected beforeRunQueue(e: number): boolean {
    if (this.rqLen === 0) return true;
    const top = this.rqBuf[0];
    const v = this.entVrt[e];
    const tv = this.entVrt[top];
    return v < tv || (v === tv && e < top);
  }

  /** Set a core's state, keeping the count of idle VM cores. */
  protected setCoreState(c: number, st: number): void {
    const old = this.coreState[c];
    // Most calls re-claim a core already running (dispatch, then startEntity): nothing to count.
    if (old === st) return;
    if (this.coreRole[c] === Role.VM) {
      if (old === Core.IDLE && st !== Core.IDLE) this.nIdleVm--;
      else if (old !== Core.IDLE && st === Core.IDLE) this.nIdleVm++;
    }
    this.coreState[c] = st;
  }

  protected recountIdle(): void {
    let n = 0;
    for (let c = 0; c < this.nCores; c++) if (this.coreRole[c] === Role.VM && this.coreState[c] === Core.IDLE) n++;
    this.nIdleVm = n;
  }

  /** An idle VM core other than c (round-robin from c), or -1. */
  protected idleVmCore(c: number): number {
    if (this.nIdleVm === 0) return -1;
    const list = this.vmCoreArr;
    const m = list.length;
    const state = this.coreState;
    // Round-robin from c's position; the index wraps by subtraction (no division per step).
    let j = this.vmCoreIdx[c];
    for (let k = 1; k < m; k++) {
      if (++j >= m) j -= m;
      const o = list[j];
      if (state[o] === Core.IDLE) return o;
    }
    return -1;
  }

  protected vmWaitAdd(e: number): void {
    if (this.entKind[e] === Ent.VCPU) {
      const w = this.now - this.entRunnableSince[e];
      if (w > 0) this.vmWait[this.entVm[e]] += w;
    }
    this.entRunnableSince[e] = this.now;
  }

  /** Start a run segment of entity e on core c (claimed: Core.RUN), `delay` cycles from now. Returns false when it has nothing to do. */
  protected startEntity(c: number, e: number, fresh: boolean, delay: number = 0): boolean {
    const at = this.now + delay;
    let ctx = this.entOwedCtx[e];
    this.entOwedCtx[e] = 0;
    if (fresh) {
      ctx += this.ctxCycles;
      this.ctxSwitches++;
    }
    let exit = 0;
    let work = 0;
    let cat = Cat.GUEST;
    if (this.entKind[e] === Ent.VCPU) {
      const vm = this.entVm[e];
      if (this.cfLen[vm] > 0) this.drainCompletions(vm, delay);
      exit = this.entOwedExit[e];
      this.entOwedExit[e] = 0;
      if (this.entRemaining[e] > 0 || this.entSegReq[e] > 0) {
        work = this.entRemaining[e];
        this.entRemaining[e] = 0;
      } else if (this.vmKind[vm] === Work.CPU) {
        if (this.vmLoad[vm] > 0) work = this.sliceCycles;
      } else if (this.vmReady[vm] > 0) {
        const chunk = this.vmChunkN[vm];
        const n = this.vmReady[vm] < chunk ? this.vmReady[vm] : chunk;
        this.vmReady[vm] -= n;
        this.entSegReq[e] = n;
        work = n * this.vmGuestCyc[vm];
        if (this.workJitter > 0) work *= 1 + this.workJitter * (2 * this.rng.next() - 1);
      }
    } else if (this.entKind[e] === Ent.MANAGER) {
      cat = Cat.IO;
      work = this.entRemaining[e];
      this.entRemaining[e] = 0;
    } else {
      cat = Cat.IO;
      const d = this.entDev[e];
      const nq = this.devQN[d];
      const q0 = this.devQ0[d];
      const rr = this.devRr[d];
      // Round-robin from rr (< nq); the index wraps by subtraction (no division per queue).
      let j = rr < nq ? rr : rr % nq;
      for (let k = 0; k < nq; k++) {
        const q = q0 + j;
        if (++j >= nq) j -= nq;
        if (this.qOwner[q] < 0 && this.qPending[q] > 0 && this.qPausedUntil[q] <= this.now) {
          this.takeBatch(c, q);
          work = this.takenWork;
          this.devRr[d] = j;
          break;
        }
      }
    }
    const total = ctx + exit + work;
    if (total <= 0 && this.entSegReq[e] === 0) return false;
    // The core is already Core.RUN: every caller claimed it (dispatch, an inline wake-up) or runs on it.
    this.coreCur[c] = e;
    this.entState[e] = St.RUNNING;
    const end = this.setSeg(c, ctx, Cat.CTX, exit, Cat.EXIT, work, cat, at);
    this.schedCore(c, end);
    return true;
  }

  protected blockEntity(e: number): void {
    this.entState[e] = St.BLOCKED;
  }

  /** Wake a blocked entity after `delay` cycles (a vCPU's halt exit is charged on wake). */
  protected wakeEntity(e: number, delay: number): void {
    if (this.entState[e] !== St.BLOCKED) return;
    if (this.entKind[e] === Ent.VCPU) {
      this.entOwedExit[e] += this.exitCycles;
      this.vmExits[this.entVm[e]]++;
    } else if (this.entKind[e] === Ent.IOTHREAD) {
      this.adaptPoll(e, this.now - this.entIdleSince[e]);
    }
    // Fast path: an idle VM core (its last core first) runs it after the wake-up latency,
    // without a separate wake event; the core stays idle until then.
    let c = this.entCore[e];
    if (this.coreRole[c] !== Role.VM || this.coreState[c] !== Core.IDLE) c = this.idleVmCore(c);
    if (c >= 0 && !this.reconfiguring) {
      // The wake-up is a model event handled inline (counted like one from the heap).
      this.events++;
      this.eventKinds[Ev.WAKE]++;
      this.setCoreState(c, Core.RUN);
      this.coreCur[c] = -1;
      // Not St.BLOCKED any more: a wake-up nested in startEntity (wakeVcpus) must not take it twice.
      this.entState[e] = St.WAKING;
      const at = this.now + delay;
      this.entCore[e] = c;
      const floor = this.minVrt - this.sleeperCycles;
      if (this.entVrt[e] < floor) this.entVrt[e] = floor;
      if (this.entVrt[e] > this.minVrt) this.minVrt = this.entVrt[e];
      this.entRunnableSince[e] = at;
      this.runStart[c] = at;
      this.charged[c] = this.now;
      if (this.startEntity(c, e, true, delay)) return;
      this.setCoreState(c, Core.IDLE);
      this.coreCur[c] = -1;
      this.entState[e] = St.BLOCKED;
      return;
    }
    this.entState[e] = St.WAKING;
    if (delay === this.wakeCycles) this.wakePush(this.now + delay, e);
    else this.heap.push(this.now + delay, e, Ev.WAKE);
  }

  /** Append a wake-up to the FIFO ring (its time is ≥ every time in it: now + wakeCycles). */
  protected wakePush(t: number, e: number): void {
    let cap = this.wkTime.length;
    if (this.wkLen === cap) {
      const times = new Float64Array(cap * 2);
      const ents = new Int32Array(cap * 2);
      for (let i = 0; i < cap; i++) {
        const j = (this.wkHead + i) & (cap - 1);
        times[i] = this.wkTime[j];
        ents[i] = this.wkEnt[j];
      }
      this.wkTime = times;
      this.wkEnt = ents;
      this.wkHead = 0;
      cap *= 2;
    }
    const at = (this.wkHead + this.wkLen) & (cap - 1);
    this.wkTime[at] = t;
    this.wkEnt[at] = e;
    this.wkLen++;
  }

  protected onWake(e: number): void {
    if (this.entState[e] !== St.WAKING) return;
    this.entState[e] = St.RUNNABLE;
    this.entRunnableSince[e] = this.now;
    let c = this.entCore[e];
    if (this.coreState[c] !== Core.IDLE) {
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
    if (st === Core.RUN && this.nPolling === 0) {
      // Wake-up preemption. The woken thread joins the run queue only if it does not run at once:
      // when it precedes the queue's head, dispatch is handed it directly (the same choice as a
      // push and a pop, without either).
      const cur = this.coreCur[c];
      if (cur >= 0 && this.entKind[cur] === Ent.VCPU && this.now < this.p2End[c]) {
        this.chargeCore(c);
        if (this.entVrt[cur] - this.entVrt[e] > this.wakeGranCycles) {
          this.preempt(c, true);
          // The core stays claimed (Core.RUN): dispatch takes it over at once.
          if (this.beforeRunQueue(e)) {
            this.dispatch(c, e);
          } else {
            this.rqPush(e);
            this.dispatch(c);
          }
          return;
        }
      }
      this.rqPush(e);
      return;
    }
    this.rqPush(e);
    if (st === Core.IDLE) {
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
    }
  }

  /**
   * Stop the vCPU running on core c, keep its remaining work, put it at the front of the run queue.
   * `forWake`: onWake's wake-up preemption, which has charged the core (for its vruntime test) and
   * dispatches on it at once: the core's event is cancelled lazily and the core is not released
   * (dispatch claims it again).
   */
  protected preempt(c: number, forWake = false): void {
    if (!forWake) this.chargeCore(c);
    const cur = this.coreCur[c];
    const now = this.now;
    const p0 = this.p0End[c];
    const p1 = this.p1End[c];
    const p2 = this.p2End[c];
    if (this.entKind[cur] === Ent.VCPU) {
      if (now < p1) this.entOwedExit[cur] += p1 - (now > p0 ? now : p0);
      this.entRemaining[cur] = now < p1 ? p2 - p1 : p2 - now;
    } else if (this.entKind[cur] === Ent.MANAGER) {
      this.entRemaining[cur] = p2 > now ? p2 - (now > p1 ? now : p1) : 0;
    } else {
      // An I/O thread's batch completes at the stop (only on reconfiguration); a poll just ends.
      if (this.entPolling[cur] === 1) this.endPoll(cur);
      this.completeService(c);
    }
    if (forWake && this.dirtyCore < 0) {
      // The caller dispatches at once, which reschedules the core (see runUntil()).
      this.coreNext[c] = Infinity;
      this.dirtyCore = c;
    } else {
      this.cancelCore(c);
    }
    this.entState[cur] = St.RUNNABLE;
    this.entRunnableSince[cur] = now;
    this.rqPush(cur);
    if (forWake) return;
    this.coreCur[c] = -1;
    this.setCoreState(c, Core.IDLE);
  }

  /** The poll window of I/O thread e in cycles: blk threads adapt (QEMU), net threads use vhost poll-us. */
  protected pollWindow(e: number): number {
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
  protected adaptPoll(e: number, blockCycles: number): void {
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
  protected endPoll(e: number): void {
    this.chargeCore(this.entCore[e]);
    this.entPolling[e] = 0;
    this.nPolling--;
  }

  /** Work arrived for polling I/O thread e: it takes it at once on its core (no kick, wake-up or switch). */
  protected pollHit(e: number): void {
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
  protected pollingCore(c: number): number {
    const cur = this.coreCur[c];
    if (cur >= 0 && this.entPolling[cur] === 1) return c;
    const list = this.vmCoreArr;
    for (let i = 0; i < list.length; i++) {
      const e = this.coreCur[list[i]];
      if (e >= 0 && this.entPolling[e] === 1) return list[i];
    }
    throw new Error('model: nPolling > 0 but no polling core');
  }

  protected vcpuHasWork(e: number): boolean {
    const vm = this.entVm[e];
    // Owed exit cycles alone do not keep a vCPU running: they are paid at its next run (batched with work).
    if (this.entRemaining[e] > 0 || this.entSegReq[e] > 0 || this.cfLen[vm] > 0) return true;
    if (this.vmKind[vm] === Work.CPU) return this.vmLoad[vm] > 0;
    return this.vmReady[vm] > 0;
  }

  protected ioHasWork(e: number): boolean {
    const d = this.entDev[e];
    if (d < 0) return false;
    const q0 = this.devQ0[d];
    const nq = this.devQN[d];
    for (let q = q0; q < q0 + nq; q++) {
      if (this.qOwner[q] < 0 && this.qPending[q] > 0 && this.qPausedUntil[q] <= this.now) return true;
    }
    return false;
  }

  protected onCore(c: number): void {
    const st = this.coreState[c];
    if (st === Core.RUN) {
      this.chargeCore(c);
      const e = this.coreCur[c];
      let more: boolean;
      if (this.entKind[e] === Ent.VCPU) {
        const vm = this.entVm[e];
        const n = this.entSegReq[e];
        if (n > 0) {
          this.entSegReq[e] = 0;
          this.post(vm, e, n);
        }
        if (this.vmKind[vm] === Work.CPU) {
          const load = this.vmLoad[vm];
          if (load < 1 && this.entOwedExit[e] === 0) {
            const work = this.p2End[c] - this.p1End[c];
            this.coreCur[c] = -1;
            if (load > 0 && work > 0) {
              this.entState[e] = St.WAKING;
              this.heap.push(this.now + (work * (1 - load)) / load, e, Ev.WAKE);
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
        more = this.entKind[e] === Ent.MANAGER ? this.entRemaining[e] > 0 : this.ioHasWork(e);
        if (!more && this.entKind[e] === Ent.IOTHREAD) {
          this.entIdleSince[e] = this.now;
          // The thread polls only if nothing else is runnable: test that first (on a busy host it
          // rarely holds, and the window is then not needed).
          const w = this.rqLen === 0 ? this.pollWindow(e) : 0;
          if (w > 0) {
            this.entPolling[e] = 1;
            this.nPolling++;
            const end = this.setSeg(c, 0, Cat.EPOLL, 0, Cat.EPOLL, w, Cat.EPOLL);
            this.schedCore(c, end);
            return;
          }
        }
      }
      if (this.rqLen === 0 && this.entVrt[e] > this.minVrt) this.minVrt = this.entVrt[e];
      if (more) {
        if (this.rqLen > 0 && this.now - this.runStart[c] >= this.sliceCycles
          && this.entVrt[this.rqBuf[0]] < this.entVrt[e]) {
          this.entState[e] = St.RUNNABLE;
          this.entRunnableSince[e] = this.now;
          this.rqPush(e);
          this.dispatch(c);
          return;
        }
        if (this.startEntity(c, e, false)) return;
      }
      this.blockEntity(e);
      this.dispatch(c);
    } else if (st === Core.SPIN) {
      this.chargeCore(c);
      this.stopSpin(c);
      this.sideNext(c);
    } else if (st === Core.VISIT) {
      this.chargeCore(c);
      this.completeService(c);
      this.sideNext(c);
    }
  }

  /** A vCPU of `vm` finished guest work for n requests: post them to a virtqueue and notify. */
  protected post(vm: number, e: number, n: number): void {
    const qn = this.vmQN[vm];
    if (qn === 0) return;
    let idx: number;
    if (this.vmHash[vm] === 1) idx = Math.floor(this.rng.next() * qn);
    else {
      idx = this.vmQrr[vm];
      // (idx + 1) % qn, dividing only when it wraps (an integer division on every post is slow).
      const nx = idx + 1;
      this.vmQrr[vm] = nx < qn ? nx : nx % qn;
    }
    const q = this.vmQList[this.vmQ0[vm] + idx];
    this.ringPush(q, n);
    const owner = this.qOwner[q];
    if (owner < 0) {
      const th = this.devThread[this.qDev[q]];
      if (this.entPolling[th] === 1) {
        // The I/O thread is polling (notifications off): it sees the request now, no kick, no wake-up.
        if (this.qPausedUntil[q] <= this.now) this.pollHit(th);
      } else if (this.entState[th] === St.BLOCKED && this.qPausedUntil[q] <= this.now) {
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

  protected kick(q: number, e: number): void {
    this.qKicks[q]++;
    this.vmExits[this.entVm[e]]++;
    this.entOwedExit[e] += this.exitCycles;
  }

  protected ringPush(q: number, n: number): void {
    const t = this.now;
    const base = q * Ring.SLOTS;
    const len = this.ringLen[q];
    if (len === Ring.SLOTS) {
      // Ring full: merge into the newest batch (keeps counts; its timestamp stands for both).
      this.ringCount[base + ((this.ringHead[q] + len - 1) & Ring.MASK)] += n;
    } else {
      const i = base + ((this.ringHead[q] + len) & Ring.MASK);
      this.ringTime[i] = t;
      this.ringCount[i] = n;
      this.ringLen[q] = len + 1;
    }
    this.qPending[q] += n;
  }

  /** Append up to one budget of requests from queue q to core c's in-service batch; their host cycles go to `takenWork`. */
  protected takeBatch(c: number, q: number): void {
    const vm = this.qVm[q];
    let budget = this.vmMaxBatch[vm];
    const base = q * Ring.SLOTS;
    const sbase = c * this.svcCap;
    const cap = this.svcCap;
    let n = this.svcN[c];
    let req = 0;
    let wait = 0;
    const now = this.now;
    // The ring's head and length in locals while taking (nothing else touches this ring meanwhile).
    let h = this.ringHead[q];
    let len = this.ringLen[q];
    while (budget > 0 && len > 0 && n < cap) {
      const i = base + h;
      const cnt = this.ringCount[i];
      const t = this.ringTime[i];
      let take = cnt;
      if (take > budget) {
        take = budget;
        this.ringCount[i] = cnt - take;
      } else {
        h = (h + 1) & Ring.MASK;
        len--;
      }
      this.svcQ[sbase + n] = q;
      this.svcTimes[sbase + n] = t;
      this.svcCounts[sbase + n] = take;
      n++;
      req += take;
      wait += (now - t) * take;
      budget -= take;
    }
    this.ringHead[q] = h;
    this.ringLen[q] = len;
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

  /**
   * The batches in service on core c are done: hand them to the device (blk) or complete them to
   * the guest (net). No double is passed to or returned from a call here (the device ring push is
   * written out, the completion FIFO push takes an index, the jitter's random number comes as an
   * int32): V8 does not inline those calls into this method, and a double crossing such a call is
   * boxed in a new HeapNumber — most of the model's allocation per event.
   */
  protected completeService(c: number): void {
    const n = this.svcN[c];
    if (n === 0) return;
    const side = this.coreRole[c] === Role.SIDE;
    const sbase = c * this.svcCap;
    const jit = this.costs.deviceJitter;
    let last = -1;
    for (let i = 0; i < n; i++) {
      const si = sbase + i;
      const q = this.svcQ[si];
      if (q !== last && last >= 0) this.finishQueue(last, side);
      last = q;
      const vm = this.qVm[q];
      const cnt = this.svcCounts[si];
      this.qRequests[q] += cnt;
      const now = this.now;
      let done: number;
      if (this.qKind[q] === 1) {
        const u = (this.rng.nextI32() >>> 0) / 4294967296;
        done = now + this.vmDevLatCyc[vm] * (1 + jit * (2 * u - 1));
        // The device's IOPS / bandwidth ceiling: it serves this batch after what it already has.
        const d = this.qDev[q];
        let f = this.devFree[d];
        if (f < now) f = now;
        f += cnt * this.devCycPerIo[d];
        this.devFree[d] = f;
        if (done < f) done = f;
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
        done = tx > rx ? tx : rx;
        if (done <= now + this.wireInlineCycles && this.dvLen[q] === 0) {
          this.cfPush(vm, this.svcTimes, this.svcCounts, si);
          this.qCompleted = 1;
          continue;
        }
      }
      // Into the queue's device ring, in order (never before its previous batch); a full ring
      // merges into its newest batch. The first batch in an empty ring schedules its event.
      if (done < this.dvLast[q]) done = this.dvLast[q];
      this.dvLast[q] = done;
      const base = q * Ring.SLOTS;
      const len = this.dvLen[q];
      if (len === Ring.SLOTS) {
        this.dvCount[base + ((this.dvHead[q] + len - 1) & Ring.MASK)] += cnt;
        continue;
      }
      const k = base + ((this.dvHead[q] + len) & Ring.MASK);
      this.dvDone[k] = done;
      this.dvTime[k] = this.svcTimes[si];
      this.dvCount[k] = cnt;
      this.dvLen[q] = len + 1;
      if (len === 0) this.heap.push(done, q, Ev.BLK);
    }
    this.finishQueue(last, side);
    this.svcN[c] = 0;
  }

  protected finishQueue(q: number, side: boolean): void {
    if (this.qKind[q] === 0 && this.qCompleted === 1) this.raiseIrq(this.qVm[q], q, side);
    this.qCompleted = 0;
    if (this.qPending[q] === 0 && this.qPolling[q] === 0) this.qNotified[q] = 0;
  }

  protected onBlk(q: number): void {
    const base = q * Ring.SLOTS;
    const vm = this.qVm[q];
    const now = this.now;
    // Head and length in locals while draining (cfPush touches only the VM's completion FIFO).
    let head = this.dvHead[q];
    let len = this.dvLen[q];
    let any = false;
    while (len > 0) {
      const i = base + head;
      if (this.dvDone[i] > now) break;
      this.cfPush(vm, this.dvTime, this.dvCount, i);
      head = (head + 1) & Ring.MASK;
      len--;
      any = true;
    }
    this.dvHead[q] = head;
    this.dvLen[q] = len;
    if (any) this.raiseIrq(vm, q, this.qOwner[q] >= 0);
    if (this.dvLen[q] > 0) this.heap.push(this.dvDone[base + this.dvHead[q]], q, Ev.BLK);
  }

  /** Append a completed batch (its post time and count: `times[i]`, `counts[i]`) to vm's completion FIFO (an index, not doubles, crosses the call). */
  protected cfPush(vm: number, times: Float64Array, counts: Float64Array, i: number): void {
    const base = vm * Fifo.SLOTS;
    const len = this.cfLen[vm];
    const n = counts[i];
    if (len === Fifo.SLOTS) {
      this.cfCount[base + ((this.cfHead[vm] + len - 1) & Fifo.MASK)] += n;
      return;
    }
    const j = base + ((this.cfHead[vm] + len) & Fifo.MASK);
    this.cfTime[j] = times[i];
    this.cfCount[j] = n;
    this.cfLen[vm] = len + 1;
  }

  /**
   * Inject a completion interrupt for queue q into its vCPU. Suppressed while
   * that vCPU runs (NAPI / event-idx: its driver takes the completions at once)
   * and while one is already pending for the queue.
   */
  protected raiseIrq(vm: number, q: number, fromSide: boolean): void {
    if (this.qIrqPending[q] === 1) return;
    const target = this.qIrqVcpu[q];
    const st = this.entState[target];
    if (st === St.RUNNING) {
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
    if (st === St.BLOCKED) this.wakeEntity(target, this.wakeCycles);
  }

  /** A vCPU handles the VM's pending completions: record latency, re-issue (closed loop). */
  protected drainCompletions(vm: number, delay: number = 0): void {
    const now = this.now + delay;
    const base = vm * Fifo.SLOTS;
    const hist = this.vmHist[vm];
    const nsPerCycle = this.nsPerCycle;
    let done = 0;
    // Head and length in locals while draining (recording touches only the histogram).
    let head = this.cfHead[vm];
    let len = this.cfLen[vm];
    while (len > 0) {
      const i = base + head;
      const n = this.cfCount[i];
      hist.record((now - this.cfTime[i]) * nsPerCycle, n);
      done += n;
      head = (head + 1) & Fifo.MASK;
      len--;
    }
    this.cfHead[vm] = head;
    this.cfLen[vm] = 0;
    const q0 = this.vmQ0[vm];
    const q1 = q0 + this.vmQN[vm];
    for (let i = q0; i < q1; i++) this.qIrqPending[this.vmQList[i]] = 0;
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
    if (again > 0) {
      if (this.vmThinkCyc[vm] > 0) this.thinkPush(vm, now + this.thinkCycles(vm), again);
      else if (this.vmGateOn[vm] === 0) this.vmHeld[vm] += again;
      else {
        this.vmReady[vm] += again;
        if (this.vmVcpus[vm] > 1) this.wakeVcpus(vm);
      }
    }
    if (this.vmGateRun[vm] === 2) this.gateDrained(vm);
  }

  /** One think time of vm (± guestWorkJitter). */
  protected thinkCycles(vm: number): number {
    const t = this.vmThinkCyc[vm];
    return this.workJitter > 0 ? t * (1 + this.workJitter * (2 * this.rng.next() - 1)) : t;
  }

  /**
   * The gate of a closed loop below load 1 (docs/model.md, "Load"). It alternates: open for
   * `load` × GATE_PERIOD_US (clients issue requests), then closed (clients go quiet). What the
   * clients issued while open is still in flight when it closes (up to `depth` requests: a 64 KiB
   * stream's 64 are ≈ 1.3 ms of line rate), so their active period lasts until it has drained
   * (vmGateRun 2); only then is the closed time set, to active × (1 − load) / load, so that the
   * clients are active a `load` share of the time. (Closed for (1 − load) × the period from the
   * moment it closed, the default stream did 38 % of its full-load work at load 0.2.)
   */
  protected onGate(vm: number): void {
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
      this.vmGateRun[vm] = 2;
      this.gateDrained(vm);
    } else {
      this.openGate(vm);
      this.vmGateRun[vm] = 1;
      this.heap.push(this.now + load * this.gateCycles, vm, Ev.GATE);
    }
  }

  /** While vm's gate is closed and draining (vmGateRun 2): once nothing it issued is left in flight, schedule the reopening. */
  protected gateDrained(vm: number): void {
    if (this.vmGateOn[vm] === 1 || this.vmHeld[vm] < this.vmPop[vm]) return;
    const load = this.vmLoad[vm];
    this.vmGateRun[vm] = 1;
    const active = this.now - this.vmGateOpenAt[vm];
    // (A load that left (0, 1) meanwhile: onGate opens the gate and ends the cycle.)
    const closed = load > 0 && load < 1 ? (active * (1 - load)) / load : 0;
    this.heap.push(this.now + closed, vm, Ev.GATE);
  }

  protected openGate(vm: number): void {
    this.vmGateOn[vm] = 1;
    this.vmGateOpenAt[vm] = this.now;
    const h = this.vmHeld[vm];
    if (h > 0) {
      this.vmHeld[vm] = 0;
      this.vmReady[vm] += h;
      this.wakeVcpus(vm);
    }
  }

  protected thinkPush(vm: number, t: number, n: number): void {
    const base = vm * Fifo.SLOTS;
    const len = this.thLen[vm];
    if (len === Fifo.SLOTS) {
      this.thCount[base + ((this.thHead[vm] + len - 1) & Fifo.MASK)] += n;
      return;
    }
    const i = base + ((this.thHead[vm] + len) & Fifo.MASK);
    this.thTime[i] = t;
    this.thCount[i] = n;
    this.thLen[vm] = len + 1;
    if (len === 0) this.heap.push(t, vm, Ev.THINK);
  }

  protected onThink(vm: number): void {
    const base = vm * Fifo.SLOTS;
    let any = false;
    const held = this.vmGateOn[vm] === 0;
    while (this.thLen[vm] > 0) {
      const i = base + this.thHead[vm];
      if (this.thTime[i] > this.now) break;
      if (held) this.vmHeld[vm] += this.thCount[i];
      else this.vmReady[vm] += this.thCount[i];
      this.thHead[vm] = (this.thHead[vm] + 1) & Fifo.MASK;
      this.thLen[vm]--;
      any = true;
    }
    if (this.thLen[vm] > 0) this.heap.push(this.thTime[base + this.thHead[vm]], vm, Ev.THINK);
    if (any && !held) this.wakeVcpus(vm);
    if (held && this.vmGateRun[vm] === 2) this.gateDrained(vm);
  }

  protected onArrival(vm: number): void {
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
    this.heap.push(this.now + win * this.hz, vm, Ev.ARRIVAL);
  }

  /** Make enough of vm's vCPUs runnable for its ready work. */
  protected wakeVcpus(vm: number): void {
    const v0 = this.vmVcpu0[vm];
    const nv = this.vmVcpus[vm];
    let want = nv;
    if (this.vmKind[vm] !== Work.CPU) {
      want = Math.ceil(this.vmReady[vm] / this.vmChunkN[vm]);
      if (want > nv) want = nv;
      if (want < 1) want = 1;
    }
    let active = 0;
    for (let e = v0; e < v0 + nv; e++) if (this.entState[e] !== St.BLOCKED) active++;
    for (let e = v0; e < v0 + nv && active < want; e++) {
      if (this.entState[e] === St.BLOCKED) {
        this.wakeEntity(e, this.wakeCycles);
        active++;
      }
    }
  }

  /** Work arrived on queue q owned by side core c: if c is spinning, schedule the poll that finds it. */
  protected sideArrival(c: number, q: number): void {
    if (this.coreState[c] !== Core.SPIN || this.qPausedUntil[q] > this.now) return;
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
    this.setCoreState(c, Core.VISIT);
    const end = this.setSeg(c, slept, Cat.SLEEP, at - this.now - slept, Cat.EPOLL, work, Cat.IO);
    this.schedCore(c, end);
  }

  /** End a spin period on side core c: account its empty polls; the core is then free at `now`. */
  protected stopSpin(c: number, t: number = this.now): void {
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
    this.setCoreState(c, Core.IDLE);
    this.charged[c] = this.now;
  }

  /** Σ_{i<j} min(s + i, M): µs slept in the first j rounds of a spin that starts at sleep step s. */
  protected static sleepSum(s: number, M: number, j: number): number {
    if (j <= 0) return 0;
    let a = M - s;
    if (a < 0) a = 0;
    if (a > j) a = j;
    return a * s + (a * (a - 1)) / 2 + (j - a) * M;
  }

  /** Start of round j of side core c's spin (n polls, then a sleep), cycles. */
  protected roundStart(c: number, j: number): number {
    const R = this.sideN[c] * this.pollCycles;
    return this.spinStart[c] + j * R + ModelEngine.sleepSum(this.sideSleepUs[c], this.knobs.pmdMaxSleepUs, j) * this.cyclesPerUs;
  }

  /** The last round of c's spin that started at or before t. */
  protected roundAt(c: number, t: number): number {
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
  protected spinAt(c: number, t: number): void {
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
    this.spinSlept = ModelEngine.sleepSum(this.sideSleepUs[c], this.knobs.pmdMaxSleepUs, j) * this.cyclesPerUs + (past > 0 ? past : 0);
  }

  /**
   * Side core c is free at `now`: one visit goes round-robin from its position,
   * serving each queue with work (one budget each) until the visit's work
   * reaches VISIT_MERGE_CYCLES or VISIT_MAX_QUEUES queues; polled queues found
   * empty on the way cost an empty poll each. With no work anywhere it spins.
   */
  protected sideNext(c: number): void {
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
      this.setCoreState(c, Core.VISIT);
      const end = this.setSeg(c, owed, Cat.IO, empty * this.pollCycles, Cat.EPOLL, work, Cat.IO);
      this.schedCore(c, end);
      return;
    }
    this.sidePos[c] = pos;
    if (owed > 0) {
      this.setCoreState(c, Core.VISIT);
      const end = this.setSeg(c, owed, Cat.IO, 0, Cat.IO, 0, Cat.IO);
      this.schedCore(c, end);
      return;
    }
    this.setCoreState(c, Core.SPIN);
    this.spinStart[c] = now;
    this.spinPos[c] = pos;
    this.cancelCore(c);
    this.setSeg(c, 0, Cat.EPOLL, 0, Cat.EPOLL, Infinity, Cat.EPOLL);
  }

  protected onUnpause(q: number): void {
    if (this.qPausedUntil[q] > this.now || this.qPending[q] <= 0) return;
    const owner = this.qOwner[q];
    if (owner >= 0) {
      if (this.qPolling[q] === 0) this.qNotified[q] = 1;
      this.sideArrival(owner, q);
    } else {
      this.wakeEntity(this.devThread[this.qDev[q]], this.wakeCycles);
    }
  }
}
