import { describe, expect, it } from 'vitest';
import type { HostInfo } from '../../shared/control.ts';
import { csvNumber, entityName, sideCoresAfter, unitOf } from './export-csv.ts';

const info: HostInfo = {
  name: 'h',
  source: 'model',
  cores: 4,
  hz: 2e9,
  intervalMs: 100,
  vms: [
    { id: 0, name: 'web-1', group: 'web', vcpus: 1 },
    { id: 1, name: 'db-1', group: 'db', vcpus: 2 },
  ],
  queues: [
    { id: 0, vm: 0, device: 0, kind: 'net' },
    { id: 1, vm: 1, device: 1, kind: 'blk' },
  ],
  groups: [],
};

describe('CSV cells', () => {
  it('rounds by unit: cycles and counts to integers, rates to 6 significant digits, nothing for NaN', () => {
    expect(csvNumber(123456789.9876, 'cycles')).toBe('123456790');
    expect(csvNumber(2.5, 'requests')).toBe('3');
    expect(csvNumber(-0.2, 'cycles')).toBe('0');
    expect(csvNumber(1234.56789123, 'req/s')).toBe('1234.57');
    expect(csvNumber(0.000123456789, 'µs')).toBe('0.000123457');
    expect(csvNumber(98765432.1, 'B/s')).toBe('98765432');
    expect(csvNumber(Number.NaN, 'µs')).toBe('');
    expect(csvNumber(Infinity, 'cycles')).toBe('');
  });

  it('gives every metric of a snapshot a unit', () => {
    expect(unitOf('io')).toBe('cycles');
    expect(unitOf('cycles.emptyPoll')).toBe('cycles');
    expect(unitOf('latencyUs.p99')).toBe('µs');
    expect(unitOf('requestsPerSec')).toBe('req/s');
    expect(unitOf('bytes')).toBe('B');
    expect(unitOf('side')).toBe('flag');
    expect(unitOf('somethingNew')).toBe('');
  });

  it('names entities as the console does', () => {
    const vmNames = new Map([
      [0, 'web-1'],
      [1, 'db-1'],
    ]);
    expect(entityName('totals', info, vmNames)).toBe('host');
    expect(entityName('core.3', info, vmNames)).toBe('core 3');
    expect(entityName('side.2', info, vmNames)).toBe('side core 2');
    expect(entityName('vm.1', info, vmNames)).toBe('db-1');
    expect(entityName('queue.0', info, vmNames)).toBe('web-1/net0');
    expect(entityName('queue.1', info, vmNames)).toBe('db-1/blk1');
    expect(entityName('group.web', info, vmNames)).toBe('group web');
    // An old recording without a host description keeps the ids.
    expect(entityName('queue.1', null, new Map())).toBe('queue 1');
    expect(entityName('vm.7', null, new Map())).toBe('vm 7');
  });

  it("reads the side-core count a decision left in force from what was applied, not from what was asked", () => {
    const d = (applied: unknown[]) => ({ t: 1, source: 'policy' as const, kind: 'decision' as const, message: 'm', data: { policy: 'iocm', decision: { kind: 'change', actions: [{ kind: 'setSideCores', cores: [1, 2, 3] }] }, applied } });
    expect(sideCoresAfter(d([{ kind: 'setSideCores', cores: [1, 2] }]))).toBe(2);
    expect(sideCoresAfter(d([]))).toBeNull();
    expect(sideCoresAfter({ t: 1, source: 'operator', kind: 'override', message: 'pin' })).toBeNull();
  });
});
