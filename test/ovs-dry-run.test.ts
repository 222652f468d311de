/**
 * The OVS source over a fake OVS: the `exec` and `readProcStat` seams of OvsHostSource answer the
 * commands it runs with text in the formats of OVS 3.1 (src/main/host/ovs/fixtures, parse.ts), from a
 * small simulated state (PMD mask, ports, rx-queue pins; counters that grow with each sample).
 * The clock is manual: sampling and the loop run from its timers, no sleeping, no real OVS
 * (test/ovs/*.rel.ts run a real private one).
 *
 * Dry run (`iocm agent --driver ovs --loop --dry-run`): config() follows the decisions, so the
 * loop settles instead of deciding the same change again every epoch (the model driver's defect,
 * fixed in fa966d5, test/agent-dry-run.test.ts); each action is checked as without the dry run;
 * nothing is sent to ovs-vsctl; snapshots measure OVS as it runs, laid out as decided.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OvsHostSource, type OvsClock } from '../src/main/host/ovs/ovs-source.ts';
import { LiveSession } from '../src/main/loop/session.ts';
import { snapshotConsistencyProblem } from '../src/shared/agent-protocol.ts';
import type { HostSnapshot } from '../src/shared/snapshot.ts';

/** A run folder with the two sockets the source looks for (it only checks that they exist). */
const rundir = mkdtempSync(join(tmpdir(), 'iocm-ovs-fake-'));
writeFileSync(join(rundir, 'db.sock'), '');
writeFileSync(join(rundir, 'ovs-vswitchd.ctl'), '');
afterAll(() => rmSync(rundir, { recursive: true, force: true }));

class ManualClock implements OvsClock {
  t = 1_000_000;
  private next = 1;
  private readonly timers = new Map<number, { at: number; every: number; fn: () => void }>();
  now = (): number => this.t;
  setInterval = (fn: () => void, ms: number): unknown => {
    const id = this.next++;
    this.timers.set(id, { at: this.t + ms, every: ms, fn });
    return id;
  };
  clearInterval = (h: unknown): void => void this.timers.delete(h as number);
  /** Move time forward by `ms`, firing the timers that fall due and letting the samples they start finish. */
  async advance(ms: number, step = 100): Promise<void> {
    const end = this.t + ms;
    while (this.t < end) {
      this.t = Math.min(end, this.t + step);
      for (const tm of [...this.timers.values()]) {
        if (tm.at > this.t) continue;
        tm.at += tm.every;
        tm.fn();
      }
      await new Promise((r) => setImmediate(r));
    }
  }
}

/** A fake OVS 3.1: what its clients print for the state it holds. */
class FakeOvs {
  cores = 4;
  /** The PMD cores (pmd-cpu-mask). */
  mask = [0];
  ports = ['vhu0', 'vhu1'];
  /** Interface other_config:pmd-rxq-affinity, by port. */
  affinity = new Map<string, string>();
  /** Open_vSwitch other_config. */
  ovsConfig: Record<string, string> = { 'pmd-cpu-mask': '0x1' };
  /** Every command run, `bin args…`. */
  readonly calls: string[] = [];
  private n = 0;

  /** The PMD polling port `i`'s rx queue 0: its pinned core when that is a PMD, else round robin. */
  ownerOf(i: number): number {
    const pin = /^0:(\d+)$/.exec(this.affinity.get(this.ports[i]) ?? '');
    if (pin && this.mask.includes(Number(pin[1]))) return Number(pin[1]);
    return this.mask[i % this.mask.length];
  }

