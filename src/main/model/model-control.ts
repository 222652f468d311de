/**
 * Control and reconfiguration of the host model: HostControl.apply (side cores, queue owners,
 * polling, knobs, the manager), its validation, and the reconfiguration mechanics and costs.
 */
import { copyConfig, type ControlAction, type ControlResult, type HostConfig, type KnobAction } from '../../shared/control.ts';
import { knobError, MODEL_CONSTANTS } from './model-engine.ts';
import { ModelLayout } from './model-layout.ts';

const { EV_UNPAUSE, ROLE_VM, ROLE_SIDE, C_IDLE, C_RUN, C_SPIN, C_VISIT } = MODEL_CONSTANTS;

/**
 * Why the model refuses `action` on a host of `cores` cores and `queues` queues whose side cores are
 * `side` (null: it takes it). {@link ModelControl.apply} and {@link modelConfigAfter} both check with it.
 */
export function modelActionError(action: unknown, cores: number, queues: number, side: readonly number[]): string | null {
  if (!action || typeof action !== 'object') return 'action must be an object';
  const a = action as ControlAction | KnobAction;
  const sideList = (): string => (side.length ? side.join(', ') : 'none');
  const isSide = (c: unknown): boolean => typeof c === 'number' && Number.isInteger(c) && c >= 0 && c < cores && side.includes(c);
  switch (a.kind) {
    case 'setSideCores': {
      if (!Array.isArray(a.cores)) return 'setSideCores: cores must be an array of core ids';
      const seen = new Set<number>();
      for (const c of a.cores) {
        if (!Number.isInteger(c) || c < 0 || c >= cores) return `setSideCores: core ${String(c)} does not exist (cores are 0..${cores - 1})`;
        if (seen.has(c)) return `setSideCores: core ${c} listed twice`;
        seen.add(c);
      }
      if (seen.size > cores - 1) return `setSideCores: at least one VM core must remain (asked for ${seen.size} side cores on ${cores} cores)`;
      return null;
    }
    case 'assignQueue':
      if (!Number.isInteger(a.queue) || a.queue < 0 || a.queue >= queues) return `assignQueue: queue ${String(a.queue)} does not exist (queues are 0..${queues - 1})`;
      if (!isSide(a.core)) return `assignQueue: core ${String(a.core)} is not a side core (side cores: ${sideList()})`;
      return null;
    case 'setPolling':
      if (!Number.isInteger(a.queue) || a.queue < 0 || a.queue >= queues) return `setPolling: queue ${String(a.queue)} does not exist (queues are 0..${queues - 1})`;
      if (typeof a.on !== 'boolean') return 'setPolling: on must be true or false';
      return null;
    case 'setIoThreadPoll': {
      const bad = knobError('maxNs', a.maxNs, 1e9) ?? (a.grow === undefined ? null : knobError('grow', a.grow, 1000)) ?? (a.shrink === undefined ? null : knobError('shrink', a.shrink, 1000));
      return bad ? `setIoThreadPoll: ${bad}` : null;
    }
    case 'setVhostPoll': {
      const bad = knobError('us', a.us, 1e6);
      return bad ? `setVhostPoll: ${bad}` : null;
    }
    case 'setPmdMaxSleep': {
      const bad = knobError('us', a.us, 1e4);
      return bad ? `setPmdMaxSleep: ${bad}` : null;
    }
    case 'setManager':
      if (typeof a.on !== 'boolean') return 'setManager: on must be true or false';
      if (a.core !== undefined && a.core !== null && !isSide(a.core)) {
        return `setManager: core ${String(a.core)} is not a side core (omit it to run the manager on the VM cores; side cores: ${sideList()})`;
      }
      return null;
    default:
      return `unknown action kind '${String((a as { kind?: unknown }).kind)}'`;
  }
}

/** The side core serving queue `q` after the side cores became `side` (sorted): round-robin, or -1 (its vhost thread). */
function ownerAfterSetSideCores(q: number, side: readonly number[]): number {
  return side.length === 0 ? -1 : side[q % side.length];
}

/**
 * The model's configuration after `action`, computed on `cfg` (a copy; nothing is applied): the
 * same checks and the same configuration {@link ModelControl.apply} gives, without the
 * reconfiguration itself. A dry run decides with it (src/agent/model-driver.ts).
 */
