/**
 * The loop's CLI surface on the real model: `simulate --policy <loop policy> --json`
 * carries `decisions`; `sweep --json` reports the oracle and ratios; `evaluate`
 * writes report.md and SVG plots; bad input exits 2 with a message.
 */
import { describe, it, expect } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { iocm, ROOT } from './cli-helpers.ts';

const tmp = mkdtempSync(join(tmpdir(), 'iocm-loop-cli-'));
const small = join(tmp, 'small.json');
writeFileSync(
  small,
  JSON.stringify({
    name: 'small',
    host: { cores: 6, ghz: 2.5 },
    vms: [
      { name: 'stream', count: 2, vcpus: 1, devices: [{ kind: 'net' }], workload: { kind: 'net-stream' } },
      { name: 'cpu', count: 1, vcpus: 2, devices: [], workload: { kind: 'cpu' } },
    ],
    phases: [
      { name: 'busy', seconds: 1, load: {} },
      { name: 'quiet', seconds: 1, load: { stream: 0.1 } },
    ],
  }),
);

describe('iocm simulate with loop policies', () => {
  for (const policy of ['iocm', 'iocm-classic', 'ovs-auto-lb', 'spdk-dynamic']) {
    it(`${policy}: --json has decisions with time, actions and reason`, async () => {
      // spdk-dynamic reads per-queue work cycles, which the default qemu profile does not report: under it, it only stays.
      const observe = policy === 'spdk-dynamic' ? ['--observe', 'ovs'] : [];
      const r = await iocm(['simulate', '--scenario', small, '--policy', policy, '--seconds', '2', '--json', ...observe]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.stdout);
      expect(doc.policy).toBe(policy);
      expect(Array.isArray(doc.decisions)).toBe(true);
      for (const d of doc.decisions) {
        expect(typeof d.t).toBe('number');
        expect(typeof d.reason).toBe('string');
        expect(d.reason.length).toBeGreaterThan(0);
        expect(Array.isArray(d.actions)).toBe(true);
      }
      if (policy === 'iocm' || policy === 'spdk-dynamic' || policy === 'ovs-auto-lb') expect(doc.decisions.some((d: { actions: unknown[] }) => d.actions.length > 0)).toBe(true);
    });
  }
  it('is deterministic: same scenario, seed and policy → byte-identical JSON', async () => {
    const a = await iocm(['simulate', '--scenario', small, '--policy', 'iocm', '--seconds', '2', '--seed', '5', '--json']);
    const b = await iocm(['simulate', '--scenario', small, '--policy', 'iocm', '--seconds', '2', '--seed', '5', '--json']);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
  });
  it('a bad loop policy argument exits 2', async () => {
    const r = await iocm(['simulate', '--scenario', small, '--policy', 'iocm:3', '--seconds', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/iocm/);
    const r2 = await iocm(['simulate', '--scenario', small, '--policy', 'ovs-auto-lb:9', '--seconds', '1']);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/at most 5/);
  });
});

