/**
 * The transports' thinning of telemetry (src/main/server/batcher.ts) on real host-model snapshots:
 * a trend point carries exactly what the console's time series read.
 */
import { describe, expect, it } from 'vitest';
import { EventBatcher } from '../src/main/server/batcher.ts';
import { createHostModel } from '../src/main/model/index.ts';
import { loadScenario } from '../src/main/scenario/load.ts';
import type { TelemetryMessage } from '../src/shared/api.ts';
import type { HostSnapshot } from '../src/shared/snapshot.ts';

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