export function modelConfigAfter(cfg: HostConfig, action: ControlAction | KnobAction): { ok: false; error: string } | { ok: true; config: HostConfig } {
  const error = modelActionError(action, cfg.cores, cfg.queueOwner.length, cfg.sideCores);
  if (error !== null) return { ok: false, error };
  const next = copyConfig(cfg);
  const k = next.knobs;
  switch (action.kind) {
    case 'setSideCores': {
      const side = [...new Set(action.cores)].sort((a, b) => a - b);
      next.sideCores = side;
      next.queueOwner = next.queueOwner.map((_, q) => {
        const o = ownerAfterSetSideCores(q, side);
        return o < 0 ? null : o;
      });
      break;
    }
    case 'assignQueue':
      next.queueOwner[action.queue] = action.core;
      break;
    case 'setPolling':
      next.queuePolling[action.queue] = action.on;
      break;
    case 'setIoThreadPoll':
      if (k) {
        k.pollMaxNs = action.maxNs;
        if (action.grow !== undefined) k.pollGrow = action.grow;
        if (action.shrink !== undefined) k.pollShrink = action.shrink;
      }
      break;
    case 'setVhostPoll':
      if (k) k.vhostPollUs = action.us;
      break;
    case 'setPmdMaxSleep':
      if (k) k.pmdMaxSleepUs = action.us;
      break;
    case 'setManager':
      if (k) k.manager = { on: action.on, core: action.core ?? null };
      break;
  }
  return { ok: true, config: next };
}

/** Control and reconfiguration: HostControl.apply, its validation, reconfiguration mechanics and costs. */
export class ModelControl extends ModelLayout {
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

  /** Apply one control action at the current event boundary (checked by {@link modelActionError}). */
  apply(action: ControlAction | KnobAction): ControlResult {
    const error = modelActionError(action, this.nCores, this.nQ, this.sideCores);
    if (error !== null) return { ok: false, error };
    switch (action.kind) {
      case 'setSideCores': {
        const costCycles = this.reconfigure([...new Set(action.cores)].sort((a, b) => a - b));
        if (this.checking) this.checkInvariants('setSideCores');
        return { ok: true, costCycles };
      }
      case 'assignQueue':
        return { ok: true, costCycles: this.moveQueue(action.queue, action.core) };
      case 'setPolling':
        this.setPollingNow(action.queue, action.on);
        return { ok: true, costCycles: 0 };
      case 'setIoThreadPoll': {
        const { maxNs, grow, shrink } = action;
        this.knobs.pollMaxNs = maxNs;
        if (grow !== undefined) this.knobs.pollGrow = grow;
        if (shrink !== undefined) this.knobs.pollShrink = shrink;
        // As QEMU on qom-set: each thread's current window is cut to the new maximum.
        for (let e = 0; e < this.nEnt; e++) if (this.entPollNs[e] > maxNs) this.entPollNs[e] = maxNs;
        return { ok: true, costCycles: 0 };
      }
      case 'setVhostPoll':
        this.knobs.vhostPollUs = action.us;
        return { ok: true, costCycles: 0 };
      case 'setPmdMaxSleep':
        this.setPmdMaxSleep(action.us);
        return { ok: true, costCycles: 0 };
      case 'setManager': {
        const core = action.core;
        this.mgrOn = action.on;
        this.mgrCore = core === undefined || core === null ? -1 : core;
        return { ok: true, costCycles: 0 };
      }
    }
  }

  /** The manager's CPU for one interval: on its side core, or as a thread on the VM cores. */
  protected chargeManager(): void {
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

  /** Change pmd-maxsleep: spinning side cores end their spin under the old value and start anew. */
  protected setPmdMaxSleep(us: number): void {
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

  /** Stop whatever VM core c runs (the entity goes back to the front of c's run queue). */
  protected stopVmCore(c: number): void {
    if (this.coreState[c] === C_RUN) this.preempt(c);
    this.setCoreState(c, C_IDLE);
    this.coreCur[c] = -1;
  }

  /** Stop side core c: finish its batch, account its spin. */
  protected stopSideCore(c: number): void {
    if (this.coreState[c] === C_SPIN) this.stopSpin(c);
    this.completeService(c);
    this.cancelCore(c);
    this.setCoreState(c, C_IDLE);
    this.coreCur[c] = -1;
  }

  protected rebuildSideLists(): void {
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
  protected reconfigure(side: number[]): number {
    this.reconfiguring = true;
    try {
      return this.reconfigureNow(side);
    } finally {
      this.reconfiguring = false;
    }
  }

  protected reconfigureNow(side: number[]): number {
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
    for (let q = 0; q < this.nQ; q++) {
      const owner = ownerAfterSetSideCores(q, side);
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

  protected moveQueue(q: number, core: number): number {
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

  protected setPollingNow(q: number, on: boolean): void {
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
}
