/**
 * The renderer's bundle split (electron.vite.config.ts): vendor (vue, pinia) and charts
 * (echarts, zrender, vue-echarts) in chunks of their own, the first screen (Host overview) in the
 * entry, every other view in a chunk the page loads only on first visit. Built into a temp folder
 * with the real config. (Its size is a bench figure, `renderer.bundleKB`.)
 */
import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import { rendererViteConfig } from '../electron.vite.config.ts';

const out = mkdtempSync(join(tmpdir(), 'iocm-renderer-bundle-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('renderer bundle split', () => {
  it('preloads vendor and charts with the entry; the other views are separate, lazily imported chunks', async () => {
    await build({ ...rendererViteConfig, configFile: false, logLevel: 'silent', build: { ...rendererViteConfig.build, outDir: out } });
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    const assets = readdirSync(join(out, 'assets')).filter((f) => f.endsWith('.js'));
    const entry = /src="\.\/assets\/([^"]+\.js)"/.exec(html)![1];
    const preloaded = [...html.matchAll(/rel="modulepreload"[^>]*href="\.\/assets\/([^"]+\.js)"/g)].map((m) => m[1]);
    const firstScreen = [entry, ...preloaded];
    expect(firstScreen.some((f) => f.startsWith('vendor-'))).toBe(true);
    expect(firstScreen.some((f) => f.startsWith('charts-'))).toBe(true);
    const vendor = readFileSync(join(out, 'assets', firstScreen.find((f) => f.startsWith('vendor-'))!), 'utf8');
    const charts = readFileSync(join(out, 'assets', firstScreen.find((f) => f.startsWith('charts-'))!), 'utf8');
    // Vue's reactivity markers live in vendor, not in the charts chunk; ECharts' API in charts.
    expect(vendor).toContain('__v_isRef');
    expect(charts).not.toContain('__v_isRef');
    expect(charts).toContain('getDataURL');
    for (const view of ['SideCoresView', 'VmsQueuesView', 'DecisionsTimeline', 'ControlsView', 'SessionsView', 'ConnectView']) {
      const chunk = assets.find((f) => f.startsWith(`${view}-`));
      expect(chunk, `${view} has its own chunk`).toBeDefined();
      expect(firstScreen).not.toContain(chunk);
      expect(readFileSync(join(out, 'assets', entry), 'utf8')).toContain(`./${chunk}`);
    }
  });
});