  exec = (bin: string, args: string[]): Promise<string> => {
    this.calls.push(`${bin} ${args.join(' ')}`);
    if (args.includes('dpif-netdev/pmd-perf-show')) this.n++; // the first command of a sample
    const n = this.n;
    const pmds = this.mask;
    if (bin === 'ovs-appctl' && args.includes('dpif-netdev/pmd-stats-show')) {
      return Promise.resolve(
        pmds.map((c) => `pmd thread numa_id 0 core_id ${c}:\n  packets received: ${n * 100_000}\n  idle cycles: ${n * 1_500_000_000} (75.00%)\n  processing cycles: ${n * 500_000_000} (25.00%)\n`).join('') +
          'main thread:\n  packets received: 0\n',
      );
    }
    if (bin === 'ovs-appctl' && args.includes('dpif-netdev/pmd-perf-show')) {
      const d = 10 + n * 0.2;
      return Promise.resolve(
        `Time: 17:30:09.638\nMeasurement duration: ${d.toFixed(3)} s\n\n` +
          pmds.map((c) => `pmd thread numa_id 0 core_id ${c}:\n\n  Iterations:            ${n * 1_000_000}  (0.25 us/it)\n  - Used TSC cycles:   ${Math.round(2e9 * d * 0.99)}  ( 99.0 % of total cycles)\n  - idle iterations:     ${n * 900_000}  ( 75.0 % of used cycles)\n  - busy iterations:     ${n * 100_000}  ( 25.0 % of used cycles)\n  - sleep iterations:            0  (  0.0 % of iterations)\n  Sleep time (us):               0  (  0 us/iteration avg.)\n  Rx packets:              ${n * 100_000}  (186 Kpps, 1683 cycles/pkt)\n  Tx packets:              0  (0 Kpps)\n\n`).join(''),
      );
    }
    if (bin === 'ovs-appctl' && args.includes('dpif-netdev/pmd-rxq-show')) {
      const lines = ['Displaying last 5 seconds pmd usage %'];
      for (const c of pmds) {
        lines.push(`pmd thread numa_id 0 core_id ${c}:`, '  isolated : false');
        this.ports.forEach((p, i) => {
          if (this.ownerOf(i) === c) lines.push(`  port: ${p.padEnd(16)}  queue-id:  0 (enabled)   pmd usage: ${i === 0 ? 20 : 5} %`);
        });
        lines.push('  overhead:  2 %');
      }
      return Promise.resolve(lines.join('\n') + '\n');
    }
    if (bin === 'ovs-appctl' && args.includes('dpctl/show')) {
      const ports = this.ports.map(
        (p, i) => `  port ${i + 2}: ${p} (dpdkvhostuserclient: configured_rx_queues=1)\n    RX packets:${n * 1000 * (i + 1)} errors:? dropped:0 overruns:? frame:?\n    TX packets:0 errors:? dropped:0 aborted:? carrier:?\n    collisions:?\n    RX bytes:${n * 64_000 * (i + 1)} (1 MiB)  TX bytes:0\n`,
      );
      return Promise.resolve(`netdev@ovs-netdev:\n  lookups: hit:0 missed:0 lost:0\n  flows: 1\n${ports.join('')}`);
    }
    if (bin === 'ovs-vsctl' && args.includes('Interface') && args.includes('list')) {
      const map = (o: Record<string, string>): unknown => ['map', Object.entries(o)];
      const rows = [['br0', 'internal', map({}), map({})], ...this.ports.map((p) => [p, 'dpdkvhostuserclient', map(this.affinity.has(p) ? { 'pmd-rxq-affinity': this.affinity.get(p)! } : {}), map({})])];
      return Promise.resolve(JSON.stringify({ data: rows, headings: ['name', 'type', 'other_config', 'external_ids'] }));
    }
    if (bin === 'ovs-vsctl' && args.includes('Open_vSwitch') && args.includes('list')) {
      return Promise.resolve(JSON.stringify({ data: [[['map', Object.entries(this.ovsConfig)]]], headings: ['other_config'] }));
    }
    return Promise.reject(new Error(`the fake OVS does not know '${bin} ${args.join(' ')}'`));
  };

  readProcStat = (): Promise<string> => {
    const k = this.n * 20;
    const cpus = Array.from({ length: this.cores }, (_, c) => `cpu${c} ${k} 0 ${k} ${k * 2} 0 0 0 0 ${c === 0 ? 0 : k} 0`);
    return Promise.resolve(`cpu  0 0 0 0 0 0 0 0 0 0\n${cpus.join('\n')}\nctxt ${this.n * 1000}\n`);
  };

  /** The commands that would change OVS (anything but reading). */
  changes(): string[] {
    return this.calls.filter((c) => c.startsWith('ovs-vsctl') && !/ list (Interface|Open_vSwitch)$/.test(c));
  }
}

async function start(fake: FakeOvs, clock: ManualClock, dryRun: boolean, log: string[]): Promise<OvsHostSource> {
  const s = new OvsHostSource({ rundir, clock, intervalMs: 200, dryRun, name: 'fake-ovs', exec: fake.exec, readProcStat: fake.readProcStat, onLog: (l) => log.push(l) });
  await s.start();
  return s;
}

/** The most times one line occurs in `lines`. */
function maxRepeats(lines: string[]): number {
  const n = new Map<string, number>();
  for (const l of lines) n.set(l, (n.get(l) ?? 0) + 1);
  return Math.max(0, ...n.values());
}

describe('OvsHostSource over a fake OVS', () => {
  it('reads the fake as a host: 4 cores, vhu0 and vhu1 polled by the PMD on core 0', async () => {
    const fake = new FakeOvs();
    const clock = new ManualClock();
    const s = await start(fake, clock, false, []);
    const snaps: HostSnapshot[] = [];
    s.onSnapshot((x) => snaps.push(x));
    await clock.advance(1000);
    expect(s.info().cores).toBe(4);
    expect(s.info().vms.map((v) => v.name)).toEqual(['vhu0', 'vhu1']);
    expect(s.config()).toMatchObject({ sideCores: [0], queueOwner: [0, 0], queuePolling: [true, true] });
    expect(snaps.length).toBeGreaterThanOrEqual(4);
    const last = snaps.at(-1)!;
    expect(last.sideCores.map((c) => c.coreId)).toEqual([0]);
    expect(last.sideCores[0].workCycles).toBeGreaterThan(0);
    expect(last.queues.map((q) => q.requests)).toEqual([1000, 2000]);
    await s.close();
  });
});

