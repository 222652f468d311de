/**
 * Soak: one simulated hour of `iocm serve` at 10× (≈ 6 min wall) with Chromium attached to the
 * console (real server in this process, real model, loop and SQLite recording; Debian's Chromium
 * through playwright-core). Every 10 s: RSS and JS heap of the server process, RSS of every
 * Chromium process (the browser's process tree from /proc) and the page's JS heap. After a
 * 2-minute warm-up, the median of the last minute may exceed the median of the minute after
 * warm-up by at most 10 % for each figure.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CDPSession } from 'playwright-core';
import { launchBrowser } from '../e2e/harness.ts';
import { startFixture, type Fixture } from '../server-helpers.ts';
import { DEFAULT_RENDERER_DIR } from '../../src/main/cli/commands/serve.ts';
import { figure } from './figures.ts';
import { ensureRenderer } from '../../scripts/build-renderer.ts';

const SIM_SECONDS = 3600;
const SPEED = 10;
const WALL_MS = (SIM_SECONDS / SPEED) * 1000;
const SAMPLE_MS = 10_000;
const WARMUP_MS = 120_000;

let fx: Fixture;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
beforeAll(async () => {
  // The real console pages (built by `npm run build`, which .ci/run does before the tests).
  await ensureRenderer();
  fx = await startFixture('day', { speed: SPEED, rendererDir: DEFAULT_RENDERER_DIR });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await fx?.cleanup();
});

function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Pids of `root` and all its descendants. */
function tree(root: number): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone
    }
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const [p, pp] of parent) if (pp === out[i]) out.push(p);
  return out;
}

/** Run a full GC (so the heap figure is what is retained, not the GC's sawtooth). */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const median = (a: number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};

describe('soak', () => {
  it(`${SIM_SECONDS} simulated seconds at ${SPEED}× with a browser attached: memory flat after warm-up`, async () => {
    const { page } = browser;
    await page.goto(`${fx.base}/#token=${fx.token}`);
    await page.waitForSelector('[data-testid="core-map"] [data-core]', { timeout: 60_000 });
    const cdp: CDPSession = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    // The browser process: the Chromium whose parent is not itself a Chromium of this profile.
    const ours = execFileSync('pgrep', ['-f', '--', `--user-data-dir=${browser.profile}`]).toString().trim().split('\n').map(Number);
    const ppid = (p: number): number => {
      const st = readFileSync(`/proc/${p}/stat`, 'utf8');
      return Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]);
    };
    const chromePid = ours.find((p) => !ours.includes(ppid(p)))!;
    const samples: { t: number; serverRss: number; serverHeap: number; browserRss: number; pageHeap: number; processes: number }[] = [];
    const t0 = Date.now();
    while (Date.now() - t0 < WALL_MS) {
      await page.waitForTimeout(SAMPLE_MS);
      gc();
      await cdp.send('HeapProfiler.collectGarbage');
      const metrics = (await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
      const pids = tree(chromePid);
      samples.push({
        t: Date.now() - t0,
        serverRss: process.memoryUsage().rss / 1024,
        serverHeap: process.memoryUsage().heapUsed / 1024,
        browserRss: pids.reduce((a, p) => a + rssKb(p), 0),
        pageHeap: (metrics.metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0) / 1024,
        processes: pids.length,
      });
    }
    const st = await fx.run.services.api.getState();
    expect(st.ok && st.value.recording.error).toBeNull();
    expect(fx.run.server.clients()).toBeGreaterThanOrEqual(1);
    const early = samples.filter((s) => s.t > WARMUP_MS && s.t <= WARMUP_MS + 60_000);
    const late = samples.filter((s) => s.t > WALL_MS - 60_000);
    const growth: Record<string, number> = {};
    for (const k of ['serverRss', 'serverHeap', 'browserRss', 'pageHeap'] as const) {
      growth[k] = median(late.map((s) => s[k])) / median(early.map((s) => s[k])) - 1;
    }
    figure('soak 1 h simulated at 10x', {
      samples: samples.length,
      chromiumProcesses: samples.at(-1)!.processes,
      serverRssMB: samples.at(-1)!.serverRss / 1024,
      browserRssMB: samples.at(-1)!.browserRss / 1024,
      ...Object.fromEntries(Object.entries(growth).map(([k, v]) => [`growth:${k}%`, v * 100])),
    });
    for (const [k, v] of Object.entries(growth)) expect(v, `${k} grew ${(v * 100).toFixed(1)} % after warm-up`).toBeLessThanOrEqual(0.1);
  }, WALL_MS + 5 * 60_000);
});
