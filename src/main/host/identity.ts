/**
 * Whether a host's new description is another host, or the same host whose VMs came and went.
 *
 * A real host's VMs start and stop (QEMU: `onInfo` fires when the set changes; ids of VMs that
 * remain keep their values), and that is the same host: its recording goes on. An agent restarted
 * on another machine or another scenario behind the same address is another host: its cores, or
 * VMs that contradict the ones it had. Pure; no clock.
 */
import type { HostInfo } from '../../shared/control.ts';

/**
 * Why `after` describes another host than `before`, in words (null when it is the same host, with
 * VMs and queues that may have come and gone). Another host: another core count (not another
 * clock: a restarted agent reads the clock afresh and frequency scaling moves it), a VM id that
 * names another VM or a VM in another group, or no VM of the old host left while the new one has
 * VMs (every VM replaced at once is a restart on another host, not VMs coming and going).
 */
export function hostIdentityChange(before: HostInfo, after: HostInfo): string | null {
  if (after.cores !== before.cores) return `it has ${after.cores} cores, the host before it ${before.cores}`;
  const byId = new Map<number, { name: string; group: string }>();
  const names = new Set<string>();
  for (const v of before.vms) {
    byId.set(v.id, v);
    names.add(v.name);
  }
  let kept = 0;
  for (const v of after.vms) {
    const was = byId.get(v.id);
    if (was && was.name !== v.name) return `its VM ${v.id} is '${v.name}', the host before it had '${was.name}' there`;
    if (was && was.group !== v.group) return `its VM '${v.name}' is in group '${v.group}', on the host before it in '${was.group}'`;
    if (names.has(v.name)) kept++;
  }
  if (kept === 0 && before.vms.length > 0 && after.vms.length > 0) return `none of its ${after.vms.length} VM(s) was on the host before it`;
  return null;
}