describe('iocm sweep', () => {
  it('--json reports per phase the best static count, the oracle and ratios', async () => {
    const r = await iocm(['sweep', '--scenario', small, '--jobs', '2', '--seeds', '1', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.overSeeds).toBeUndefined();
    expect(doc.phases.map((p: { name: string }) => p.name)).toEqual(['busy', 'quiet']);
    for (const p of doc.phases) {
      const best = Math.max(...(Object.values(p.scores) as number[]));
      expect(p.bestScore).toBeCloseTo(best, 2);
      expect(Object.keys(p.scores)).toContain('vhost');
    }
    const weighted = doc.phases.reduce((a: number, p: { bestScore: number; seconds: number }) => a + p.bestScore * p.seconds, 0) / 2;
    expect(doc.oracleScore).toBeCloseTo(weighted, 0);
    expect(doc.bestStaticScore).toBeLessThanOrEqual(doc.oracleScore + 1e-6);
    const names = doc.policies.map((p: { policy: string }) => p.policy);
    expect(names).toEqual(expect.arrayContaining(['vhost', 'static:1', 'iocm', 'iocm-classic']));
    for (const p of doc.policies) expect(p.ratio).toBeCloseTo(p.score / doc.oracleScore, 2);
  });
  it('--seeds N reports each policy over the seeds as mean ± spread, from the per-seed runs', async () => {
    const base = ['sweep', '--scenario', small, '--jobs', '2', '--phase-seconds', '0.5', '--policies', 'iocm', '--json'];
    const [both, s1, s2, dflt] = await Promise.all([iocm([...base, '--seeds', '2']), iocm([...base, '--seed', '1', '--seeds', '1']), iocm([...base, '--seed', '2', '--seeds', '1']), iocm(base)]);
    for (const r of [both, s1, s2, dflt]) expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(dflt.stdout).overSeeds.seeds).toEqual([1, 2, 3]); // default: 3 seeds, as evaluate
    const [d, a, b] = [both, s1, s2].map((r) => JSON.parse(r.stdout));
    expect(d.overSeeds.seeds).toEqual([1, 2]);
    expect(d.policies).toEqual(a.policies); // the first seed's tables are unchanged
    for (const p of a.policies as { policy: string; ratio: number }[]) {
      const q = (b.policies as { policy: string; ratio: number }[]).find((x) => x.policy === p.policy)!;
      const o = d.overSeeds.policies[p.policy].ratio;
      expect(o.n).toBe(2);
      // The per-seed ratios are printed rounded to 3 decimals (± 0.0005 each) and so are the mean and
      // sd (computed from the unrounded ratios): they agree to within 0.001.
      expect(Math.abs(o.mean - (p.ratio + q.ratio) / 2)).toBeLessThanOrEqual(0.001 + 1e-9);
      expect(Math.abs(o.sd - Math.abs(p.ratio - q.ratio) / Math.SQRT2)).toBeLessThanOrEqual(0.001 + 1e-9);
    }
    const t = await iocm(base.filter((x) => x !== '--json').concat(['--seeds', '2']));
    expect(t.stdout).toMatch(/over seeds 1, 2 \(mean ± sample standard deviation/);
    expect(t.stdout).toMatch(/^iocm +[\d.]+ ± [\d.]+ +[\d.]+ ± [\d.]+/m);
    // "the tables above are seed 1": seed 1's policy table (with side cores and changes) comes before that line.
    const at = t.stdout.indexOf('over seeds 1, 2');
    expect(t.stdout.indexOf('side cores  changes')).toBeGreaterThan(0);
    expect(t.stdout.indexOf('side cores  changes')).toBeLessThan(at);
  }, 120_000);
  it('requires --scenario (exit 2)', async () => {
    const r = await iocm(['sweep', '--json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--scenario is required/);
    // and its help says so (it said "default: 'default'")
    const h = await iocm(['sweep', '--help']);
    expect(h.stdout).toMatch(/--scenario NAME\|FILE +shipped scenario name or path to a \.json file \(required\)/);
  });
});

describe('iocm evaluate', () => {
  it('writes report.md with a table per scenario and SVG plots', async () => {
    const suite = join(tmp, 'suite');
    const out = join(tmp, 'out');
    await import('node:fs').then((fs) => fs.mkdirSync(suite, { recursive: true }));
    writeFileSync(join(suite, 'small.json'), readFileSync(small));
    const r = await iocm(['evaluate', '--suite', suite, '--out', out, '--jobs', '2', '--policies', 'iocm,iocm-classic']);
    expect(r.code, `signal ${r.signal}; stderr: ${r.stderr}`).toBe(0);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toMatch(/\| policy \| ratio to oracle \| \[min–max\] \| p50 \(µs\) \| p99 \(µs\) \| side cores \| changes \| p99 guard \|/);
    expect(md).toMatch(/^\| oracle \(per-phase best count\) \| 1 \| \| [\d.]+ ± [\d.]+ \| [\d.]+ ± [\d.]+ \|/m);
    // A ratio (mean ± spread over seeds), its range, p50 and p99 (mean ± spread: --help promises latencies
    // with their spread too), side cores, changes and guard count per policy.
    const row = /^\| (iocm|iocm-classic) \| ([\d.]+) ± [\d.]+ \| ([\d.]+)–([\d.]+) \| [\d.]+ ± [\d.]+ \| [\d.]+ ± [\d.]+ \| [\d.]+ \| \d+ \| \d+\/\d+ \|$/gm;
    const rows = [...md.matchAll(row)];
    expect(rows.map((m) => m[1]).sort()).toEqual(['iocm', 'iocm-classic']);
    for (const m of rows) {
      expect(Number(m[2])).toBeGreaterThan(0);
      expect(Number(m[2])).toBeLessThanOrEqual(Number(m[4]) + 1e-9);
      expect(Number(m[2])).toBeGreaterThanOrEqual(Number(m[3]) - 1e-9);
    }
    expect(md).toMatch(/Policies saw the \*\*qemu\*\* observability profile/);
    const svgs = readdirSync(out).filter((f) => f.endsWith('.svg'));
    expect(svgs.sort()).toEqual(['small-phase-scores.svg', 'small-side-cores.svg']);
    const svg = readFileSync(join(out, 'small-side-cores.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toMatch(/oracle/);
    expect(svg).toMatch(/<path/);
  });
  it('a flag of the other mode (--seeds with --sensitivity, --samples without) exits 2 instead of being ignored', async () => {
    const cases: [string[], RegExp][] = [
      [['--sensitivity', '--seeds', '5'], /--seeds does not apply with --sensitivity/],
      [['--sensitivity', '--suite', tmp], /--suite does not apply with --sensitivity/],
      [['--sensitivity', '--observe', 'full'], /--observe does not apply with --sensitivity/],
      [['--samples', '4'], /--samples applies only with --sensitivity/],
      [['--costs', 'netRequestCycles'], /--costs applies only with --sensitivity/],
    ];
    const runs = await Promise.all(cases.map(([argv]) => iocm(['evaluate', '--out', join(tmp, 'o3'), ...argv])));
    cases.forEach(([argv, re], i) => {
      expect(runs[i].code, argv.join(' ')).toBe(2);
      expect(runs[i].stderr, argv.join(' ')).toMatch(re);
    });
  }, 120_000);
  it('--help says what --only, --policies and --phase-seconds mean with --sensitivity', async () => {
    // --only with --sensitivity takes shape ids, but the help named only scenario names, so
    // `--sensitivity --only rr-few` (a scenario) was the natural thing to try, and failed.
    const h = await iocm(['evaluate', '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/^ +iocm evaluate --sensitivity .*--only SHAPES/m);
    expect(h.stdout).toMatch(/--only LIST .*with --sensitivity: shape ids, default all: stream-small, .*day-phases/);
    expect(h.stdout).toMatch(/--policies LIST .*with --sensitivity: the policies ranked on day, default vhost,static:1,static:2,iocm,iocm-classic/);
    expect(h.stdout).toMatch(/--phase-seconds N .*with --sensitivity: the phases of day, default 2/);
  });
  it('without --suite reads the shipped scenarios from any working folder, and those of $IOCM_RESOURCES when set', async () => {
    // Review 8 item 6: the default was ./resources/scenarios, so evaluate failed outside the repository.
    const cwd = mkdtempSync(join(tmpdir(), 'iocm-eval-cwd-'));
    const shipped = await iocm(['evaluate', '--only', 'rr-few', '--policies', 'iocm', '--seeds', '1', '--phase-seconds', '0.5', '--jobs', '2', '--out', 'rep', '--json'], { IOCM_RESOURCES: undefined }, cwd);
    expect(shipped.code, shipped.stderr).toBe(0);
    expect(Object.keys(JSON.parse(shipped.stdout))).toEqual(['rr-few']);
    expect(readFileSync(join(cwd, 'rep', 'report.md'), 'utf8')).toMatch(/rr-few/);
    const res = join(tmp, 'res');
    await import('node:fs').then((fs) => fs.mkdirSync(join(res, 'scenarios'), { recursive: true }));
    writeFileSync(join(res, 'scenarios', 'small.json'), readFileSync(small));
    const env = await iocm(['evaluate', '--policies', 'iocm', '--seeds', '1', '--jobs', '2', '--out', 'rep2', '--json'], { IOCM_RESOURCES: res }, cwd);
    expect(env.code, env.stderr).toBe(0);
    expect(Object.keys(JSON.parse(env.stdout))).toEqual(['small']);
    const h = await iocm(['evaluate', '--help'], {}, cwd);
    expect(h.stdout).toMatch(/--suite DIR .*default: the shipped scenarios, as every command reads them: \$IOCM_RESOURCES\/scenarios/);
    // Every flag is in the usage lines (--progress was missing).
    const usage = h.stdout.split('\n\n')[0];
    for (const f of [...h.stdout.matchAll(/^ {2}(--[a-z-]+)/gm)].map((m) => m[1])) if (f !== '--help') expect(usage, f).toContain(f);
  }, 120_000);
  it('a missing suite folder exits 2', async () => {
    const r = await iocm(['evaluate', '--suite', join(tmp, 'nope'), '--out', join(tmp, 'o2')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot read the folder/);
  });
  // Node 20's recursive mkdir spins forever at 100 % CPU under /proc (mkdir answers ENOENT below a
  // folder that exists): evaluate --out and a history --db there hung instead of exiting 2.
  it.runIf(existsSync('/proc/self'))('an --out or --db folder that cannot be made (under /proc) exits 2 at once', async () => {
    // spawnSync with a kill timeout: a regression must fail the test, not leave a process spinning.
    const runs = [
      ['evaluate', '--only', 'rr-few', '--out', '/proc/iocm-no-such/report'],
      ['evaluate', '--sensitivity', '--out', '/proc/iocm-no-such/s', '--costs', 'exitDirectCycles', '--samples', '0', '--only', 'rr-latency'],
      ['whatif', '--session', 'x', '--policy', 'vhost', '--db', '/proc/iocm-no-such/h.db'],
    ].map((args) => spawnSync(process.execPath, [join(ROOT, 'bin', 'iocm.mjs'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 20_000, killSignal: 'SIGKILL' }));
    for (const r of runs) {
      expect(r.signal, r.stderr).toBeNull();
      expect(r.status, r.stderr).toBe(2);
      // whatif needs an existing database, so it refuses the path before trying to make its folder.
      expect(r.stderr).toMatch(/\/proc\/iocm-no-such.*(cannot create the folder|cannot create its folder) \(ENOENT\)|^iocm whatif: no history database at \/proc\/iocm-no-such\/h\.db \(--db\)$/m);
    }
  }, 90_000);
});
