/**
 * Renderer figures, measured in Debian's Chromium (playwright-core) against the headless
 * server (`startServe`, the code behind `iocm serve`) on the host model:
 *
 * - `renderer.bundleKB`: the JavaScript the first screen (Host overview) loads, gzip level 9, as the
 *   page fetched it (every script response until the core map shows; floor ≤ 350).
 *   `renderer.firstPaintMs`: first contentful paint after navigation, cold cache (median of 3
 *   loads); `renderer.firstDataMs`: until the core map shows the host's cores.
 * - `renderer.frameP95Ms`: p95 of main-thread work per animation frame on the Host overview
 *   while live updates arrive at 10 Hz, on the 64-core / 128-VM scenario `big-64` (floor ≤ 16).
 *   Work per frame = the frame's rendering task (rAF callbacks incl. ECharts' canvas draw, style,
 *   layout, paint; timed from our first rAF callback to a message posted from it) + every
 *   telemetry message task since the previous frame (WebSocket handler incl. the Vue flush in
 *   its microtasks). Also `renderer.vmsFrameP95Ms` on the VMs & queues table (128 rows).
 * - `renderer.heapGrowthPct`: growth of the page's V8 heap over 400 simulated seconds (40 s of
 *   wall time at 10× speed) of live updates at steady state, same scenario (floor ≤ 10). The heap
 *   is what a heap snapshot finds reachable after forced GCs: every V8 object, compiled code
 *   included, Blink's native objects not (they are in `heapObjectsGrowthPct`). Steady state is
 *   two things, and the window starts when both hold:
 *   1. the app's bounded buffers are full: simulated time ≥ 200 s (600 chart points = 60 s,
 *      200 timeline events);
 *   2. V8 has compiled what the updates run: the compiled code grew by less than 1 % over the
 *      last 15 s of live updates (heap snapshots 15 s apart). This depends on how many updates
 *      the page has handled, i.e. on wall time, not on simulated time: at 10× the buffers are
 *      full after 20 s, while V8 keeps optimizing functions for the first time (ECharts' option
 *      pipeline, Vue renders: a few calls per second each) for about 1.5 minutes.
 *   Warm-up gives up after 180 s (`renderer.heapJitSettled` 0): code that never stops growing (a
 *   function compiled per update, say) then counts in the window like any other growth.
 *   Also reported: `renderer.heapObjectsGrowthPct` (heap snapshot incl. Blink's native objects
 *   such as its text-shaping cache, code excluded), `renderer.codeGrowthMB` (compiled code added
 *   in the window), `renderer.heapStartMB`, `renderer.heapWarmupSeconds` (wall time until steady
 *   state), `renderer.heapRunSimSeconds` (simulated time covered by the window; less than 400 when
 *   the model cannot keep 10× on this machine) and `renderer.heapUsedGrowthPct`: the same window
 *   read as V8's `usedSize` (lower envelope of 4 readings after forced GCs), the figure's former
 *   definition. That reading counts 1.3–2 MB more than the reachable objects and the excess
 *   moves by up to 0.9 MB between readings one second apart (V8's accounting of memory it
 *   has not yet reused), while the snapshot's totals of the same moments agree within 2 %.
 */
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type Page } from 'playwright-core';
import { startServe, type RunningServe } from '../src/main/cli/commands/serve.ts';
import { ensureRenderer } from '../scripts/build-renderer.ts';

const CHROMIUM = '/usr/bin/chromium';
const SCENARIO = process.env.IOCM_BENCH_RENDERER_SCENARIO ?? 'big-64';
/** Which parts to run: 'load', 'frames', 'heap' (default: all three). */
const PHASES = (process.env.IOCM_BENCH_RENDERER_PHASES ?? 'load,frames,heap').split(',');

/** Injected before the app: frame and message-task timing. Plain JS (runs in the page). */
const PROBE = `
(() => {
  const probe = { frames: [], msgs: [], pendingMsg: 0, on: false };
  window.__iocmProbe = probe;
  const loop = () => {
    requestAnimationFrame(loop);
    if (!probe.on) return;
    const start = performance.now();
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      probe.frames.push(performance.now() - start + probe.pendingMsg);
      probe.pendingMsg = 0;
    };
    ch.port2.postMessage(0);
  };
  requestAnimationFrame(loop);
  const wrap = (fn) => function (ev) {
    const t0 = performance.now();
    try { return fn.call(this, ev); } finally {
      queueMicrotask(() => queueMicrotask(() => {
        const d = performance.now() - t0;
        if (probe.on) { probe.msgs.push(d); probe.pendingMsg += d; }
      }));
    }
  };
  const add = WebSocket.prototype.addEventListener;
  WebSocket.prototype.addEventListener = function (type, fn, opts) {
    return add.call(this, type, type === 'message' && typeof fn === 'function' ? wrap(fn) : fn, opts);
  };
  const desc = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'onmessage');
  Object.defineProperty(WebSocket.prototype, 'onmessage', {
    configurable: true,
    get() { return desc.get.call(this); },
    set(fn) { desc.set.call(this, typeof fn === 'function' ? wrap(fn) : fn); },
  });
})();
`;

