/**
 * The transports' thinning of telemetry (src/main/server/batcher.ts) on real host-model snapshots:
 * a trend point carries exactly what the console's time series read; and the page-load backfill,
 * thinned the same way, over the real headless server on big-64.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBatcher } from '../src/main/server/batcher.ts';
import { createHostModel } from '../src/main/model/index.ts';
import { loadScenario } from '../src/main/scenario/load.ts';
import type { TelemetryMessage } from '../src/shared/api.ts';
import type { HostSnapshot } from '../src/shared/snapshot.ts';
import { collect, openWs, startFixture, until, type Fixture } from './server-helpers.ts';

/** Real snapshots: the host model's default scenario, one interval each. */
const model = createHostModel(loadScenario('default'), { seed: 1 });
const makeSnapshot = (): HostSnapshot => model.step();

describe('telemetry thinning', () => {
  it('sends the older snapshots of a message as trend points: what the time series read, nothing else', () => {
    const out: TelemetryMessage[] = [];
    const b = new EventBatcher((e, p) => e === 'telemetry' && out.push(p as TelemetryMessage), 100);
    const s0 = makeSnapshot();
    const s1 = makeSnapshot();
    b.push('telemetry', { stream: 'live', sessionId: 's', batch: { snapshots: [s0], events: [] } });
    b.push('telemetry', { stream: 'live', sessionId: 's', batch: { snapshots: [s1], events: [] } });
    b.flush();
    expect(out).toHaveLength(1);
    expect(out[0].batch.snapshots).toEqual([s1]);
    const p = out[0].trend![0];
    expect(Object.keys(p).sort()).toEqual(['cores', 'hz', 'intervalMs', 'seq', 't', 'totals', 'vms']);
    expect(p).toEqual({ seq: 0, t: s0.t, intervalMs: s0.intervalMs, hz: s0.hz, totals: s0.totals, cores: s0.cores.map((c) => ({ cycles: c.cycles })), vms: s0.vms.map((v) => ({ requestsPerSec: v.requestsPerSec })) });
    // on the wire a fraction of the snapshot (default: 16 cores, 16 VMs; big-64: 64 cores, 128 VMs)
    expect(JSON.stringify(p).length).toBeLessThan(JSON.stringify(s0).length / 3);
  });
});

describe('the backfill a page loads (getRecentTelemetry) on big-64, over the real server', () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await startFixture('big-64', { speed: 0 });
  }, 60_000);
  afterAll(async () => {
    await fx?.cleanup();
  });

  it("a minute of big-64 fits in one reply as trend points; in full snapshots it is over the 16 MB a reply may carry", async () => {
    const ws = await openWs(`ws://127.0.0.1:${fx.port}/ws`, fx.token);
    try {
      type Reply = { id: number; result: { ok: boolean; value?: TelemetryMessage; error?: { code: string; message: string } } };
      const replies = (): Reply[] => collect(ws).filter((m): m is Reply => typeof m === 'object' && m !== null && 'result' in m);
      // a full minute recorded (600 intervals; the model runs as fast as it can)
      let back: TelemetryMessage | undefined;
      for (let id = 1; ; id++) {
        ws.send(JSON.stringify({ id, method: 'getRecentTelemetry', args: { snapshots: 600, windowMs: 60_000 } }));
        await until(() => replies().some((r) => r.id === id), 60_000, `reply ${id}`);
        const r = replies().find((x) => x.id === id)!;
        expect(r.result.ok, r.result.error?.message).toBe(true);
        back = r.result.value!;
        if ((back.trend?.length ?? 0) >= 590) break;
        if (id > 600) throw new Error('big-64 did not record a minute');
        await new Promise((res) => setTimeout(res, 1000));
      }
      expect(back!.batch.snapshots).toHaveLength(1);
      expect(back!.batch.snapshots[0].cores).toHaveLength(64);
      ws.send(JSON.stringify({ id: 9999, method: 'getRecentTelemetry', args: { snapshots: 600, windowMs: 60_000, detail: 'full' } }));
      await until(() => replies().some((r) => r.id === 9999), 60_000, 'full reply');
      const full = replies().find((x) => x.id === 9999)!;
      expect(full.result.ok).toBe(false);
      expect(full.result.error?.message).toMatch(/The answer would be \d+(\.\d)? MB, more than the 16(\.0)? MB a message may carry/);
    } finally {
      ws.close();
    }
  }, 240_000);
});
