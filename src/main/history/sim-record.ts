/**
 * Recording a `iocm simulate` run (--record <db>): a session with the full
 * scenario, seed, policy and host info; every snapshot and every decision.
 */
import type { Scenario } from '../../shared/scenario.ts';
import type { HostSnapshot } from '../../shared/snapshot.ts';
import type { HostEvent } from '../../shared/policy.ts';
import type { HostInfo } from '../../shared/control.ts';
import { HistoryClient, type Recorder } from './client.ts';
import type { HistorySession } from './types.ts';

/** A decision as the sim driver reports it. */
export interface SimDecision {
  kind?: string;
  actions: unknown[];
  reason: string;
  seq?: number;
  t?: number;
  /** Present when the controller reports PolicyDecisions (the loop). */
  metrics?: Record<string, number>;
  targetSideCores?: number;
}

/** Hooks to pass to runSimulation, and close(). */
export interface SimRecording {
  sessionId: string;
  onSnapshot(s: HostSnapshot): void;
  onDecision(d: SimDecision): void;
  /** End the session (storing the host info if given) and close the database; rejects if recording failed (e.g. disk full). */
  close(info?: HostInfo | null): Promise<HistorySession>;
}

/** Convert a sim decision to a history event. */
export function decisionEvent(policy: string, d: SimDecision): HostEvent {
  const kind = d.kind ?? (d.actions.length ? 'change' : 'stay');
  return {
    t: Math.max(0, d.t ?? 0),
    source: 'policy',
    kind: 'decision',
    message: d.reason,
    data: {
      policy,
      decision: { kind, actions: d.actions, reason: d.reason, metrics: d.metrics ?? {}, ...(d.targetSideCores !== undefined ? { targetSideCores: d.targetSideCores } : {}) },
      applied: d.actions,
    },
  };
}

/** Open `dbPath` and start recording a simulation. */
export async function startSimRecording(
  dbPath: string,
  meta: { scenario: Scenario; seed: number; policy: string; intervalMs: number; info?: HostInfo | null; clock?: () => number },
): Promise<SimRecording> {
  const client = await HistoryClient.open({ path: dbPath, repair: true, clock: meta.clock });
  let rec: Recorder;
  try {
    rec = await client.startRecording({
      host: meta.info?.name ?? meta.scenario.name,
      source: 'model',
      scenario: meta.scenario,
      seed: meta.seed,
      policy: meta.policy,
      info: meta.info ?? null,
      intervalMs: meta.intervalMs,
    });
  } catch (err) {
    await client.close();
    throw err;
  }
  return {
    sessionId: rec.sessionId,
    onSnapshot: (s) => rec.record(s),
    onDecision: (d) => rec.recordEvent(decisionEvent(meta.policy, d)),
    close: async (info?: HostInfo | null) => {
      try {
        const s = await rec.close(info);
        if (rec.error) throw new Error(rec.error);
        return s;
      } finally {
        await client.close();
      }
    },
  };
}
