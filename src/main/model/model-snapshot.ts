/**
 * Snapshot collection of the host model: per interval, the cycles, counters and latency histograms
 * into one HostSnapshot (and the counters reset).
 */
import type { CoreStats, GroupStats, HostSnapshot, LatencyStats, QueueStats, SideCoreStats, VmStats } from '../../shared/snapshot.ts';
import type { IntervalHistograms } from './api.ts';
import { LatencyHistogram } from './histogram.ts';
import { groupScore, workRate } from '../../shared/score.ts';
import { assembleSnapshot } from '../../shared/host-snapshot.ts';
import { MODEL_CONSTANTS } from './model-engine.ts';
import { ModelWorkload } from './model-workload.ts';

const { RUNNABLE, ROLE_SIDE, CAT_IO, CAT_EPOLL, NCAT } = MODEL_CONSTANTS;

/** Snapshot collection: an interval's cycles, counters and histograms into one HostSnapshot. */
export class ModelSnapshots extends ModelWorkload {
  /** The latency histograms behind the last snapshot (HostModelApi.intervalHistograms; valid until the next step). */
  intervalHistograms(): IntervalHistograms {
    return { total: this.totalHist, groups: this.groupHist };
  }

  protected lat(h: LatencyHistogram): LatencyStats {
    return { p50: h.quantile(0.5) / 1000, p99: h.quantile(0.99) / 1000, p999: h.quantile(0.999) / 1000 };
  }

  protected snapshot(): HostSnapshot {
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
