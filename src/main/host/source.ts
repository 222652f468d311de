/**
 * HostSource: the one interface behind which every host lives — the embedded model (./model-source.ts),
 * and the remote agent's client (src/agent, to come). A source reports observations (a stream of
 * HostSnapshots, its HostInfo with the observability it declares) and takes control actions with
 * an acknowledgement. Whatever the source, one live session (src/main/loop/session.ts) runs the IOcm loop
 * over it. Core layer: no shell, no clock of its own.
 */
import type { ControlAction, ControlResult, HostConfig, HostConnectionState, HostInfo, KnobAction } from '../../shared/control.ts';
import type { HostSnapshot } from '../../shared/snapshot.ts';

/** What a source can do beyond observing and applying actions. */
export interface HostSourceCapabilities {
  /** Simulated time can be paced (speed 0.25–64 × real time, or as fast as possible). */
  pacing: boolean;
  /** Runs are reproducible from a seed. */
  seed: boolean;
  /** The workload is a scenario that can be restarted or replaced. */
  scenario: boolean;
  /** Recorded sessions of this source can be re-run under another policy. */
  whatIf: boolean;
}

/**
 * The kinds of source: the embedded model; the console's client of a remote agent; and the drivers an
 * agent runs on the host itself (stock QEMU/KVM through QMP and /proc; Open vSwitch with DPDK).
 */
export type HostSourceKind = 'model' | 'agent' | 'qemu' | 'ovs';

/** A host the console and the loop can manage. */
export interface HostSource {
  readonly kind: HostSourceKind;
  /** Static description: cores, VMs, queues, groups, and the observability the source declares. */
  info(): HostInfo;
  capabilities(): HostSourceCapabilities;
  /** The I/O configuration in force, as last known. */
  config(): HostConfig;
  /** Subscribe to snapshots; returns the unsubscribe function. */
  onSnapshot(cb: (s: HostSnapshot) => void): () => void;
  /** Apply one action; resolves with the host's acknowledgement (or refusal, in words). */
  apply(action: ControlAction | KnobAction): Promise<ControlResult>;
  /**
   * Apply one action and return its result at once, where the source can (the in-process model);
   * the loop then sees the change before its next epoch, as in `iocm simulate`.
   */
  applyNow?(action: ControlAction | KnobAction): ControlResult;
  /**
   * Subscribe to changes of {@link info} (a real host's VMs and devices come and go); returns the
   * unsubscribe function. Ids of VMs and queues that remain keep their values. Sources whose info
   * never changes (the model) leave it out. Consumers rebuild what they keyed on the old info (the
   * loop starts a new epoch). Recording starts a new session only when the info is another host
   * (identity.ts): VMs coming and going on the same host stay in its session.
   */
  onInfo?(cb: (info: HostInfo) => void): () => void;
  /** The link to a remote host, where there is one (the agent client); absent for local sources. */
  connection?(): HostConnectionState;
  /** Subscribe to link changes (remote sources only); returns the unsubscribe function. */
  onConnection?(cb: (c: HostConnectionState) => void): () => void;
  /** Stop producing snapshots and release the host (an agent restores what it changed). */
  close(): Promise<void>;
}
