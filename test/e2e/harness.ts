/**
 * End-to-end harness: starts the real headless server (`npm run serve`, which rebuilds the
 * renderer when stale, then `iocm serve`) as a child process on a temp SQLite file, parses
 * the URL it prints, and launches Debian's Chromium through playwright-core on a fresh profile.
 * A missing /usr/bin/chromium is an error (tests fail, never skip).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Repository root. */
export const ROOT = resolve(import.meta.dirname, '..', '..');
/** Where screenshots go. */
export const ARTIFACTS = join(ROOT, 'test-artifacts');
/** Debian's Chromium. */
export const CHROMIUM = '/usr/bin/chromium';

/** A running server. */
export interface ServerHandle {
  url: string;
  origin: string;
  token: string;
  dbPath: string;
  dir: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Start `npm run serve -- --port 0 --db <tmp> …` and wait for its URL line. */
export async function startServer(args: string[] = [], timeoutMs = 180_000): Promise<ServerHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'iocm-e2e-'));
  const dbPath = join(dir, 'history.db');
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'run-ts.mjs'), join(ROOT, 'scripts', 'serve.ts'), '--port', '0', '--db', dbPath, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'test' },
  });
  let out = '';
  const url = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`server printed no URL within ${timeoutMs} ms; output:\n${out}`)), timeoutMs);
    const onData = (b: Buffer): void => {
      out += b.toString();
      const m = /http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]+/.exec(out);
      if (m) {
        clearTimeout(timer);
        res(m[0]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`server exited with code ${code}; output:\n${out}`));
    });
  });
  const u = new URL(url);
  return {
    url,
    origin: u.origin,
    token: /#token=([A-Za-z0-9_-]+)/.exec(url)![1],
    dbPath,
    dir,
    child,
    output: () => out,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Launch Chromium headless on a fresh profile. Throws when Chromium is missing. */
export async function launchBrowser(): Promise<{ context: BrowserContext; page: Page; profile: string; close(): Promise<void> }> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium)`);
  const profile = mkdtempSync(join(tmpdir(), 'iocm-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    acceptDownloads: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    profile,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Save a screenshot of the page to test-artifacts/<name>.png. */
export async function shot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

/** An axe-core violation. */
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core's serious and critical violations on the page as it is now (injected through CDP: the CSP forbids inline scripts). */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  if ((await page.evaluate('typeof window.axe')) !== 'object') {
    const { readFileSync } = await import('node:fs');
    const { createRequire } = await import('node:module');
    const source = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Runtime.evaluate', { expression: source });
    await cdp.detach();
  }
  const r = (await page.evaluate('window.axe.run(document, { resultTypes: ["violations"] })')) as { violations: AxeViolation[] };
  return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
