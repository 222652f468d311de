/**
 * A dry run's view of a host: what a source shows while it decides but applies nothing
 * (`iocm agent --dry-run`). As the qemu driver does it (qemu/qemu-source.ts: `decide` records the
 * decision, `enforce` is skipped): `config()` shows the decided configuration, so the loop sees its
 * decisions as in force and settles instead of deciding them again every epoch; snapshots measure
 * the host as it really runs and are laid out as decided — core roles, the side-core list, queue
 * owners and polling follow the decision; a side core's work is the measured work of the queues
 * the decision gives it (as the qemu driver counts an IOThread's measured CPU on the core it would
 * be placed on), and its polling loop, which does not run, counts nothing (loops and empty polls 0).
 * Pure; used by the model and OVS drivers (src/agent/model-driver.ts, ovs/ovs-source.ts); the config they hand out is copied by copyConfig (src/shared/control.ts).
 */
import type { HostConfig } from '../../shared/control.ts';
import { assembleSnapshot } from '../../shared/host-snapshot.ts';
import type { CoreStats, HostSnapshot, QueueStats, SideCoreStats } from '../../shared/snapshot.ts';

/** Snapshot `s`, measured on the host as it runs, laid out as the decided configuration `cfg` (see the file comment). */
export function dryRunSnapshot(s: HostSnapshot, cfg: HostConfig): HostSnapshot {
  const listed = new Set(s.cores.map((c) => c.id));
  const sideIds = cfg.sideCores.filter((c) => listed.has(c));
  const side = new Set(sideIds);
  const cores: CoreStats[] = s.cores.map((c) => ({ ...c, role: side.has(c.id) ? 'side' : 'vm' }));
  const queues: QueueStats[] = s.queues.map((q) => {
    const o = q.id >= 0 && q.id < cfg.queueOwner.length ? cfg.queueOwner[q.id] : null;
    return { ...q, owner: o !== null && side.has(o) ? o : null, polling: cfg.queuePolling[q.id] ?? q.polling };
  });
  const sideCores: SideCoreStats[] = sideIds.map((c) => {
    const served = queues.filter((q) => q.owner === c);
    return { coreId: c, loops: 0, workCycles: served.reduce((n, q) => n + q.workCycles, 0), emptyPolls: 0, emptyPollCycles: 0, queues: served.map((q) => q.id) };
  });
  const t = s.totals;
  return assembleSnapshot(
    { seq: s.seq, t: s.t, intervalMs: s.intervalMs, hz: s.hz, phase: s.phase, cores, sideCores, queues, vms: s.vms, groups: s.groups },
    { requestsPerSec: t.requestsPerSec, bytesPerSec: t.bytesPerSec, exitsPerSec: t.exitsPerSec, interruptsPerSec: t.interruptsPerSec, ctxSwitchesPerSec: t.ctxSwitchesPerSec, sideCores: sideIds.length, latencyUs: t.latencyUs },
  );
}