describe('OvsHostSource --dry-run', () => {
  it('under the loop (iocm agent --driver ovs --loop --dry-run): a pin and a static policy are decided once, config() follows them, nothing reaches ovs-vsctl', async () => {
    const fake = new FakeOvs();
    const clock = new ManualClock();
    const log: string[] = [];
    const source = await start(fake, clock, true, log);
    // OVS's own behaviour first (the native policy changes nothing), then a console's pin and static:2.
    const session = new LiveSession(source, { policy: 'ovs-auto-lb' });
    const snaps: HostSnapshot[] = [];
    source.onSnapshot((x) => snaps.push(x));
    try {
      await clock.advance(2000);
      expect(log).toEqual([]);
      // A console pins core 3 and sets static:2 (what the agent's server does with its messages).
      expect(session.override({ kind: 'pin', core: 3 }).ok).toBe(true);
      expect(session.setPolicy('static:2', {})).toEqual([]);
      const mark = log.length;
      await clock.advance(10_000); // 50 intervals, 100 epochs
      const lines = log.slice(mark).filter((l) => l.startsWith('dry-run: would '));
      const sets = lines.filter((l) => l.includes('pmd-cpu-mask'));
      // Decided once each (the pin's set, static:2's set), not every epoch.
      expect(maxRepeats(sets), sets.join('\n')).toBeLessThanOrEqual(1);
      expect(sets.length, sets.join('\n')).toBeLessThanOrEqual(2);
      expect(maxRepeats(lines), lines.join('\n')).toBeLessThanOrEqual(1);

      // config() reports the decision: two PMD cores, core 3 among them, every queue on one of them.
      const cfg = source.config();
      expect(cfg.sideCores).toHaveLength(2);
      expect(cfg.sideCores).toContain(3);
      expect(cfg.queueOwner.every((o) => o !== null && cfg.sideCores.includes(o))).toBe(true);
      expect(cfg.queuePolling).toEqual([true, true]);
      expect(session.status().sideCores).toEqual(cfg.sideCores);
      expect(session.status().lastDecision?.kind).not.toBe('blocked');

      // Settled: nothing more is decided, the loop's change counter stands still.
      const mark2 = log.length;
      const changes = session.status().changes;
      await clock.advance(5000);
      expect(log.slice(mark2)).toEqual([]);
      expect(session.status().changes).toBe(changes);

      // Snapshots are laid out as decided, measured as OVS runs, and hold together.
      const last = snaps.at(-1)!;
      expect(last.sideCores.map((c) => c.coreId)).toEqual(cfg.sideCores);
      expect(last.cores.filter((c) => c.role === 'side').map((c) => c.id)).toEqual(cfg.sideCores);
      expect(last.queues.map((q) => q.owner)).toEqual(cfg.queueOwner);
      expect(last.totals.sideCores).toBe(2);
      expect(last.queues.map((q) => q.requests)).toEqual([1000, 2000]);
      expect(last.sideCores.reduce((n, c) => n + c.workCycles, 0)).toBeCloseTo(last.queues.reduce((n, q) => n + q.workCycles, 0));
      expect(last.sideCores.reduce((n, c) => n + c.workCycles, 0)).toBeGreaterThan(0);
      for (const x of snaps) expect(snapshotConsistencyProblem(x)).toBeNull();

      // OVS was not changed: only reads reached it; the PMD still runs on core 0.
      expect(fake.changes()).toEqual([]);
      expect(fake.mask).toEqual([0]);
    } finally {
      await session.close();
    }
    expect(fake.changes()).toEqual([]); // close() restores nothing either
  });

  it('checks each action as without the dry run, against the decided configuration, and logs the command it would run', async () => {
    const fake = new FakeOvs();
    fake.affinity.set('vhu1', '0:0'); // the operator pinned vhu1's rx queue 0 to core 0
    const clock = new ManualClock();
    const log: string[] = [];
    const s = await start(fake, clock, true, log);
    await clock.advance(400);
    expect(s.config()).toMatchObject({ sideCores: [0], queueOwner: [0, 0] });

    // Refusals are the driver's own.
    expect(await s.apply({ kind: 'setSideCores', cores: [] })).toMatchObject({ ok: false, error: expect.stringMatching(/at least one PMD/) });
    expect(await s.apply({ kind: 'setSideCores', cores: [7] })).toMatchObject({ ok: false, error: expect.stringMatching(/core 7 does not exist/) });
    expect(await s.apply({ kind: 'setSideCores', cores: [2] })).toMatchObject({ ok: false, error: expect.stringMatching(/pinned by the operator/) });
    expect(await s.apply({ kind: 'setPolling', queue: 0, on: false })).toMatchObject({ ok: false });
    expect(await s.apply({ kind: 'setVhostPoll', us: 5 })).toMatchObject({ ok: false });
    expect(await s.apply({ kind: 'assignQueue', queue: 1, core: 0 })).toMatchObject({ ok: false, error: expect.stringMatching(/operator/) });

    // Core 0 kept (the operator's pin), cores 2 and 3 added: decided, logged, not sent. The queues
    // as OVS would place them: vhu1 on its pinned core, vhu0 on a new PMD.
    expect(await s.apply({ kind: 'setSideCores', cores: [0, 2, 3] })).toEqual({ ok: true, costCycles: 0 });
    expect(log.at(-1)).toBe('dry-run: would set the PMD cores to [0,2,3]: ovs-vsctl set Open_vSwitch . other_config:pmd-cpu-mask=0xd');
    expect(s.config()).toMatchObject({ sideCores: [0, 2, 3], queueOwner: [2, 0], queuePolling: [true, true] });
    // A core that is not a decided PMD core is refused, a decided one taken.
    expect(await s.apply({ kind: 'assignQueue', queue: 0, core: 1 })).toMatchObject({ ok: false, error: expect.stringMatching(/core 1 is not a PMD core \(PMD cores: 0,2,3\)/) });
    expect(await s.apply({ kind: 'assignQueue', queue: 0, core: 3 })).toEqual({ ok: true, costCycles: 0 });
    expect(log.at(-1)).toBe('dry-run: would pin rx queue 0 of vhu0 to core 3: ovs-vsctl set Interface vhu0 other_config:pmd-rxq-affinity="0:3" -- set Open_vSwitch . other_config:pmd-rxq-isolate=false');
    expect(s.config().queueOwner).toEqual([3, 0]);
    expect(await s.apply({ kind: 'setPmdMaxSleep', us: 500 })).toEqual({ ok: true, costCycles: 0 });
    expect(s.config().knobs?.pmdMaxSleepUs).toBe(500);

    // Samples do not undo the decision (OVS still runs its own configuration).
    await clock.advance(1000);
    expect(s.config()).toMatchObject({ sideCores: [0, 2, 3], queueOwner: [3, 0], queuePolling: [true, true], knobs: { pmdMaxSleepUs: 500 } });

    // Dropping core 3 drops the driver's own pin in the same transaction; its queue goes to a decided PMD.
    expect(await s.apply({ kind: 'setSideCores', cores: [0, 1] })).toEqual({ ok: true, costCycles: 0 });
    expect(log.at(-1)).toBe('dry-run: would set the PMD cores to [0,1]: ovs-vsctl set Open_vSwitch . other_config:pmd-cpu-mask=0x3 -- remove Interface vhu0 other_config pmd-rxq-affinity');
    expect(s.config()).toMatchObject({ sideCores: [0, 1], queueOwner: [1, 0], queuePolling: [true, true] });
    expect(s.changes).toHaveLength(4); // the two masks, the pin, pmd-maxsleep

    expect(fake.changes()).toEqual([]);
    expect(fake.mask).toEqual([0]);
    await s.close();
    expect(fake.changes()).toEqual([]);
  });

  it('a port added during a dry run: the decided layout takes its queue, on a decided PMD core', async () => {
    const fake = new FakeOvs();
    const clock = new ManualClock();
    const s = await start(fake, clock, true, []);
    const snaps: HostSnapshot[] = [];
    s.onSnapshot((x) => snaps.push(x));
    await clock.advance(400);
    expect(await s.apply({ kind: 'setSideCores', cores: [2, 3] })).toEqual({ ok: true, costCycles: 0 });
    const owners = s.config().queueOwner;
    expect(owners.every((o) => o === 2 || o === 3)).toBe(true);
    fake.ports.push('vhu2');
    await clock.advance(400);
    expect(s.info().vms.map((v) => v.name)).toEqual(['vhu0', 'vhu1', 'vhu2']);
    const cfg = s.config();
    expect(cfg.sideCores).toEqual([2, 3]);
    expect(cfg.queueOwner.slice(0, 2)).toEqual(owners);
    expect([2, 3]).toContain(cfg.queueOwner[2]);
    const last = snaps.at(-1)!;
    expect(last.queues.map((q) => q.owner)).toEqual(cfg.queueOwner);
    for (const x of snaps) expect(snapshotConsistencyProblem(x)).toBeNull();
    expect(fake.changes()).toEqual([]);
    await s.close();
  });
});
