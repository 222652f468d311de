import { describe, expect, it } from 'vitest';
import { validateOrders } from './config.ts';
import { POLICY_REGISTRY, PolicyConfigError, resolvePolicyConfig } from './registry.ts';
import type { FieldSpec } from './types.ts';

/** The errors resolvePolicyConfig throws for `spec` + `config` (empty when it is valid). */
function errorsOf(spec: string, config: Record<string, number | boolean | string>): { field: string; message: string }[] {
  try {
    resolvePolicyConfig(spec, config as never);
    return [];
  } catch (e) {
    expect(e).toBeInstanceOf(PolicyConfigError);
    return (e as PolicyConfigError).errors;
  }
}

describe('settings that contradict each other', () => {
  it("every policy's defaults keep its orders", () => {
    for (const [name, entry] of Object.entries(POLICY_REGISTRY)) expect(entry.validate(name === 'static' ? { k: 1 } : {}), name).toEqual([]);
  });

  const cases: [string, Record<string, number>, string, string][] = [
    ['spdk-dynamic', { activePct: 90, fullPct: 10 }, 'activePct', 'Active queue (90 %) must be below Core full (10 %)'],
    ['spdk-dynamic', { fullPct: 10 }, 'fullPct', 'Active queue (20 %) must be below Core full (10 %)'],
    ['spdk-dynamic', { activePct: 80 }, 'activePct', 'Active queue (80 %) must be below Core full (80 %)'],
    ['iocm', { targetBusy: 0.95, maxSideBusy: 1 }, 'targetBusy', 'Target side-core load (0.95) must be below Saturated (0.92)'],
    ['iocm', { maxSideBusy: 0.5 }, 'maxSideBusy', 'Target side-core load (0.75) must be at most Latency ceiling: side-core load (0.5)'],
    ['iocm', { idleSideBusy: 0.3 }, 'idleSideBusy', 'Idle below (0.3) must be below Awake above (0.2)'],
    ['iocm-classic', { addIdleIo: 1 }, 'addIdleIo', 'Add: idle I/O below (1 cores) must be below Removal allowed above (0.8 cores)'],
    ['iocm-classic', { removeVmIdle: 2 }, 'removeVmIdle', 'Remove: VM idle below (2 cores) must be below Add: VM idle above (1 cores)'],
    ['iocm-classic', { maxBarEpochs: 10 }, 'maxBarEpochs', 'Initial bar (20) must be at most Max bar (10)'],
  ];
  for (const [spec, config, field, message] of cases) {
    it(`${spec} ${JSON.stringify(config)}: names ${field}`, () => {
      const errs = errorsOf(spec, config);
      expect(errs).toContainEqual({ field, message });
    });
  }

  it('accepts both settings moved together in order, and equal values where the order is not strict', () => {
    expect(errorsOf('spdk-dynamic', { activePct: 85, fullPct: 90 })).toEqual([]);
    expect(errorsOf('iocm', { targetBusy: 0.85, maxSideBusy: 0.85 })).toEqual([]);
    expect(errorsOf('iocm-classic', { barEpochs: 50, maxBarEpochs: 50 })).toEqual([]);
  });

  it('a setting wrong on its own is said once, without an order error on top', () => {
    expect(errorsOf('iocm', { targetBusy: 'x' })).toEqual([{ field: 'targetBusy', message: 'Target side-core load must be a finite number' }]);
  });

  it('an order naming a field the policy does not have is a programming error', () => {
    const fields: FieldSpec[] = [{ key: 'a', label: 'A', description: '', type: 'number', default: 1 }];
    expect(() => validateOrders(fields, [{ low: 'a', high: 'b', strict: true }], {}, new Set())).toThrow(/unknown field: a \/ b/);
  });
});

describe('which setting an order error names (review 9)', () => {
  it('the one changed from its default when a form sends every setting', () => {
    const all = { ...POLICY_REGISTRY.iocm.defaults, saturatedBusy: 0.5 };
    expect(errorsOf('iocm', all)).toEqual([{ field: 'saturatedBusy', message: 'Target side-core load (0.75) must be below Saturated (0.5)' }]);
  });
  it('both when both were changed, and the message says it once', () => {
    try {
      resolvePolicyConfig('spdk-dynamic', { activePct: 70, fullPct: 60 });
      expect.unreachable();
    } catch (e) {
      expect((e as PolicyConfigError).errors.map((x) => x.field)).toEqual(['activePct', 'fullPct']);
      expect((e as Error).message).toBe('invalid spdk-dynamic config: activePct, fullPct: Active queue (70 %) must be below Core full (60 %)');
    }
  });
});

describe('a count in the name and in the config (review 9)', () => {
  it('that disagree are refused naming k; that agree are taken', () => {
    expect(errorsOf('static:2', { k: 3 })).toEqual([{ field: 'k', message: "disagrees with the count in the name 'static:2' (K = 2)" }]);
    expect(errorsOf('ovs-auto-lb:4', { k: 1 })[0].field).toBe('k');
    expect(resolvePolicyConfig('static:2', { k: 2 }).config.k).toBe(2);
    expect(resolvePolicyConfig('static', { k: 3 }).config.k).toBe(3);
  });
});
