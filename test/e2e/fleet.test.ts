/**
 * End-to-end, the fleet console (issue 12, console; issue 11, record/stop): Chromium
 * (playwright-core) against the real headless server with two real host models recording into a
 * real SQLite file. Add a second model from Connect, see both in the fleet overview, switch hosts
 * from the fleet and from the header (keyboard), stop and restart a recording, and an agent
 * address refused with a clear error. axe-core on the new views.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { HistoryDb } from '../../src/main/history/store.ts';
import { axeViolations, launchBrowser, shot, startServer, type ServerHandle } from './harness.ts';

let server: ServerHandle;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;

async function view(name: string): Promise<void> {
  await page.click(`nav [data-view="${name}"]`);
  await page.waitForSelector('.view', { timeout: 10_000 });
}

describe('fleet console in Chromium against the headless server', () => {
  beforeAll(async () => {
    server = await startServer(['--scenario', 'mixed', '--seed', '3']);
    browser = await launchBrowser();
    page = browser.page;
    await page.goto(server.url);
    await page.waitForSelector('[data-testid="connection"]');
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('adds a second model beside the first and shows both in the fleet overview', async () => {
    await view('connect');
    await page.waitForSelector('[data-testid="host-list"] tbody tr');
    expect(await page.locator('[data-testid="host-list"] tbody tr').count()).toBe(1);
    await page.click('[data-testid="scenario-list"] label:has-text("rr-few")');
    await page.check('[data-testid="add-model"]');
    await page.click('[data-testid="connect-model"]');
    // adding asks nothing: no recording ends
    expect(await page.locator('[data-testid="confirm-end-recording"]').count()).toBe(0);
    await expect.poll(() => page.locator('[data-testid="host-list"] tbody tr').count(), { timeout: 20_000 }).toBe(2);
    await expect.poll(() => page.locator('[data-testid="connection"]').innerText(), { timeout: 10_000 }).toContain('rr-few');
    expect(await page.locator('[data-testid="host-switcher"] option').count()).toBe(2);
    expect(await axeViolations(page)).toEqual([]);
    await shot(page, 'fleet-connect');

    await view('fleet');
    await page.waitForSelector('[data-testid="fleet-table"]');
    await expect.poll(() => page.locator('[data-testid="fleet-table"] tbody tr').count(), { timeout: 10_000 }).toBe(2);
    // the rows fill in from the fleet stream: cores, side cores, the observed objective
    await expect.poll(async () => (await page.locator('[data-testid="fleet-table"] [data-col="objective"]').allInnerTexts()).every((t) => t !== '—'), { timeout: 15_000 }).toBe(true);
    const cores = await page.locator('[data-testid="fleet-table"] tbody tr td:nth-child(3)').allInnerTexts();
    expect(cores.map(Number).every((n) => n > 0)).toBe(true);
    // sortable by name
    await page.click('[data-testid="fleet-table"] [data-sort="name"]');
    expect(await page.locator('th[aria-sort="ascending"]').innerText()).toContain('Host');
    expect(await axeViolations(page)).toEqual([]);
    await shot(page, 'fleet-overview');
  });

  it('switches hosts from the fleet (to the overview) and from the header with the keyboard', async () => {
    const h1 = page.locator('[data-testid="fleet-table"] tr[data-host="h1"] [data-open="h1"]');
    await h1.click();
    await page.waitForSelector('.view .tiles, [data-testid="perf-chart"]');
    expect(page.url()).toContain('#/overview');
    await expect.poll(() => page.locator('[data-testid="connection"]').innerText(), { timeout: 10_000 }).toContain('mixed');
    // the charts follow the host: backfilled from h1
    await expect.poll(async () => Number(await page.locator('[data-testid="perf-chart"]').getAttribute('data-points')), { timeout: 15_000 }).toBeGreaterThan(10);
    // keyboard: focus the switcher, move to the other host
    await page.focus('[data-testid="host-switcher"]');
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => page.locator('[data-testid="connection"]').innerText(), { timeout: 10_000 }).toContain('rr-few');
    expect(await page.locator('[data-testid="host-switcher"]').inputValue()).toBe('h2');
  });

  it('stops the recording of the shown host after confirming, and starts a new session', async () => {
    await expect.poll(() => page.locator('[data-testid="recording-chip"]').innerText(), { timeout: 10_000 }).toBe('● recording');
    await page.click('[data-testid="record-stop"]');
    await page.waitForSelector('[data-testid="confirm-stop-recording"]');
    expect(await axeViolations(page)).toEqual([]);
    await page.click('[data-testid="confirm-record-stop"]');
    await expect.poll(() => page.locator('[data-testid="recording-chip"]').innerText(), { timeout: 10_000 }).toBe('not recording');
    await page.waitForTimeout(1000);
    await page.click('[data-testid="record-start"]');
    await expect.poll(() => page.locator('[data-testid="recording-chip"]').innerText(), { timeout: 10_000 }).toBe('● recording');
    await page.waitForTimeout(1500);
    const db = new HistoryDb(server.dbPath, { readonly: true });
    try {
      const sessions = db.listSessions({});
      const rr = sessions.filter((s) => s.scenario === 'rr-few');
      const mixed = sessions.filter((s) => s.scenario === 'mixed');
      // rr-few: the stopped session (ended, with snapshots) and the new one (recording)
      expect(rr).toHaveLength(2);
      expect(rr.filter((s) => s.endedAt !== null)).toHaveLength(1);
      expect(rr.every((s) => s.snapshots > 0)).toBe(true);
      // the other host kept recording all along
      expect(mixed).toHaveLength(1);
      expect(mixed[0].endedAt).toBeNull();
    } finally {
      db.close();
    }
  });

  it('refuses an address that is not ws:// or wss:// in words, without echoing the token', async () => {
    await view('connect');
    await page.fill('[data-testid="agent-url"]', 'http://kvm-1:7878');
    await page.fill('[data-testid="agent-token"]', 'tok-e2e-SECRET');
    await page.click('[data-testid="connect-agent"]');
    const alert = page.locator('.connect-view [role="alert"]');
    await alert.first().waitFor();
    const text = await alert.first().innerText();
    expect(text).toContain('must start with ws:// or wss://');
    expect(text).not.toContain('tok-e2e-SECRET');
    expect(await axeViolations(page)).toEqual([]);
  });
});
