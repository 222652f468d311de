/**
 * A real host's VMs start and stop: the page hears it as a `notice` (not only as a recorded event),
 * and a host that flaps many times a second gives at most one notice per CHANGE_NOTICE_MS, the
 * held one saying how many changes it stands for (review 6: 346 recorded notices and none sent).
 * A fake agent over a real WebSocket, the real agent client, real services and a real SQLite file.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHostModel } from '../src/main/model/host-model.ts';
import { loadScenario } from '../src/main/scenario/index.ts';
import { createServices, type Services } from '../src/main/services/index.ts';
import { CHANGE_NOTICE_MS } from '../src/main/services/hosts.ts';
import { createAgentLiveHost } from '../src/main/services/agent-host.ts';
import type { Notice } from '../src/shared/api.ts';
import { agentHello, realLinkClock, seededRandom, value } from './agent-helpers.ts';

let wss: WebSocketServer | null = null;
let services: Services | null = null;
const dir = mkdtempSync(join(tmpdir(), 'iocm-notice-'));
afterEach(async () => {
  await services?.shutdown();
  services = null;
  rmSync(dir, { recursive: true, force: true });
  if (wss) {
    for (const c of wss.clients) c.terminate();
    await new Promise((r) => wss!.close(() => r(null)));
  }
  wss = null;
});

/** A fake agent of rr-few whose last VM goes away and comes back every `flipMs` (each an `info` message). */
async function flappingAgent(flipMs: number): Promise<string> {
  const m = createHostModel(loadScenario('rr-few'), { seed: 2, intervalMs: 100, observe: 'qemu' });
  const full = m.info();
  const lastVm = full.vms[full.vms.length - 1].id;
  const kept = full.queues.filter((q) => q.vm !== lastVm);
  const smaller = { ...full, vms: full.vms.filter((v) => v.id !== lastVm), queues: kept };
  const cut = <T extends unknown[]>(a: T): T => a.slice(0, kept.length) as T;
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  wss.on('connection', (ws: WebSocket) =>
    ws.once('message', () => {
      const c0 = m.config();
      ws.send(JSON.stringify(agentHello(full, c0)));
      ws.on('message', (d) => {
        const msg = JSON.parse(d.toString()) as { type: string; id?: number };
        if (msg.type === 'control') ws.send(JSON.stringify({ type: 'ack', id: msg.id, result: { ok: true, costCycles: 0 } }));
      });
      let shrunk = false;
      let last = Date.now();
      const timer = setInterval(() => {
        if (ws.readyState !== ws.OPEN) return clearInterval(timer);
        const c = m.config();
        if (Date.now() - last >= flipMs) {
          last = Date.now();
          shrunk = !shrunk;
          ws.send(JSON.stringify({ type: 'info', info: shrunk ? smaller : full, config: shrunk ? { ...c, queueOwner: cut(c.queueOwner), queuePolling: cut(c.queuePolling) } : c }));
        }
        const s = m.step();
        const snapshot = shrunk ? { ...s, vms: s.vms.filter((v) => v.id !== lastVm), queues: s.queues.filter((q) => q.vm !== lastVm) } : s;
        ws.send(JSON.stringify({ type: 'snapshot', snapshot, config: shrunk ? { ...c, queueOwner: cut(c.queueOwner), queuePolling: cut(c.queuePolling) } : c }));
      }, 50);
    }),
  );
  await new Promise((r) => wss!.once('listening', r));
  return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
}

describe('notices of a real host changing', () => {
  it('sends the page a notice when the host’s VMs change, at most one per CHANGE_NOTICE_MS, the held one counting the changes', async () => {
    const url = await flappingAgent(100);
    services = createServices({
      dbPath: join(dir, 'h.db'),
      scenario: null,
      seed: 1,
      fleetMs: 200,
      openAgent: (a) => createAgentLiveHost(a, { clock: realLinkClock, random: seededRandom(3), batchMs: 50 }),
    });
    await services.boot();
    const notices: (Notice & { seen: number })[] = [];
    services.api.onNotice((n) => notices.push({ ...n, seen: Date.now() }));
    value(await services.api.connectAgent({ url, token: 't'.repeat(32), name: 'flappy' }));
    const changes = () => notices.filter((n) => /^flappy: host .* changed/.test(n.message));
    // The first change is said at once; the next ones (about ten a second) wait for the window.
    await expect.poll(() => changes().length, { timeout: 5000 }).toBeGreaterThanOrEqual(1);
    await expect.poll(() => changes().length, { timeout: CHANGE_NOTICE_MS + 3000 }).toBeGreaterThanOrEqual(2);
    const [a, b] = changes();
    expect(a.level).toBe('info');
    expect(b.message).toMatch(/\(the latest of \d+ changes since the last notice\)\.$/);
    expect(Number(/of (\d+) changes/.exec(b.message)![1])).toBeGreaterThan(10);
    expect(b.at - a.at).toBeGreaterThanOrEqual(CHANGE_NOTICE_MS);
  }, 20_000);
});
