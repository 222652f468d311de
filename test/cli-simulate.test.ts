import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, iocm } from './cli-helpers.ts';

/** A small host so the runs are short: 6 cores, streaming and request/response VMs, two phases. */
const SMALL = {
  name: 'small',
  description: 'test host',
  host: { cores: 6, ghz: 2.5 },
  vms: [
    { name: 'stream', count: 3, vcpus: 1, devices: [{ kind: 'net' }], workload: { kind: 'net-stream' } },
    { name: 'rr', count: 2, vcpus: 1, devices: [{ kind: 'net' }], workload: { kind: 'net-rr' }, weight: 0.01 },
  ],
  phases: [
    { name: 'both', seconds: 1, load: {} },
    { name: 'rr-only', seconds: 0.5, load: { stream: 0 } },
  ],
};

const METRICS = ['score', 'throughputOps', 'throughputBytes', 'latencyP50Us', 'latencyP99Us', 'sideCoresAvg', 'exitsPerSec'];

let dir: string;
let small: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'iocm-cli-'));
  small = join(dir, 'small.json');
  writeFileSync(small, JSON.stringify(SMALL, null, 2));
  const bad = structuredClone(SMALL) as typeof SMALL & { vms: { workload: { kind: string } }[] };
  bad.vms[1].workload.kind = 'nett-rr';
  writeFileSync(join(dir, 'bad.json'), JSON.stringify(bad, null, 2));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('docs/cli.md', () => {
  it('shows the error lines the CLI prints, word for word', async () => {
    // The samples, run as written: `resources/scenarios/x.json` is the shipped mixed scenario with
    // its third VM entry misspelt, in a folder of its own.
    const doc = readFileSync(join(ROOT, 'docs', 'cli.md'), 'utf8');
    const samples = /e\.g\.\n\n```\n([\s\S]*?)```/.exec(doc)![1].trimEnd().split('\n');
    const cwd = mkdtempSync(join(tmpdir(), 'iocm-cli-doc-'));
    try {
      const mixed = JSON.parse(readFileSync(join(ROOT, 'resources', 'scenarios', 'mixed.json'), 'utf8'));
      mixed.vms[2].workload.kind = 'nett-rr';
      mkdirSync(join(cwd, 'resources', 'scenarios'), { recursive: true });
      writeFileSync(join(cwd, 'resources', 'scenarios', 'x.json'), JSON.stringify(mixed));
      const runs = [['--seconds', '-5'], ['--policy', 'turbo'], ['--scenario', 'resources/scenarios/x.json']];
      expect(samples).toHaveLength(runs.length);
      for (const [i, args] of runs.entries()) {
        const r = await iocm(['simulate', ...args], {}, cwd);
        expect(r.code, args.join(' ')).toBe(2);
        expect(r.stderr).toBe(`${samples[i]}\n`);
      }
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});

describe('iocm simulate: bad arguments → one line on stderr, exit 2', () => {
  const cases: [string, string[], RegExp][] = [
    ['unknown flag', ['--bogus'], /unknown option '--bogus'/],
    ['misspelt flag', ['--seeds', '3'], /unknown option '--seeds' \(did you mean '--seed'\?\)/],
    ['missing value', ['--seconds'], /option '--seconds' needs a value/],
    ['missing value before another flag', ['--policy', '--json'], /option '--policy' needs a value/],
    ['non-numeric seconds', ['--seconds', 'abc'], /option '--seconds' expected a number > 0 and ≤ 10000000, got 'abc'|option '--seconds' expected a number, got 'abc'/],
    ['negative seconds', ['--seconds', '-5'], /option '--seconds' expected a number > 0 and ≤ 10000000, got '-5'/],
    ['zero seconds', ['--seconds', '0'], /option '--seconds' expected a number > 0/],
    ['fractional seed', ['--seed', '1.5'], /option '--seed' expected an integer/],
    ['bad interval', ['--interval-ms', '0'], /option '--interval-ms' expected a number ≥ 1/],
    ['unknown policy', ['--policy', 'turbo'], /unknown policy 'turbo' \(expected one of .*vhost, static:K/],
    ['static:K too large', ['--policy', 'static:6'], /K must be at most 5 on a 6-core host/],
    ['static without K', ['--policy', 'static'], /'static' needs a side-core count, e\.g\. static:2/],
    ['unknown observability profile', ['--observe', 'kvm'], /--observe.*kvm|kvm.*qemu, ovs, full|qemu \| ovs \| full/],
    ['stray positional', ['extra'], /unexpected argument 'extra'/],
  ];
  for (const [what, args, re] of cases) {
    it(what, async () => {
      const r = await iocm(['simulate', '--scenario', small, ...args]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^iocm simulate: /);
      expect(lines[0]).toMatch(re);
    });
  }

  it('unknown scenario name', async () => {
    const r = await iocm(['simulate', '--scenario', 'no-such-scenario']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^iocm simulate: no-such-scenario: unknown scenario; expected one of .*or a path to a \.json file\n$/);
  });

  it('invalid scenario file names file, JSON path and expectation', async () => {
    const r = await iocm(['simulate', '--scenario', join(dir, 'bad.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.json: \/vms\/1\/workload\/kind: expected one of net-stream, net-rr, kv, web, blk, cpu, got "nett-rr"/);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('unwritable trace file', async () => {
    const r = await iocm(['simulate', '--scenario', small, '--trace', join(dir, 'no', 'such', 'dir', 't.jsonl')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^iocm simulate: cannot write trace file '.*t\.jsonl': ENOENT\n$/);
  });

  it('a trace file that fills up mid-run (/dev/full)', async () => {
    const r = await iocm(['simulate', '--scenario', small, '--trace', '/dev/full']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^iocm simulate: cannot write trace file '\/dev\/full': ENOSPC\n$/);
  });

  it('--help prints usage and exits 0', async () => {
    const r = await iocm(['simulate', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: iocm simulate/);
    expect(r.stdout).toContain('--interval-ms MS');
  });
});

describe('iocm simulate: runs on the real model', () => {
  it('a group that completed nothing shows "–" for its latency, not 0 µs', async () => {
    const r = await iocm(['simulate', '--scenario', 'rr-few', '--seconds', '1']);
    expect(r.code).toBe(0);
    const rows = r.stdout.split('\n');
    const batch = rows.find((l) => l.startsWith('batch '))!.trim().split(/\s+/);
    const rr = rows.find((l) => l.startsWith('rr '))!.trim().split(/\s+/);
    // group, score, ops/s, MB/s, p50, p99, …
    expect(batch[2]).toBe('0');
    expect(batch.slice(4, 6)).toEqual(['–', '–']);
    expect(Number(rr[4])).toBeGreaterThan(0);
  });

  it('--json prints exactly one JSON document with the documented shape', async () => {
    const r = await iocm(['simulate', '--scenario', small, '--policy', 'static:1', '--seconds', '2', '--seed', '7', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc)).toEqual(['scenario', 'policy', 'seed', 'seconds', 'intervalMs', 'observe', 'phases', 'total', 'decisions']);
    expect(doc).toMatchObject({ scenario: 'small', policy: 'static:1', seed: 7, seconds: 2, intervalMs: 100, observe: 'qemu' });
    // static:1 configures at the epoch at t = 0 (one decision, before the first interval).
    expect(doc.decisions).toHaveLength(1);
    expect(doc.decisions[0].t).toBe(0);
    // 2 s over a 1.5 s scenario: both(1) rr-only(.5) both(.5) → phases aggregated by name, first-seen order
    expect(doc.phases.map((p: { name: string; seconds: number }) => [p.name, p.seconds])).toEqual([
      ['both', 1.5],
      ['rr-only', 0.5],
    ]);
    expect(doc.total.seconds).toBe(2);
    for (const m of [...doc.phases, doc.total]) {
      for (const k of METRICS) {
        expect(typeof m[k]).toBe('number');
        expect(Number.isFinite(m[k])).toBe(true);
      }
      expect(Object.keys(m.byGroup)).toEqual(['stream', 'rr']);
      for (const g of Object.values(m.byGroup) as Record<string, number>[]) for (const k of METRICS) expect(Number.isFinite(g[k])).toBe(true);
    }
    expect(doc.total.sideCoresAvg).toBe(1);
    expect(doc.total.throughputOps).toBeGreaterThan(0);
    // The streams are idle in rr-only (only in-flight data drains): far less than in 'both'.
    expect(doc.phases[0].byGroup.stream.throughputBytes).toBeGreaterThan(0);
    expect(doc.phases[1].byGroup.stream.throughputBytes).toBeLessThan(0.2 * doc.phases[0].byGroup.stream.throughputBytes);
    // Score is the weighted sum of group scores (checked per phase within rounding).
    for (const p of doc.phases) {
      const sum = Object.values(p.byGroup as Record<string, { score: number }>).reduce((a, g) => a + g.score, 0);
      expect(Math.abs(p.score - sum)).toBeLessThan(0.01 + 1e-6 * Math.abs(sum));
    }
  });

  it('is deterministic: same seed → byte-identical stdout; the seed matters', async () => {
    const args = ['simulate', '--scenario', small, '--policy', 'vhost', '--seconds', '1', '--json'];
    const [a, b, c] = await Promise.all([iocm([...args, '--seed', '3']), iocm([...args, '--seed', '3']), iocm([...args, '--seed', '4'])]);
    expect(a.code).toBe(0);
    expect(a.stdout.length).toBeGreaterThan(100);
    expect(b.stdout).toBe(a.stdout);
    expect(c.stdout).not.toBe(a.stdout);
  });

  it('--trace writes every snapshot as one JSON line', async () => {
    const trace = join(dir, 'trace.jsonl');
    const r = await iocm(['simulate', '--scenario', small, '--seconds', '1.5', '--interval-ms', '50', '--trace', trace, '--json']);
    expect(r.code).toBe(0);
    const lines = readFileSync(trace, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(30);
    const snaps = lines.map((l) => JSON.parse(l));
    expect(snaps.map((s) => s.seq)).toEqual([...Array(30).keys()]);
    expect(snaps.every((s) => s.intervalMs === 50)).toBe(true);
    expect(snaps[0].phase).toBe('both');
    expect(snaps[29].phase).toBe('rr-only');
    // The summary is computed from the same snapshots: mean score over the trace = total score.
    const mean = snaps.reduce((a, s) => a + s.totals.score, 0) / snaps.length;
    expect(JSON.parse(r.stdout).total.score).toBeCloseTo(mean, 2);
  });

  it('without --json prints a table per phase and per group; --progress draws on stderr', async () => {
    const r = await iocm(['simulate', '--scenario', small, '--policy', 'static:2', '--seconds', '1', '--progress']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('scenario small · policy static:2 · seed 1 · 1 s simulated (10 × 100 ms) · policies see: qemu');
    expect(r.stdout).toMatch(/^phase +seconds +score +ops\/s +MB\/s +p50 µs +p99 µs +side cores +exits\/s +changes$/m);
    expect(r.stdout).toMatch(/^both +1 /m);
    expect(r.stdout).toMatch(/^total +1 /m);
    expect(r.stdout).toMatch(/^stream +/m);
    expect(r.stdout).toMatch(/^rr +/m);
    expect(r.stderr).toContain('simulating [');
    expect(r.stderr).toContain('100%');
  });

  it('iocm from the one registry is accepted and deterministic; --observe full is labelled', async () => {
    const args = ['simulate', '--scenario', small, '--policy', 'iocm', '--seconds', '2', '--json'];
    const [a, b, f] = await Promise.all([iocm(args), iocm(args), iocm([...args.slice(0, -1), '--observe', 'full'])]);
    expect(a.code).toBe(0);
    expect(b.stdout).toBe(a.stdout);
    const doc = JSON.parse(a.stdout);
    expect(doc.policy).toBe('iocm');
    expect(doc.observe).toBe('qemu');
    expect(doc.decisions.length).toBeGreaterThan(0);
    expect(doc.total.reconfigurations).toBeGreaterThan(0);
    expect(f.code).toBe(0);
    expect(f.stdout).toMatch(/policies see: full \(research profile: every counter\)/);
    const help = await iocm(['simulate', '--help']);
    expect(help.stdout).toMatch(/--policy POLICY +vhost \| static:K \| iocm \| iocm-classic \| ovs-auto-lb\[:K\] \| spdk-dynamic/);
    expect(help.stdout).toMatch(/--observe PROFILE +what the policies see: qemu \| ovs \| full/);
  });

  it("the default scenario is 'default'", async () => {
    const r = await iocm(['simulate', '--seconds', '0.5', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.scenario).toBe('default');
    expect(doc.seconds).toBe(0.5);
    expect(doc.total.intervals).toBe(5);
  });

  it('the default --seconds is one pass through the scenario', async () => {
    const r = await iocm(['simulate', '--scenario', small, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.seconds).toBe(1.5);
    expect(doc.policy).toBe('vhost');
    expect(doc.seed).toBe(1);
  });
});
