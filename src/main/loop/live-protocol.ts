/**
 * Messages between LiveRunner (main thread, ./live.ts) and the live worker
 * (./live-worker.ts). Documented in CONTEXT.md.
 */
import type { HostConfig, HostInfo } from '../../shared/control.ts';
import type { LoopStatus, OverrideCommand, PolicyConfig, SafetyLimits, TelemetryBatch } from '../../shared/policy.ts';
import type { Scenario } from '../../shared/scenario.ts';
import type { LiveHostOptions } from './live-core.ts';

/** What the worker starts (or restarts) with. */
export interface LiveStartOptions extends LiveHostOptions {
  /** Wall ms between batches (default 200: 5 per second). */
  batchMs?: number;
}

/** Main → worker. Commands with `id` get exactly one `reply` with the same id. */
export type LiveCommand =
  | { type: 'start'; options: LiveStartOptions }
  | { type: 'restart'; scenario?: Scenario; seed?: number }
  | { type: 'override'; id: number; cmd: OverrideCommand }
  | { type: 'setPolicy'; id: number; name: string; config: PolicyConfig }
  | { type: 'setSpeed'; id: number; speed: number }
  | { type: 'setLimits'; id: number; limits: Partial<SafetyLimits> }
  | { type: 'status'; id: number }
  | { type: 'stop'; id: number }
  /** The main thread has handed the last batch to its subscribers: the worker may post the next. */
  | { type: 'ack' };

/** Worker → main. */
export type LiveEvent =
  | { type: 'ready'; info: HostInfo; config: HostConfig; status: LoopStatus }
  | { type: 'batch'; batch: TelemetryBatch; config: HostConfig }
  | { type: 'reply'; id: number; result: unknown; error?: string }
  | { type: 'error'; message: string };
