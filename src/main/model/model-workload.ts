/**
 * The workload and phase driver of the host model: which phase is in force, the per-group load
 * overrides (what-if), and applying loads as offered work at each interval.
 */
import { MODEL_CONSTANTS } from './model-engine.ts';
import { ModelControl } from './model-control.ts';

const { EV_ARRIVAL, EV_GATE, BLOCKED, K_STREAM, K_CPU } = MODEL_CONSTANTS;

/** The workload and phase driver: phases, load overrides, loads applied as offered work. */
export class ModelWorkload extends ModelControl {
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

  protected phaseIndexAt(ms: number): number {
    const n = this.scenario.phases.length;
    if (n === 0 || this.phaseTotal <= 0) return -1;
    const s = (ms / 1000) % this.phaseTotal;
    let i = n - 1;
    while (i > 0 && this.phaseStarts[i] > s + 1e-9) i--;
    return i;
  }

  protected phaseAt(ms: number): string {
    const i = this.phaseIndexAt(ms);
    return i < 0 ? '' : this.scenario.phases[i].name;
  }

  protected applyLoads(): void {
    const pi = this.phaseIndexAt(this.stepIndex * this.intervalMs);
    const phaseLoad = pi >= 0 ? this.scenario.phases[pi].load : {};
    for (let gi = 0; gi < this.groups.length; gi++) {
      const g = this.groups[gi];
      // Own names only: a group named '__proto__' or 'constructor' must not read Object.prototype's.
      const ov = this.loadOverride && Object.hasOwn(this.loadOverride, g.name) ? this.loadOverride[g.name] : undefined;
      const load = ov ?? (Object.hasOwn(phaseLoad, g.name) ? phaseLoad[g.name] : undefined) ?? 1;
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
              // The clients' first active period (the gate is open) ends at a random point of one.
              this.vmGateRun[vm] = 1;
              this.vmGateOpenAt[vm] = this.now;
              this.heap.push(this.now + this.rng.next() * load * this.gateCycles, vm, EV_GATE);
            }
          } else {
            // A gate draining has no event pending (gateDrained schedules it): the cycle ends here.
            if (this.vmGateRun[vm] === 2) this.vmGateRun[vm] = 0;
            if (this.vmGateOn[vm] === 0) {
              if (load === 0) {
                this.vmPop[vm] -= this.vmHeld[vm];
                this.vmHeld[vm] = 0;
              }
              this.openGate(vm);
            }
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
}
