import { describe, it, expect } from 'vitest';
import { LiveCore, checkSpeed } from './live-core.ts';
import { LiveRunner, liveWorkerEntry } from './live.ts';
import type { LiveCommand, LiveEvent } from './live-protocol.ts';
import { spawnWorker } from '../util/worker.ts';
import { loadScenario } from '../scenario/load.ts';
import type { TelemetryBatch } from '../../shared/policy.ts';

const scenario = loadScenario('default');

/** Wait until `cond` holds (the machine may be busy: generous timeout). */
async function waitFor(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('LiveCore (fake clock)', () => {
  it('paces the model at real time × speed', () => {
    let wall = 0;
    const core = new LiveCore({ scenario, seed: 1, speed: 2, policy: 'static:1', now: () => wall, budgetMs: 1e9 });
    wall = 500;
    core.tick();
    expect(core.simMs).toBe(1000);
    const b = core.takeBatch()!;
    expect(b.snapshots.map((s) => s.t)).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    expect(b.events.some((e) => e.kind === 'audit')).toBe(true);
    expect(b.status?.speed).toBe(2);
    expect(core.setSpeed(0.25)).toBeNull();
    wall = 900;
    core.tick();
    expect(core.simMs).toBe(1100);
  });
  it('refuses speeds outside 0.25–64 (0 = as fast as possible)', () => {
    expect(checkSpeed(0)).toBeNull();
    expect(checkSpeed(64)).toBeNull();
    expect(checkSpeed(0.1)).toMatch(/0.25 to 64/);
    expect(checkSpeed(65)).toMatch(/out of range/);
    expect(checkSpeed(Number.NaN)).toMatch(/number/);
  });
});

describe('LiveRunner (worker thread, real model)', () => {
  it('streams batches, applies overrides and policy changes, restarts and stops', async () => {
    const live = await LiveRunner.start({ scenario, seed: 3, speed: 0, policy: 'iocm', batchMs: 50 });
    try {
      expect(live.info.cores).toBe(scenario.host.cores);
      const batches: TelemetryBatch[] = [];
      live.onBatch((b) => batches.push(b));
      await waitFor(() => batches.flatMap((b) => b.snapshots).length > 5 && batches.length > 1, 'batches');
      const snaps = batches.flatMap((b) => b.snapshots);
      for (let i = 1; i < snaps.length; i++) expect(snaps[i].seq).toBe(snaps[i - 1].seq + 1);

      const core = live.info.cores - 2;
      const r = await live.override({ kind: 'pin', core });
      expect(r.ok).toBe(true);
      await waitFor(() => live.config().sideCores.includes(core), 'the pinned core in the config');
      const bad = await live.override({ kind: 'pin', core: 999 });
      expect(bad.ok).toBe(false);

      expect(await live.setPolicy('iocm-classic', { addIdleIo: -1 })).toEqual([expect.objectContaining({ field: 'addIdleIo' })]);
      expect(await live.setPolicy('static:2', {})).toEqual([]);
      const st = await live.refreshStatus();
      expect(st.policy).toBe('static:2');
      expect(st.overrides.pinned).toEqual([core]);
      expect(await live.setLimits({ minVmCores: 0 })).toEqual([expect.objectContaining({ field: 'minVmCores' })]);
      expect(await live.setLimits({ maxSideCores: 3 })).toEqual([]);
      expect((await live.refreshStatus()).limits.maxSideCores).toBe(3);
      expect(() => live.setSpeed(100)).toThrow(/out of range/);
      live.setSpeed(4);

      await live.restart({ seed: 9 });
      expect(live.seed).toBe(9);
      const after: TelemetryBatch[] = [];
      live.onBatch((b) => after.push(b));
      await waitFor(() => after.some((b) => b.snapshots.length > 0), 'batches after restart');
      const s2 = after.flatMap((b) => b.snapshots);
      expect(s2.length).toBeGreaterThan(0);
      expect(s2[0].seq).toBe(0);
      expect(after.at(-1)!.status!.seed).toBe(9);

      // A scenario the model refuses: the restart rejects, the running host and its options stay.
      await expect(live.restart({ scenario: { ...scenario, host: { ...scenario.host, cores: 0 } } })).rejects.toThrow(/restart failed: .*host\.cores/);
      expect(live.scenario.host.cores).toBe(scenario.host.cores);
      const n = after.length;
      await waitFor(() => after.length > n && after.at(-1)!.snapshots.length > 0, 'batches after a failed restart');
    } finally {
      await live.stop();
    }
  });
  it('keeps at most one batch in flight: the next waits for the ack (a slow main thread is never buried)', async () => {
    for (const speed of [0, 4]) {
      // The worker itself, spoken to in its protocol by a main thread that does not acknowledge.
      const w = spawnWorker(liveWorkerEntry(), { workerData: { options: { scenario, seed: 1, speed, policy: 'iocm', batchMs: 50 } } });
      const got: Extract<LiveEvent, { type: 'batch' }>[] = [];
      w.on('message', (m: LiveEvent) => m.type === 'batch' && got.push(m));
      try {
        await waitFor(() => got.length === 1, `the first batch at speed ${speed}`);
        // 1.5 s = 30 batch periods without an ack: nothing more is posted
        await new Promise((r) => setTimeout(r, 1500));
        expect(got, `speed ${speed}`).toHaveLength(1);
        const t1 = got[0].batch.snapshots.at(-1)!.t;
        w.postMessage({ type: 'ack' } satisfies LiveCommand);
        await waitFor(() => got.length === 2, `the batch after the ack at speed ${speed}`);
        const next = got[1].batch.snapshots;
        // continuous: the second batch starts where the first ended (paced: it holds what was
        // simulated meanwhile; as fast as possible: the worker waited, so it holds little)
        expect(next[0].t).toBe(t1 + next[0].intervalMs);
        if (speed === 0) expect(next.length).toBeLessThan(50);
        else expect(next.at(-1)!.t - t1).toBeGreaterThan(1500 * speed * 0.5);
        // a command's answer is not held back by a batch in flight
        w.postMessage({ type: 'override', id: 7, cmd: { kind: 'pin', core: 3 } } satisfies LiveCommand);
        await waitFor(() => got.length === 3, `the batch answering a command at speed ${speed}`);
      } finally {
        await w.terminate();
      }
    }
  });

  it('rejects a bad start (unknown policy, bad speed) with a clear error', async () => {
    await expect(LiveRunner.start({ scenario, seed: 1, speed: 1, policy: 'nope' })).rejects.toThrow(/unknown policy 'nope'/);
    await expect(LiveRunner.start({ scenario, seed: 1, speed: 100 })).rejects.toThrow(/out of range/);
  });
});
