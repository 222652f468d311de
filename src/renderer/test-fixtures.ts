/**
 * Test fixtures for component and unit tests: well-formed HostSnapshots built
 * deterministically (no randomness), a HostInfo to match, and an in-memory IocmApi
 * whose handlers the test supplies. Used only by *.test.ts files.
 */
import type { HostSnapshot, CoreCycles } from '../shared/snapshot.ts';
import type { HostInfo } from '../shared/control.ts';
import { createApiClient, err, type EventName, type IocmApi, type IocmEvents, type IocmHandlers, type MethodName, type ConsoleState } from '../shared/api.ts';
import { validateArgs } from '../shared/api-schema.ts';

/** Options of {@link makeSnapshot}. */
export interface SnapOptions {
  cores: number;
  side: number[];
  vms: number;
  seq?: number;
  intervalMs?: number;
}

/** A consistent snapshot: every core's cycles sum to the interval's cycles. */
export function makeSnapshot(o: SnapOptions): HostSnapshot {
  const hz = 2e9;
  const intervalMs = o.intervalMs ?? 100;
  const seq = o.seq ?? 0;
  const per = (hz * intervalMs) / 1000;
  const queues = Array.from({ length: o.vms }, (_, i) => ({
    id: i,
    vm: i,
    device: 0,
    kind: (i % 2 ? 'blk' : 'net') as 'net' | 'blk',
    owner: o.side.length ? o.side[i % o.side.length] : null,
    polling: o.side.length > 0,
    kicks: o.side.length ? 0 : 100 + i,
    polls: 1000,
    emptyPolls: 200,
    requests: 500 + 10 * i,
    bytes: 1e6 * (i + 1),
    pending: i % 3,
    waitCycles: 1000 * i,
    interrupts: 50,
    workCycles: 1e6 * (i + 1),
  }));
  const cores = Array.from({ length: o.cores }, (_, id) => {
    const side = o.side.includes(id);
    const c: CoreCycles = side
      ? { guest: 0, exit: 0, io: per * 0.4, emptyPoll: per * 0.5, ctxSwitch: 0, idle: per * 0.1 }
      : { guest: per * 0.6, exit: per * 0.1, io: per * 0.05, emptyPoll: 0, ctxSwitch: per * 0.05, idle: per * 0.2 };
    return { id, role: (side ? 'side' : 'vm') as 'side' | 'vm', cycles: c };
  });
  const sideCores = o.side.map((coreId) => {
    const qs = queues.filter((q) => q.owner === coreId).map((q) => q.id);
    return { coreId, loops: 1000, workCycles: per * 0.4, emptyPolls: 5000, emptyPollCycles: per * 0.5, queues: qs };
  });
  const vms = Array.from({ length: o.vms }, (_, i) => ({
    id: i,
    name: `vm-${i}`,
    group: i % 2 ? 'db' : 'web',
    requestsPerSec: 1000 * ((i * 7) % 5) + seq,
    bytesPerSec: 1e6 * (i + 1),
    guestCyclesPerSec: 1e9,
    latencyUs: { p50: 20 + i, p99: 80 + 3 * i, p999: 200 },
    exitsPerSec: 500 * (i + 1),
    interruptsPerSec: 100,
    vcpuRunCycles: per,
    vcpuWaitCycles: 0,
    load: 1,
  }));
  const sum = (k: keyof CoreCycles) => cores.reduce((a, c) => a + c.cycles[k], 0);
  return {
    seq,
    t: (seq + 1) * intervalMs,
    intervalMs,
    hz,
    phase: 'steady',
    cores,
    sideCores,
    queues,
    vms,
    groups: [],
    totals: {
      requestsPerSec: vms.reduce((a, v) => a + v.requestsPerSec, 0),
      bytesPerSec: vms.reduce((a, v) => a + v.bytesPerSec, 0),
      exitsPerSec: vms.reduce((a, v) => a + v.exitsPerSec, 0),
      interruptsPerSec: 100 * o.vms,
      ctxSwitchesPerSec: 1000,
      sideCores: o.side.length,
      score: 100 + seq,
      latencyUs: { p50: 25, p99: 90, p999: 300 },
      cycles: { guest: sum('guest'), exit: sum('exit'), io: sum('io'), emptyPoll: sum('emptyPoll'), ctxSwitch: sum('ctxSwitch'), idle: sum('idle') },
    },
  };
}

/** HostInfo matching {@link makeSnapshot}. */
export function makeInfo(cores: number, vms: number): HostInfo {
  return {
    name: 'fixture-host',
    source: 'model',
    cores,
    hz: 2e9,
    intervalMs: 100,
    vms: Array.from({ length: vms }, (_, i) => ({ id: i, name: `vm-${i}`, group: i % 2 ? 'db' : 'web', vcpus: 2 })),
    queues: Array.from({ length: vms }, (_, i) => ({ id: i, vm: i, device: 0, kind: (i % 2 ? 'blk' : 'net') as 'net' | 'blk' })),
    groups: [
      { name: 'web', weight: 1, workload: 'web' },
      { name: 'db', weight: 1, workload: 'kv' },
    ],
  };
}

/** A console state for a connected fixture host. */
export function makeState(cores = 8, vms = 4): ConsoleState {
  return {
    hostId: 'h1',
    connection: { kind: 'model', scenario: 'fixture', seed: 1, speed: 1 },
    link: null,
    host: makeInfo(cores, vms),
    config: { cores, sideCores: [cores - 1], queueOwner: [], queuePolling: [] },
    loop: {
      t: 0,
      policy: 'iocm',
      config: { threshold: 0.5 },
      epochMs: 100,
      overrides: { pinned: [], released: [], countLock: null, paused: false },
      limits: { minVmCores: 1, maxSideCores: cores - 1, minChangeIntervalMs: 500 },
      sideCores: [cores - 1],
      lastDecision: null,
      changes: 0,
      state: 'running',
    },
    overrides: { pinned: [], released: [], countLock: null, paused: false },
    limits: { minVmCores: 1, maxSideCores: cores - 1, minChangeIntervalMs: 500 },
    recording: { sessionId: 's1', dbPath: '/tmp/x.db', error: null },
    replay: null,
  };
}

/** An in-memory API: the given handlers answer (validated like a real transport); others say not-available. */
export function memoryApi(handlers: Partial<IocmHandlers>): { api: IocmApi; emit<E extends EventName>(e: E, p: IocmEvents[E]): void; calls: { method: MethodName; args: unknown }[] } {
  const subs = new Map<string, Set<(p: unknown) => void>>();
  const calls: { method: MethodName; args: unknown }[] = [];
  const api = createApiClient(
    async (method, args) => {
      const v = validateArgs(method, args);
      if (!v.ok) return v;
      calls.push({ method, args: v.value });
      const h = handlers[method] as ((a: unknown) => Promise<unknown>) | undefined;
      if (!h) return err('not-available', `${method} is not available in this test`);
      return (await h(v.value)) as never;
    },
    (event, cb) => {
      if (!subs.has(event)) subs.set(event, new Set());
      subs.get(event)!.add(cb);
      return () => subs.get(event)!.delete(cb);
    },
  );
  return { api, calls, emit: (e, p) => subs.get(e)?.forEach((cb) => cb(p)) };
}
