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
import type { Scenario } from '../../shared/scenario.ts';
import type { HostInfo } from '../../shared/control.ts';
import type { HostSnapshot } from '../../shared/snapshot.ts';
import type { HostModelApi, ModelOptions } from './api.ts';
import { observabilityOf } from '../../shared/observe.ts';
import { ModelSnapshots } from './model-snapshot.ts';

/** Create a host model for a scenario (see HostModel). */
export function createHostModel(scenario: Scenario, options: ModelOptions): HostModel {
  return new HostModel(scenario, options);
}

/**
 * A discrete-event model of one virtualized host; implements HostModelApi
 * (and so HostControl). Refuses impossible scenarios with an Error.
 */
export class HostModel extends ModelSnapshots implements HostModelApi {
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
}
