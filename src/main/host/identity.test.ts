import { describe, expect, it } from 'vitest';
import { hostIdentityChange } from './identity.ts';
import type { HostInfo } from '../../shared/control.ts';

function info(cores: number, vms: [number, string, string][]): HostInfo {
  return {
    name: 'h',
    source: 'agent',
    cores,
    hz: 2.5e9,
    intervalMs: 100,
    vms: vms.map(([id, name, group]) => ({ id, name, group, vcpus: 1 })),
    queues: vms.map(([id], i) => ({ id: i, vm: id, device: i, kind: 'net' as const })),
    groups: [],
  };
}

describe('hostIdentityChange', () => {
  const base = info(8, [[0, 'web-0', 'web'], [1, 'web-1', 'web'], [2, 'kv-0', 'kv']]);

  it('is the same host when VMs come and go (ids of VMs that remain keep their values)', () => {
    expect(hostIdentityChange(base, base)).toBeNull();
    expect(hostIdentityChange(base, info(8, [[0, 'web-0', 'web'], [2, 'kv-0', 'kv'], [3, 'new-0', 'new']]))).toBeNull();
    expect(hostIdentityChange(base, info(8, [[1, 'web-1', 'web']]))).toBeNull();
    // A host that had no VMs, or has none left: nothing contradicts.
    expect(hostIdentityChange(info(8, []), base)).toBeNull();
    expect(hostIdentityChange(base, info(8, []))).toBeNull();
    // Another clock is not another host (frequency scaling moves what a restarted agent reads).
    expect(hostIdentityChange(base, { ...base, hz: 3.1e9 })).toBeNull();
  });

  it('is another host with another core count', () => {
    expect(hostIdentityChange(base, info(16, [[0, 'web-0', 'web']]))).toBe('it has 16 cores, the host before it 8');
  });

  it('is another host when a VM id names another VM or a VM moved group', () => {
    expect(hostIdentityChange(base, info(8, [[0, 'web-0', 'web'], [2, 'stream-0', 'stream']]))).toBe("its VM 2 is 'stream-0', the host before it had 'kv-0' there");
    expect(hostIdentityChange(base, info(8, [[0, 'web-0', 'batch']]))).toBe("its VM 'web-0' is in group 'batch', on the host before it in 'web'");
  });

  it('is another host when every VM was replaced at once', () => {
    expect(hostIdentityChange(base, info(8, [[5, 'a-0', 'a'], [6, 'a-1', 'a']]))).toBe('none of its 2 VM(s) was on the host before it');
  });
});
