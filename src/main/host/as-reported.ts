/**
 * A snapshot as a host of a given observability profile reports it: what a real driver of that
 * profile sends, shaped the way it sends it — for a source that knows more than the host it stands
 * for (the agent's `model` driver, seen as a stock QEMU host: review 8 found its snapshots carried
 * exits, empty polls and loop counts that no `qemu` host measures, which the console then showed
 * and recorded as measured).
 *
 * - Truth is neutral, whatever the profile (a real host never knows it): phase '', latencies 0,
 *   score and work rate 0, queue waiting time 0, VM load 0 and guest work rate 0.
 * - A core's cycles (no `coreSplit`): /proc/stat gives guest, busy and idle time, so the host's
 *   non-guest busy time is all `io`, and exit, empty-poll and context-switch cycles are 0 — as the
 *   qemu driver (qemu/qemu-source.ts) fills them. With `sideWork` (OVS) a side core's host time is
 *   split into io and emptyPoll in the ratio of its work to its empty polls, as ovs/map.ts does.
 * - A side core (no `sideWork`): only the CPU time of the threads on it is measured (an IOThread's
 *   polling is CPU time too), so `workCycles` is its busy time (work + empty polls) and loops,
 *   empty polls and their cycles are 0 — as the qemu driver fills them. Empty polls (a count) only
 *   under `sideEmptyPolls`.
 * - A queue: kicks and interrupts only under `queueNotify`, polls and empty polls under
 *   `queuePolls`, pending under `queuePending`. Its `workCycles` under `queueWork`; otherwise a
 *   notification-driven queue keeps its thread's cycles (`queueThread`), and a queue served by a
 *   side core gets a share of that core's busy time by its requests (evenly when none), as the qemu
 *   driver shares an IOThread's CPU among the devices on it.
 * - A VM's and the host's exits and interrupts per second only under `vmExits`.
 * - The host's cycle totals are the sums of the cores' (assembleSnapshot).
 *
 * Under `full` only truth changes. Pure.
 */
import type { Observability } from '../../shared/observe.ts';
import { assembleSnapshot } from '../../shared/host-snapshot.ts';
import type { CoreStats, GroupStats, HostSnapshot, QueueStats, SideCoreStats, VmStats } from '../../shared/snapshot.ts';

const ZERO_LAT = { p50: 0, p99: 0, p999: 0 };

/** Snapshot `s` as a host reporting `obs` sends it (see the file comment). */
export function asReported(s: HostSnapshot, obs: Observability): HostSnapshot {
  const f = obs.reports;
  const sideById = new Map(s.sideCores.map((sc) => [sc.coreId, sc]));
  const cores: CoreStats[] = s.cores.map((c) => {
    if (f.coreSplit) return { id: c.id, role: c.role, cycles: { ...c.cycles } };
    const y = c.cycles;
    const host = y.exit + y.io + y.emptyPoll + y.ctxSwitch;
    let io = host;
    let emptyPoll = 0;
    const sc = f.sideWork ? sideById.get(c.id) : undefined;
    if (sc && sc.workCycles + sc.emptyPollCycles > 0) {
      io = (host * sc.workCycles) / (sc.workCycles + sc.emptyPollCycles);
      emptyPoll = host - io;
    }
    return { id: c.id, role: c.role, cycles: { guest: y.guest, exit: 0, io, emptyPoll, ctxSwitch: 0, idle: y.idle } };
  });
  const sideCores: SideCoreStats[] = s.sideCores.map((sc) =>
    f.sideWork
      ? { ...sc, queues: [...sc.queues], emptyPolls: f.sideEmptyPolls ? sc.emptyPolls : 0 }
      : { coreId: sc.coreId, loops: 0, workCycles: sc.workCycles + sc.emptyPollCycles, emptyPolls: 0, emptyPollCycles: 0, queues: [...sc.queues] },
  );
  // A side core's busy time shared among its queues by requests (no queueWork).
  const share = new Map<number, number>();
  if (!f.queueWork) {
    for (const sc of sideCores) {
      const mine = s.queues.filter((q) => q.owner === sc.coreId);
      const reqs = mine.reduce((n, q) => n + q.requests, 0);
      for (const q of mine) share.set(q.id, reqs > 0 ? (sc.workCycles * q.requests) / reqs : sc.workCycles / mine.length);
    }
  }
  const queues: QueueStats[] = s.queues.map((q) => ({
    id: q.id,
    vm: q.vm,
    device: q.device,
    kind: q.kind,
    owner: q.owner,
    polling: q.polling,
    kicks: f.queueNotify ? q.kicks : 0,
    polls: f.queuePolls ? q.polls : 0,
    emptyPolls: f.queuePolls ? q.emptyPolls : 0,
    requests: q.requests,
    bytes: q.bytes,
    pending: f.queuePending ? q.pending : 0,
    waitCycles: 0,
    interrupts: f.queueNotify ? q.interrupts : 0,
    workCycles: f.queueWork ? q.workCycles : q.owner === null ? (f.queueThread ? q.workCycles : 0) : (share.get(q.id) ?? 0),
  }));
  const vms: VmStats[] = s.vms.map((v) => ({
    ...v,
    guestCyclesPerSec: 0,
    latencyUs: ZERO_LAT,
    exitsPerSec: f.vmExits ? v.exitsPerSec : 0,
    interruptsPerSec: f.vmExits ? v.interruptsPerSec : 0,
    load: 0,
  }));
  const groups: GroupStats[] = s.groups.map((g) => ({ ...g, guestCyclesPerSec: 0, latencyUs: ZERO_LAT, workRate: 0, score: 0 }));
  const t = s.totals;
  return assembleSnapshot(
    { seq: s.seq, t: s.t, intervalMs: s.intervalMs, hz: s.hz, phase: '', cores, sideCores, queues, vms, groups },
    {
      requestsPerSec: t.requestsPerSec,
      bytesPerSec: t.bytesPerSec,
      exitsPerSec: f.vmExits ? t.exitsPerSec : 0,
      interruptsPerSec: f.vmExits ? t.interruptsPerSec : 0,
      ctxSwitchesPerSec: t.ctxSwitchesPerSec,
      sideCores: t.sideCores,
      latencyUs: ZERO_LAT,
    },
  );
}
