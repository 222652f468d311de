/**
 * modelConfigAfter (a dry run's decision on the model) gives what ModelControl.apply gives: the same
 * refusals in the same words, and the same configuration after every accepted action.
 */
import { describe, expect, it } from 'vitest';
import { createHostModel } from './host-model.ts';
import { modelConfigAfter } from './model-control.ts';
import type { ControlAction, HostConfig, KnobAction } from '../../shared/control.ts';
import type { Scenario } from '../../shared/scenario.ts';

const scenario: Scenario = {
  name: 'dry',
  host: { cores: 6, ghz: 2.5 },
  vms: [
    { name: 'net', count: 2, vcpus: 1, devices: [{ kind: 'net', queues: 2 }], workload: { kind: 'net-rr' } },
    { name: 'blk', count: 1, vcpus: 1, devices: [{ kind: 'blk', queues: 1 }], workload: { kind: 'blk' } },
  ],
  phases: [{ name: 'p', seconds: 60, load: {} }],
};

const actions: (ControlAction | KnobAction)[] = [
  { kind: 'setSideCores', cores: [5, 4] },
  { kind: 'assignQueue', queue: 0, core: 5 },
  { kind: 'assignQueue', queue: 1, core: 2 }, // not a side core
  { kind: 'setPolling', queue: 2, on: true },
  { kind: 'setPolling', queue: 99, on: true }, // no such queue
  { kind: 'setManager', on: true, core: 4 },
  { kind: 'setIoThreadPoll', maxNs: 50_000, grow: 2 },
  { kind: 'setIoThreadPoll', maxNs: -1 },
  { kind: 'setVhostPoll', us: 20 },
  { kind: 'setPmdMaxSleep', us: 300 },
  { kind: 'setSideCores', cores: [1, 1] }, // listed twice
  { kind: 'setSideCores', cores: [0, 1, 2, 3, 4, 5] }, // no VM core left
  { kind: 'setSideCores', cores: [3] },
  { kind: 'setManager', on: true, core: 4 }, // 4 is no side core any more
  { kind: 'setManager', on: false },
  { kind: 'assignQueue', queue: 4, core: 3 },
  { kind: 'setSideCores', cores: [] },
  { kind: 'assignQueue', queue: 0, core: 3 },
  { kind: 'bogus' } as unknown as ControlAction,
];

describe('modelConfigAfter', () => {
  it('refuses what the model refuses, in its words, and otherwise gives the configuration the model reports after apply', () => {
    const m = createHostModel(scenario, { seed: 3 });
    let cfg: HostConfig = m.config();
    let refused = 0;
    for (const a of actions) {
      const dry = modelConfigAfter(cfg, a);
      const real = m.apply(a);
      m.step();
      expect(dry.ok, JSON.stringify(a)).toBe(real.ok);
      if (!dry.ok && !real.ok) {
        expect(dry.error).toBe(real.error);
        refused++;
        continue;
      }
      if (dry.ok) cfg = dry.config;
      expect(cfg, JSON.stringify(a)).toEqual(m.config());
    }
    expect(refused).toBe(8);
  });

  it('changes a copy, never the configuration it is given', () => {
    const m = createHostModel(scenario, { seed: 3 });
    const cfg = m.config();
    const before = JSON.stringify(cfg);
    const r = modelConfigAfter(cfg, { kind: 'setSideCores', cores: [5] });
    expect(r.ok).toBe(true);
    expect(JSON.stringify(cfg)).toBe(before);
    expect(JSON.stringify(m.config())).toBe(before);
  });
});