function p95(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(0.95 * s.length))];
}

async function withServer<T>(speed: number, fn: (url: string, page: Page) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'iocm-bench-renderer-'));
  const profile = mkdtempSync(join(tmpdir(), 'iocm-bench-chromium-'));
  let running: RunningServe | null = null;
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    running = await startServe({ port: 0, host: '127.0.0.1', scenario: SCENARIO, seed: 1, speed, dbPath: join(dir, 'bench.db'), flushMs: 100 });
    const page = context.pages()[0] ?? (await context.newPage());
    await page.addInitScript(PROBE);
    return await fn(running.server.url, page);
  } finally {
    await context.close();
    await running?.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  }
}

async function measureFrames(page: Page, seconds: number): Promise<{ p95: number; msgP95: number; frames: number; msgs: number }> {
  await page.evaluate('(() => { const p = window.__iocmProbe; p.frames = []; p.msgs = []; p.pendingMsg = 0; p.on = true; })()');
  await page.waitForTimeout(seconds * 1000);
  const r = (await page.evaluate('(() => { const p = window.__iocmProbe; p.on = false; return { frames: p.frames, msgs: p.msgs }; })()')) as { frames: number[]; msgs: number[] };
  return { p95: p95(r.frames), msgP95: p95(r.msgs), frames: r.frames.length, msgs: r.msgs.length };
}

/**
 * Retained JS heap: the smallest of `n` readings, each after forced full GCs, 1 s apart. A single
 * reading swings by megabytes with garbage the GC cannot free at that instant (objects held by a
 * frame or a message in flight); the lower envelope is what the app really keeps.
 */
async function usedHeap(page: Page, n = 4): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  let min = Infinity;
  for (let i = 0; i < n; i++) {
    if (i) await page.waitForTimeout(1000);
    await cdp.send('HeapProfiler.collectGarbage');
    await cdp.send('HeapProfiler.collectGarbage');
    const { usedSize } = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
    min = Math.min(min, usedSize);
  }
  await cdp.detach();
  return min;
}

/** Bytes of the page's heap by what they are (see {@link heapSizes}). */
interface HeapSizes {
  /** Every V8 object reachable after a forced GC, compiled code included. */
  v8: number;
  /** V8's compiled code and what belongs to it (bytecode, optimized code, their metadata). */
  code: number;
  /** Everything except code: V8 objects and Blink's native objects (DOM, text-shaping cache). */
  objects: number;
}

/**
 * Bytes of the page's heap by what they are, from a heap snapshot after forced GCs: only what is
 * reachable counts, so the figure does not move with garbage the GC has not yet handed back (see
 * the file comment).
 */
async function heapSizes(page: Page): Promise<HeapSizes> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.collectGarbage');
  const chunks: string[] = [];
  const on = (e: { chunk: string }): void => {
    chunks.push(e.chunk);
  };
  cdp.on('HeapProfiler.addHeapSnapshotChunk', on);
  await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  cdp.off('HeapProfiler.addHeapSnapshotChunk', on);
  await cdp.detach();
  const snap = JSON.parse(chunks.join('')) as { snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }; nodes: number[] };
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const iType = fields.indexOf('type');
  const iSize = fields.indexOf('self_size');
  let v8 = 0;
  let code = 0;
  let objects = 0;
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const type = types[snap.nodes[i + iType]];
    const size = snap.nodes[i + iSize];
    if (type === 'code') code += size;
    else objects += size;
    // 'native': Blink's objects (and array buffers' backing stores); 'synthetic': the snapshot's roots
    if (type !== 'native' && type !== 'synthetic') v8 += size;
  }
  return { v8, code, objects };
}

async function simTime(page: Page): Promise<number> {
  const text = await page.locator('[data-testid="loop-time"]').innerText();
  const m = /t ([\d:.]+)/.exec(text);
  if (!m) return NaN;
  const parts = m[1].split(':').map(Number);
  return parts.reduce((a, x) => a * 60 + x, 0);
}

