import { describe, expect, it } from 'vitest';
import { dryRunSnapshot } from './dry-run.ts';
import { copyConfig } from '../../shared/control.ts';
import { createHostModel } from '../model/host-model.ts';
import { modelConfigAfter } from '../model/model-control.ts';
import { snapshotConsistencyProblem } from '../../shared/agent-protocol.ts';
import type { Scenario } from '../../shared/scenario.ts';

const scenario: Scenario = {
  name: 'dry',
  host: { cores: 4, ghz: 2.5 },
  vms: [{ name: 'net', count: 2, vcpus: 1, devices: [{ kind: 'net', queues: 2 }], workload: { kind: 'net-rr' } }],
  phases: [{ name: 'p', seconds: 60, load: {} }],
};

describe('dryRunSnapshot', () => {
  it('keeps the measured numbers and lays the snapshot out as decided: roles, side cores, owners, polling, and each side core the work of its queues', () => {
    const m = createHostModel(scenario, { seed: 2 });
    m.step();
    const s = m.step(); // the model runs without side cores (vhost threads)
    expect(s.sideCores).toEqual([]);
    const d = modelConfigAfter(m.config(), { kind: 'setSideCores', cores: [2, 3] });
    if (!d.ok) throw new Error(d.error);
    const v = dryRunSnapshot(s, d.config);
    expect(snapshotConsistencyProblem(v)).toBeNull();
    expect(v.cores.map((c) => c.role)).toEqual(['vm', 'vm', 'side', 'side']);
    expect(v.cores.map((c) => c.cycles)).toEqual(s.cores.map((c) => c.cycles));
    expect(v.totals.cycles).toEqual(s.totals.cycles);
    expect(v.totals.sideCores).toBe(2);
    expect(v.queues.map((q) => q.owner)).toEqual(d.config.queueOwner);
    expect(v.queues.map((q) => q.polling)).toEqual(d.config.queuePolling);
    expect(v.queues.map((q) => q.workCycles)).toEqual(s.queues.map((q) => q.workCycles));
    for (const sc of v.sideCores) {
      expect(sc.queues).toEqual(v.queues.filter((q) => q.owner === sc.coreId).map((q) => q.id));
      expect(sc.workCycles).toBe(sc.queues.reduce((n, q) => n + s.queues[q].workCycles, 0));
      expect([sc.loops, sc.emptyPolls, sc.emptyPollCycles]).toEqual([0, 0, 0]);
    }
    expect(v.sideCores.reduce((n, c) => n + c.workCycles, 0)).toBeGreaterThan(0);
    expect({ ...v, cores: s.cores, sideCores: s.sideCores, queues: s.queues, totals: s.totals }).toEqual(s);
  });

  it('copyConfig shares nothing with the configuration it copies', () => {
    const m = createHostModel(scenario, { seed: 2 });
    const cfg = m.config();
    const c = copyConfig(cfg);
    expect(c).toEqual(cfg);
    c.sideCores.push(3);
    c.queueOwner[0] = 3;
    c.queuePolling[0] = !c.queuePolling[0];
    c.knobs!.manager.on = !c.knobs!.manager.on;
    expect(m.config()).toEqual(cfg);
    expect(cfg).not.toEqual(c);
  });
});
