/**
 * End-to-end with a real agent (issue 12, console): Chromium against the real headless server
 * (embedded model 'mixed'), and a real `iocm agent --driver model` process. Connect it from the
 * Connect view (address, token, name), see it in the fleet beside the model, kill the agent
 * (SIGKILL): the row and the header say reconnecting with attempts; start it again on the same
 * port: the link is back, the charts mark the gap, and the recorded session holds the gap's
 * disconnect/connect events once each (real SQLite file).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { HistoryDb } from '../../src/main/history/store.ts';
import { axeViolations, launchBrowser, shot, startServer, type ServerHandle } from './harness.ts';
import { freePort, startAgentProc, tokenDir, type AgentProc } from '../agent-helpers.ts';

let server: ServerHandle;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
const t = tokenDir();
const procs: AgentProc[] = [];
let port = 0;

const agentArgs = (): string[] => ['--driver', 'model', '--scenario', 'rr-few', '--token-file', t.tokenFile, '--listen', `127.0.0.1:${port}`];

async function view(name: string): Promise<void> {
  await page.click(`nav [data-view="${name}"]`);
  await page.waitForSelector('.view', { timeout: 10_000 });
}

describe('fleet with a real agent, in Chromium against the headless server', () => {
  beforeAll(async () => {
    port = await freePort();
    procs.push(await startAgentProc(agentArgs()));
    server = await startServer(['--scenario', 'mixed', '--seed', '4']);
    browser = await launchBrowser();
    page = browser.page;
    await page.goto(server.url);
    await page.waitForSelector('[data-testid="connection"]');
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    for (const p of procs) p.child.kill('SIGKILL');
    rmSync(t.dir, { recursive: true, force: true });
  });

  it('connects the agent from the Connect view and shows it in the fleet beside the model', async () => {
    await view('connect');
    await page.fill('[data-testid="agent-url"]', `ws://127.0.0.1:${port}/agent`);
    await page.fill('[data-testid="agent-token"]', t.token);
    await page.fill('[data-testid="agent-name"]', 'kvm-e2e');
    await page.click('[data-testid="connect-agent"]');
    await expect.poll(() => page.locator('[data-testid="host-list"] tbody tr').count(), { timeout: 20_000 }).toBe(2);
    // the token field is cleared once used, and the token is nowhere on the page
    expect(await page.inputValue('[data-testid="agent-token"]')).toBe('');
    expect(await page.content()).not.toContain(t.token);
    await expect.poll(() => page.locator('[data-testid="connection"]').innerText(), { timeout: 10_000 }).toContain('Agent · kvm-e2e');

    await view('fleet');
    const row = page.locator('[data-testid="fleet-table"] tr:has-text("kvm-e2e")');
    await row.waitFor();
    expect(await row.innerText()).toContain(`ws://127.0.0.1:${port}/agent`);
    await expect.poll(() => row.locator('[data-col="link"]').innerText(), { timeout: 10_000 }).toMatch(/^connected since/);
    await expect.poll(() => row.locator('[data-col="objective"]').innerText(), { timeout: 15_000 }).not.toBe('—');
    expect(await axeViolations(page)).toEqual([]);
    await shot(page, 'fleet-agent-connected');
  });

  it('kill the agent: reconnecting with attempts; start it again: the link is back and the gap is marked and recorded', async () => {
    await view('overview');
    await expect.poll(async () => Number(await page.locator('[data-testid="perf-chart"]').getAttribute('data-points')), { timeout: 15_000 }).toBeGreaterThan(10);
    const a1 = procs[0];
    a1.child.kill('SIGKILL');
    await a1.exited;
    await page.waitForSelector('[data-testid="link-chip"]', { timeout: 15_000 });
    await expect.poll(() => page.locator('[data-testid="link-chip"]').innerText(), { timeout: 15_000 }).toMatch(/link reconnecting · attempt [2-9]/);
    // the overview marks the dead agent's figures as the last it reported, and the loop as waiting (review 8 item 7)
    await expect
      .poll(() => page.locator('[data-testid="overview-stale"]').innerText(), { timeout: 15_000 })
      .toMatch(/^The link to .+ is down \(reconnecting, attempt \d+.*\): the figures below are the last it reported, at \d\d:\d\d:\d\d, not what is in force now\.$/);
    expect(await page.locator('[data-card="side-cores"] [data-last]').innerText()).toMatch(/^last reported \d\d:\d\d:\d\d$/);
    expect(await page.locator('[data-stat="loop"]').innerText()).toMatch(/^waiting for the link · /);
    expect(await page.locator('[data-testid="loop-chip"]').innerText()).toMatch(/^waiting for the link · /);
    await shot(page, 'overview-agent-link-down');
    await view('fleet');
    const row = page.locator('[data-testid="fleet-table"] tr:has-text("kvm-e2e")');
    await expect.poll(() => row.locator('[data-col="link"]').innerText(), { timeout: 10_000 }).toMatch(/^reconnecting · \d+ attempts?/);
    await shot(page, 'fleet-agent-reconnecting');

    procs.push(await startAgentProc(agentArgs()));
    await expect.poll(() => row.locator('[data-col="link"]').innerText(), { timeout: 30_000 }).toMatch(/^connected since/);
    await view('overview');
    expect(await page.locator('[data-testid="link-chip"]').count()).toBe(0);
    expect(await page.locator('[data-testid="overview-stale"]').count()).toBe(0);
    expect(await page.locator('[data-stat="loop"]').innerText()).toMatch(/^running · /);
    // the charts draw the gap and say so
    await expect.poll(() => page.locator('[data-testid="perf-chart"]').getAttribute('data-gaps'), { timeout: 15_000 }).toBe('1');
    expect(await page.locator('[data-testid="perf-chart"] [role="img"]').getAttribute('aria-label')).toContain('the link to the host was down');
    await shot(page, 'fleet-agent-gap');

    // What the file holds: the recorder writes in batches, so the gap's end can reach the file a
    // moment after the page drew it.
    const linkEvents = () => {
      const db = new HistoryDb(server.dbPath, { readonly: true });
      try {
        const agentSession = db.listSessions({}).find((s) => s.source === 'agent' && s.host === 'kvm-e2e');
        expect(agentSession).toBeDefined();
        return db.eventsBetween(agentSession!.id, -Infinity, Infinity).filter((e) => e.kind === 'disconnect' || e.kind === 'connect');
      } finally {
        db.close();
      }
    };
    await expect.poll(() => linkEvents().map((e) => (e.data as { gap?: string }).gap), { timeout: 10_000 }).toEqual(['start', 'end']);
    expect((linkEvents()[1].data as { durationMs: number }).durationMs).toBeGreaterThan(1000);
  });
});