/** The renderer bench (see the file comment). */
export async function benchRenderer(): Promise<Record<string, number>> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package`);
  await ensureRenderer((msg) => process.stderr.write(`renderer bench: ${msg}\n`));
  const out: Record<string, number> = {};

  // 0. first screen: the JavaScript it loads (gzip) and the time to first paint, cold cache
  if (PHASES.includes('load')) await withServer(1, async (url, page) => {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    const paints: number[] = [];
    const ready: number[] = [];
    let kb = NaN;
    for (let i = 0; i < 3; i++) {
      const js = new Map<string, Promise<Buffer>>();
      const onResponse = (r: import('playwright-core').Response): void => {
        if (/\.m?js(\?|$)/.test(new URL(r.url()).pathname)) js.set(r.url(), r.body());
      };
      page.on('response', onResponse);
      // A blank page first: the console's URL differs only in its fragment between loads, and a
      // fragment-only navigation loads nothing (no scripts, no new paint).
      await page.goto('about:blank');
      await page.goto(url);
      await page.waitForSelector('[data-testid="core-map"] [data-core]');
      page.off('response', onResponse);
      const t = (await page.evaluate(`(() => {
        const fcp = performance.getEntriesByName('first-contentful-paint')[0];
        return { fcp: fcp ? fcp.startTime : NaN, now: performance.now() };
      })()`)) as { fcp: number; now: number };
      paints.push(t.fcp);
      ready.push(t.now);
      let bytes = 0;
      for (const body of js.values()) bytes += gzipSync(await body, { level: 9 }).length;
      kb = bytes / 1024;
      if (i === 0) process.stderr.write(`renderer bench: first screen loads ${js.size} scripts, ${kb.toFixed(0)} KB gzip\n`);
    }
    await cdp.detach();
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    out['bundleKB'] = kb;
    out['firstPaintMs'] = median(paints);
    out['firstDataMs'] = median(ready);
  });

  // 1. frame cost with live updates at 10 Hz (real-time pacing, one snapshot per 100 ms batch)
  if (PHASES.includes('frames')) await withServer(1, async (url, page) => {
    await page.goto(url);
    await page.waitForSelector('[data-testid="core-map"] [data-core]');
    const cores = await page.locator('[data-testid="core-map"] [data-core]').count();
    await page.waitForTimeout(3000);
    const ov = await measureFrames(page, 15);
    out['frameP95Ms'] = ov.p95;
    // other views (diagnostics): IOCM_BENCH_RENDERER_VIEWS=vms,side-cores,decisions,controls
    for (const v of (process.env.IOCM_BENCH_RENDERER_VIEWS ?? 'vms').split(',').filter(Boolean)) {
      await page.click(`nav [data-view="${v}"]`);
      await page.waitForTimeout(1500);
      const m = await measureFrames(page, 10);
      out[`${v.replace(/-(.)/g, (_x, c: string) => c.toUpperCase())}FrameP95Ms`] = m.p95;
    }
    const vms = { p95: out['vmsFrameP95Ms'] ?? NaN };
    out['updatesPerSec'] = ov.msgs / 15;
    out['updateTaskP95Ms'] = ov.msgP95;
    out['cores'] = cores;
    process.stderr.write(`renderer bench: overview p95 ${ov.p95.toFixed(2)} ms over ${ov.frames} frames (${ov.msgs} messages), vms p95 ${vms.p95.toFixed(2)} ms\n`);
  });

  // 2. heap growth over 400 simulated s at 10× after steady state (see the file comment)
  if (PHASES.includes('heap')) await withServer(10, async (url, page) => {
    await page.goto(url);
    await page.waitForSelector('[data-testid="core-map"] [data-core]');
    const started = Date.now();
    const warmDeadline = started + 180_000;
    // 1. bounded buffers full
    while ((await simTime(page)) < 200 && Date.now() < warmDeadline) await page.waitForTimeout(1000);
    // 2. compiled code settled: < 1 % more over the last 15 s of updates
    let prev = await heapSizes(page);
    let settled = false;
    while (!settled && Date.now() < warmDeadline) {
      await page.waitForTimeout(15_000);
      const cur = await heapSizes(page);
      settled = cur.code - prev.code < 0.01 * prev.code;
      prev = cur;
    }
    const warmupS = (Date.now() - started) / 1000;
    const before = await usedHeap(page);
    const sizesBefore = await heapSizes(page);
    const t0 = await simTime(page);
    const deadline = Date.now() + 90_000;
    while ((await simTime(page)) < t0 + 400 && Date.now() < deadline) await page.waitForTimeout(2000);
    const t1 = await simTime(page);
    const after = await usedHeap(page);
    const sizesAfter = await heapSizes(page);
    out['heapGrowthPct'] = ((sizesAfter.v8 - sizesBefore.v8) / sizesBefore.v8) * 100;
    out['heapObjectsGrowthPct'] = ((sizesAfter.objects - sizesBefore.objects) / sizesBefore.objects) * 100;
    out['codeGrowthMB'] = (sizesAfter.code - sizesBefore.code) / 2 ** 20;
    out['heapStartMB'] = sizesBefore.v8 / 2 ** 20;
    out['heapUsedGrowthPct'] = ((after - before) / before) * 100;
    out['heapJitSettled'] = settled ? 1 : 0;
    out['heapWarmupSeconds'] = warmupS;
    out['heapRunSimSeconds'] = t1 - t0;
    const mb = (x: number): string => (x / 2 ** 20).toFixed(2);
    process.stderr.write(
      `renderer bench: warm-up ${warmupS.toFixed(0)} s (code ${settled ? 'settled' : 'still growing'}); V8 heap ${mb(sizesBefore.v8)} → ${mb(sizesAfter.v8)} MB (code ${mb(sizesBefore.code)} → ${mb(sizesAfter.code)} MB) between sim ${t0.toFixed(0)} s and ${t1.toFixed(0)} s; usedSize ${mb(before)} → ${mb(after)} MB\n`,
    );
  });
  return out;
}
