/**
 * Recording a `iocm simulate` run (--record <db>): a session with the full
 * scenario, seed, policy and host info; every snapshot and every loop event.
 */
import type { Scenario } from '../../shared/scenario.ts';
import type { HostSnapshot } from '../../shared/snapshot.ts';
import type { HostEvent } from '../../shared/policy.ts';
import type { HostInfo } from '../../shared/control.ts';
import { HistoryClient, type Recorder } from './client.ts';
import type { HistorySession } from './types.ts';

/** Hooks to pass to runSimulation, and close(). */
export interface SimRecording {
  sessionId: string;
  onSnapshot(s: HostSnapshot): void;
  /** Every loop event (decisions, audits, phases), as the live console records them. */
  onEvent(e: HostEvent): void;
  /** End the session (storing the host info if given) and close the database; rejects if recording failed (e.g. disk full). */
  close(info?: HostInfo | null): Promise<HistorySession>;
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
    onEvent: (e) => rec.recordEvent(e),
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
