/**
 * HostControl: the one control interface through which the loop, the
 * operator (console) and tests change a host, whoever the host is (the model
 * or a remote agent). Actions are data so they can be audited, recorded and
 * replayed. Shared layer: no node/electron/DOM.
 */

import type { Observability } from './observe.ts';

/** A change to a host's I/O configuration. */
export type ControlAction =
  /** Make exactly these cores the side cores (empty = vhost mode). */
  | { kind: 'setSideCores'; cores: number[] }
  /** Serve a queue from a side core. */
  | { kind: 'assignQueue'; queue: number; core: number }
  /** Turn polling of a queue on or off (off: the guest kicks, costing exits). */
  | { kind: 'setPolling'; queue: number; on: boolean };

/**
 * A change to one of the I/O knobs real hosts expose. Kept as its own union so code that switches
 * over ControlAction's three kinds stays exhaustive; HostControl.apply takes both. A policy emits
 * these as `PolicyDecision.knobs` (src/shared/policy.ts; iocm's idle sleep sets pmd-maxsleep),
 * which the loop applies and audits.
 */
export type KnobAction =
  /**
   * QEMU IOThread adaptive polling of the blk devices' I/O threads (QMP `qom-set` of `poll-max-ns`,
   * `poll-grow`, `poll-shrink`); omitted fields keep their value. maxNs 0 turns polling off.
   */
  | { kind: 'setIoThreadPoll'; maxNs: number; grow?: number; shrink?: number }
  /** vhost-net busy polling of the net devices' I/O threads (tap `poll-us`), µs; 0 = off. */
  | { kind: 'setVhostPoll'; us: number }
  /** Side cores sleep up to this long when they find little work (OVS `pmd-maxsleep`), µs; 0 = never. */
  | { kind: 'setPmdMaxSleep'; us: number }
  /**
   * Charge the I/O core manager's own CPU to the host: on a side core (`core`), or floating over the
   * VM cores (`core` omitted or null). The amount per second is a host cost (managerUsPerSecond).
   */
  | { kind: 'setManager'; on: boolean; core?: number | null };

/** The I/O knobs in force (see ControlAction). */
export interface HostKnobState {
  pollMaxNs: number;
  pollGrow: number;
  pollShrink: number;
  vhostPollUs: number;
  pmdMaxSleepUs: number;
  /** The manager's CPU is charged (and where: a side core id, or null for the VM cores). */
  manager: { on: boolean; core: number | null };
}

/** Who asked for a change; recorded in the audit log. */
export type ControlSource = 'policy' | 'operator' | 'agent' | 'system';

/** The I/O configuration in force. */
export interface HostConfig {
  /** Number of physical cores. */
  cores: number;
  /** Current side cores, ascending. */
  sideCores: number[];
  /** Queue id → side core id (null: vhost thread). */
  queueOwner: (number | null)[];
  /** Queue id → polling on. */
  queuePolling: boolean[];
  /** The I/O knobs in force, where the host has them (the model does). */
  knobs?: HostKnobState;
}

/** A copy of `cfg` that shares no array or object with it (a caller may edit what it gets). */
export function copyConfig(cfg: HostConfig): HostConfig {
  return {
    cores: cfg.cores,
    sideCores: [...cfg.sideCores],
    queueOwner: [...cfg.queueOwner],
    queuePolling: [...cfg.queuePolling],
    ...(cfg.knobs ? { knobs: { ...cfg.knobs, manager: { ...cfg.knobs.manager } } } : {}),
  };
}

/** Result of applying an action. */
export type ControlResult =
  | { ok: true; /** Modelled reconfiguration cost charged, in cycles (0 if none). */ costCycles: number }
  | { ok: false; /** Why it was refused, in words a user understands. */ error: string };

/** Static facts about a host (from the scenario or the agent). */
export interface HostInfo {
  /** Display name. */
  name: string;
  /** 'model' for the embedded host model, 'agent' for a remote agent. */
  source: 'model' | 'agent';
  cores: number;
  hz: number;
  /** Snapshot interval in ms. */
  intervalMs: number;
  vms: { id: number; name: string; group: string; vcpus: number }[];
  queues: { id: number; vm: number; device: number; kind: 'net' | 'blk' }[];
  groups: { name: string; weight: number; workload: string }[];
  /**
   * Which observed fields the source reports (src/shared/observe.ts). Absent in sessions recorded
   * before it existed: read as the `qemu` profile.
   */
  observability?: Observability;
}

/**
 * The state of the link to a remote host (an agent), as the console's client sees it. The model has
 * no link. `since` is the wall time of the last change (ms since the epoch, from the client's
 * injected clock); `attempts` counts reconnect attempts since the link was last up.
 */
export interface HostConnectionState {
  state: 'connecting' | 'connected' | 'reconnecting' | 'closed';
  since: number;
  attempts: number;
  /** Why the link is down, in words (null while connected). */
  error: string | null;
}

/** The control interface. Implementations validate and refuse bad actions with a clear error. */
export interface HostControl {
  /** The configuration in force now. */
  config(): HostConfig;
  /** Apply one action (a knob change where the host has the knob); the change is visible in the next snapshot. */
  apply(action: ControlAction | KnobAction): ControlResult;
}
