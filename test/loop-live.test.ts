/**
 * LiveRunner is a drop-in LiveHost for the services (src/main/services/live.ts):
 * checked by the type checker here, and at run time on the real model in a
 * worker thread at 64× real time.
 */
import { describe, it, expect } from 'vitest';
import { LiveRunner } from '../src/main/loop/live.ts';
import type { LiveHost } from '../src/main/services/live.ts';
import { loadScenario } from '../src/main/scenario/load.ts';
import type { TelemetryBatch } from '../src/shared/policy.ts';

describe('LiveRunner as the services’ LiveHost', () => {
  it('streams at 64× real time through the LiveHost interface', async () => {
    const runner = await LiveRunner.start({ scenario: loadScenario('memcached'), seed: 2, speed: 64, policy: 'iocm', batchMs: 100 });
    const host: LiveHost = runner;
    try {
      const batches: TelemetryBatch[] = [];
      const off = host.onBatch((b) => batches.push(b));
      const t0 = Date.now();
      while (batches.flatMap((b) => b.snapshots).length < 20 && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 50));
      off();
      const snaps = batches.flatMap((b) => b.snapshots);
      expect(snaps.length).toBeGreaterThanOrEqual(20);
      expect(batches.every((b) => b.status?.policy === 'iocm' && b.status.speed === 64)).toBe(true);
      // The loop acted: decisions and audits arrive in the same batches as the snapshots.
      const events = batches.flatMap((b) => b.events);
      expect(events.some((e) => e.kind === 'decision' && e.source === 'policy')).toBe(true);
      expect(events.some((e) => e.kind === 'audit')).toBe(true);
      expect(host.status().sideCores).toEqual(host.config().sideCores);
    } finally {
      await host.stop();
    }
  }, 60_000);
});
