/**
 * The live host as the services see it: the host model and the IOcm loop, paced at
 * real time × speed, producing TelemetryBatches and taking operator commands.
 * Implemented by the worker-thread LiveRunner (src/main/loop/live.ts); a remote agent
 * will implement it too. The services depend only on this interface.
 */
import type { HostConfig, HostConnectionState, HostInfo } from '../../shared/control.ts';
import type { ConfigError, LoopStatus, OverrideCommand, OverrideResult, PolicyConfig, TelemetryBatch } from '../../shared/policy.ts';
import type { Scenario } from '../../shared/scenario.ts';
import type { Unsubscribe } from '../../shared/api.ts';

/** A running live host. */
export interface LiveHost {
  readonly info: HostInfo;
  readonly scenario: Scenario;
  readonly seed: number;
  /** Pacing factor (simulated ms per wall ms). */
  readonly speed: number;
  config(): HostConfig;
  status(): LoopStatus;
  /** Apply an operator override now; the change shows in the next snapshot. */
  override(cmd: OverrideCommand): Promise<OverrideResult>;
  /** Switch policy; returns per-field errors (empty = accepted). */
  setPolicy(name: string, config: PolicyConfig): Promise<ConfigError[]>;
  setSpeed(speed: number): void;
  onBatch(cb: (b: TelemetryBatch) => void): Unsubscribe;
  /** The link to a remote host (agents only). */
  connection?(): HostConnectionState;
  onConnection?(cb: (c: HostConnectionState) => void): Unsubscribe;
  /**
   * Another host took this one's place (an agent restarted on another machine or scenario behind
   * the same address; see src/main/host/identity.ts), agents only. Fired before any snapshot of the
   * new host: every snapshot at or before `afterT` is the old host's, every later one the new
   * host's. The services end the recorded session there and go on in a new one.
   */
  onHostChange?(cb: (c: HostChange) => void): Unsubscribe;
  stop(): Promise<void>;
}

/** See {@link LiveHost.onHostChange}. */
export interface HostChange {
  /** Session time of the old host's last snapshot. */
  afterT: number;
  /** Why it is another host, in words. */
  reason: string;
}

/**
 * How the console connects to a remote agent (src/main/services/agent-host.ts implements
 * `createAgentLiveHost(opts): Promise<LiveHost>` over the agent client in src/main/host).
 */
export interface AgentHostOptions {
  /** ws:// or wss:// address of the agent. */
  url: string;
  /** Bearer token. */
  token: string;
  /** PEM certificate (or CA) to verify a wss:// agent against; the system's CAs when absent. */
  ca?: string;
  /** Display name (default: the agent's host name). */
  name?: string;
  /** Policy for the console-side loop (ignored when the agent runs its own loop). */
  policy?: string;
}
