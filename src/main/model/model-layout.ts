/**
 * Layout and allocation of the host model: the constructor validates the scenario and options,
 * resolves costs and knobs, allocates every typed array and lays out cores, vCPUs, I/O threads,
 * the manager thread, VMs, devices and queues; indexVmCores keeps the VM-core index.
 */
import type { Scenario } from '../../shared/scenario.ts';
import type { ModelOptions } from './api.ts';
import { DEFAULT_PROFILE, OBSERVABILITY_PROFILE_NAMES } from '../../shared/observe.ts';
import { Rng } from './rng.ts';
import { LatencyHistogram } from './histogram.ts';
import { checkScenario, HOST_DEFAULTS, resolveCosts, resolveKnobs, resolveWorkload } from './defaults.ts';
import { ModelEngine, MODEL_CONSTANTS } from './model-engine.ts';

const {
  VCPU, IOTHREAD, MANAGER, NCAT, K_BLK, K_CPU, KIND_CODE, RING_SLOTS, VM_FIFO_SLOTS, VISIT_MAX_QUEUES, GATE_PERIOD_US, WIRE_INLINE_US, WIRE_BURST_US,
} = MODEL_CONSTANTS;

/** Layout and allocation: validation, resolved costs and knobs, every typed array, the host's layout. */
export class ModelLayout extends ModelEngine {
  constructor(scenario: Scenario, options: ModelOptions) {
    super();
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
    this.nsPerCycle = 1e9 / this.hz;
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
    this.vmGateOpenAt = new Float64Array(nVm);
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

  protected indexVmCores(): void {
    this.vmCoreArr = Int32Array.from(this.vmCoreList);
    this.vmCoreIdx.fill(-1);
    this.vmCoreList.forEach((c, i) => {
      this.vmCoreIdx[c] = i;
    });
  }
}
