import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { HostSnapshot } from '../../../shared/snapshot.ts';
import { createQemuSource, type QemuClock } from './qemu-source.ts';

// The driver without guests, on this machine's real /proc, with a hand-driven clock (the e2e on
// real QEMU guests is test/qemu/qemu-source.test.ts).
function manualClock(): QemuClock & { fire(): Promise<void>; t: number } {
  const fns = new Map<number, () => void>();
  let next = 1;
  const c = {
    t: 1_000_000,
    now: () => c.t,
    setInterval: (f: () => void) => {
      fns.set(next, f);
      return next++;
    },
    clearInterval: (h: unknown) => void fns.delete(h as number),
    setTimeout: (f: () => void, ms: number) => setTimeout(f, ms),
    clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout),
    /** Advances 500 ms and runs every interval callback, letting their I/O finish. */
    async fire() {
      c.t += 500;
      for (const f of [...fns.values()]) f();
      await new Promise((r) => setTimeout(r, 150));
    },
  };
  return c;
}

let dir = '';
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = '';
});

describe('createQemuSource (no guests)', () => {
  it('refuses bad options with the option named', async () => {
    const clock = manualClock();
    await expect(createQemuSource({ qmp: '', clock })).rejects.toThrow(/qmp must name/);
    await expect(createQemuSource({ qmp: '/tmp/x', clock, intervalMs: 5 })).rejects.toThrow(/intervalMs/);
    await expect(createQemuSource({ qmp: '/tmp/x', clock, discoverMs: Number.NaN })).rejects.toThrow(/discoverMs/);
    await expect(createQemuSource({ qmp: '/tmp/x', clock, sidePollMaxNs: -1 })).rejects.toThrow(/sidePollMaxNs/);
    await expect(createQemuSource({ qmp: '/tmp/x', clock, procRoot: '/nonexistent' })).rejects.toThrow(/cannot read the cores/);
  });

  it('reports the host cores from /proc/stat on the injected clock; validates actions; keeps a VM core', async () => {
    dir = mkdtempSync(join(tmpdir(), 'iocm-qmpdir-'));
    const clock = manualClock();
    const src = await createQemuSource({ qmp: dir, clock, name: 'h1' });
    try {
      const info = src.info();
      expect(info).toMatchObject({ name: 'h1', source: 'agent', vms: [], queues: [], intervalMs: 500 });
      expect(info.observability?.profile).toBe('qemu');
      expect(info.cores).toBeGreaterThanOrEqual(1);
      expect(src.capabilities()).toEqual({ pacing: false, seed: false, scenario: false, whatIf: false });
      const got: HostSnapshot[] = [];
      src.onSnapshot((s) => got.push(s));
      await clock.fire();
      await clock.fire();
      expect(got.length).toBe(2);
      expect(got[1].seq).toBe(1);
      expect(got[1].intervalMs).toBe(500);
      expect(got[1].t).toBe(1000);
      expect(got[1].cores).toHaveLength(info.cores);
      for (const c of got[1].cores) expect(c.cycles.guest + c.cycles.io + c.cycles.idle).toBeGreaterThanOrEqual(0);
      expect(got[1].totals.ctxSwitchesPerSec).toBeGreaterThan(0);
      expect(got[1].phase).toBe('');

      const last = info.cores - 1;
      const all = Array.from({ length: info.cores }, (_, i) => i);
      const r = await src.apply({ kind: 'setSideCores', cores: all });
      expect(r.ok).toBe(false);
      expect(!r.ok && r.error).toMatch(/at least one VM core must remain/);
      expect(await src.apply({ kind: 'setSideCores', cores: [info.cores] })).toMatchObject({ ok: false, error: expect.stringMatching(/does not exist/) });
      expect(await src.apply({ kind: 'bogus' } as never)).toMatchObject({ ok: false, error: expect.stringMatching(/unknown action/) });
      expect(await src.apply({ kind: 'setPolling', queue: 0, on: true })).toMatchObject({ ok: false, error: expect.stringMatching(/queue 0 does not exist/) });
      expect(await src.apply({ kind: 'setPmdMaxSleep', us: 1 })).toMatchObject({ ok: false, error: expect.stringMatching(/Open vSwitch/) });
      if (info.cores > 1) {
        expect(await src.apply({ kind: 'setSideCores', cores: [last] })).toEqual({ ok: true, costCycles: 0 });
        expect(src.config().sideCores).toEqual([last]);
        await clock.fire();
        expect(got[got.length - 1].cores[last].role).toBe('side');
        expect(got[got.length - 1].totals.sideCores).toBe(1);
      }
      expect(await src.apply({ kind: 'setManager', on: true })).toEqual({ ok: true, costCycles: 0 });
      expect(src.config().knobs?.manager.on).toBe(true);
      expect(await src.restore()).toEqual({ ok: true, costCycles: 0 });
      expect(src.config().sideCores).toEqual([]);
    } finally {
      await src.close();
    }
    expect(await src.apply({ kind: 'setSideCores', cores: [] })).toMatchObject({ ok: false, error: expect.stringMatching(/closed/) });
  });

  it('a socket path that is not a QMP server is reported once and skipped', async () => {
    dir = mkdtempSync(join(tmpdir(), 'iocm-qmpdir-'));
    const { createServer } = await import('node:net');
    const server = createServer((s) => s.end('not qmp\n'));
    await new Promise<void>((r) => server.listen(join(dir, 'x.qmp'), r));
    const clock = manualClock();
    const events: string[] = [];
    try {
      const src = await createQemuSource({ qmp: join(dir, '*.qmp'), clock, qmpTimeoutMs: 500, onEvent: (e) => events.push(`${e.kind}: ${e.message}`) });
      expect(src.info().vms).toEqual([]);
      expect(events).toEqual([expect.stringMatching(/^error: cannot use QMP socket .*x\.qmp: .*not JSON/)]);
      await clock.fire(); // discovery again: still skipped, not reported twice
      await new Promise((r) => setTimeout(r, 300));
      expect(events).toHaveLength(1);
      await src.close();
    } finally {
      server.close();
    }
  });
});
