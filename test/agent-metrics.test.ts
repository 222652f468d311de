/**
 * /metrics of the agent: the exposition parses with a Prometheus text-format parser
 * (parse-prometheus-text-format, prom2json-compatible) and its values are the sums of the
 * snapshots the host produced. The agent runs in process with the real model driver on a manual
 * clock, so the snapshots counted here and by the agent are exactly the same ones.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { rmSync } from 'node:fs';
import parsePrometheusTextFormat, { type MetricFamily } from 'parse-prometheus-text-format';
import { createModelDriver } from '../src/agent/model-driver.ts';
import { startAgentServer } from '../src/agent/server.ts';
import { LiveSession } from '../src/main/loop/session.ts';
import type { HostSnapshot } from '../src/shared/snapshot.ts';
import type { HostEvent } from '../src/shared/policy.ts';
import { HELLO, ManualClock, rawClient, tokenDir } from './agent-helpers.ts';

function scrape(port: number, token?: string): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/metrics', headers: token ? { Authorization: `Bearer ${token}` } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type']) }));
    });
    req.on('error', reject);
    req.end();
  });
}

function value(fams: MetricFamily[], name: string, labels: Record<string, string> = {}): number {
  const f = fams.find((x) => x.name === name);
  if (!f) throw new Error(`no metric ${name}`);
  const m = f.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
  if (!m) throw new Error(`no ${name}${JSON.stringify(labels)}`);
  return Number(m.value);
}

const t = tokenDir();
afterAll(() => rmSync(t.dir, { recursive: true, force: true }));

describe('agent /metrics', () => {
  it('parses as Prometheus text and matches the snapshots, with the agent loop counted', async () => {
    const clock = new ManualClock();
    const source = await createModelDriver({ clock, dryRun: false, scenario: 'rr-few', seed: 4, flags: {}, log: () => {} });
    const seen: HostSnapshot[] = [];
    source.onSnapshot((s) => seen.push(s));
    const loop = new LiveSession(source, { policy: 'static:2' });
    const metricsToken = 'm'.repeat(32);
    const server = await startAgentServer({ source, driver: 'model', version: 'iocm-agent test', token: t.token, metricsToken, port: 0, loop, clock, limits: { loopBatchMs: 100 } });
    const watcher = await rawClient(server.url, t.token);
    try {
      watcher.send(HELLO);
      await watcher.waitFor((m) => m.type === 'hello');
      clock.advance(3000);
      await watcher.waitFor((m) => m.type === 'loop' && (m.events as HostEvent[]).some((e) => e.kind === 'decision'));
      const r = await scrape(server.port, metricsToken);
      expect(r.status).toBe(200);
      expect(r.type).toMatch(/^text\/plain; version=0\.0\.4/);
      const fams = parsePrometheusTextFormat(r.body);
      for (const f of fams) expect(f.name).toMatch(/^iocm_/);
      expect(seen.length).toBeGreaterThanOrEqual(29);
      expect(value(fams, 'iocm_snapshots_total')).toBe(seen.length);
      expect(value(fams, 'iocm_last_snapshot_seq')).toBe(seen[seen.length - 1].seq);
      const last = seen[seen.length - 1];
      expect(value(fams, 'iocm_side_cores')).toBe(last.sideCores.length);
      expect(last.sideCores.length).toBe(2);
      for (const c of last.cores) {
        const busy = seen.reduce((a, s) => { const y = s.cores[c.id].cycles; return a + (y.guest + y.exit + y.io + y.emptyPoll + y.ctxSwitch) / s.hz; }, 0);
        const idle = seen.reduce((a, s) => a + s.cores[c.id].cycles.idle / s.hz, 0);
        expect(value(fams, 'iocm_core_busy_seconds_total', { core: String(c.id) })).toBeCloseTo(busy, 9);
        expect(value(fams, 'iocm_core_idle_seconds_total', { core: String(c.id) })).toBeCloseTo(idle, 9);
        expect(value(fams, 'iocm_core_side', { core: String(c.id) })).toBe(c.role === 'side' ? 1 : 0);
      }
      for (const v of last.vms) {
        const reqs = seen.reduce((a, s) => a + s.queues.filter((q) => q.vm === v.id).reduce((b, q) => b + q.requests, 0), 0);
        const run = seen.reduce((a, s) => a + s.vms[v.id].vcpuRunCycles / s.hz, 0);
        expect(value(fams, 'iocm_vm_requests_total', { vm: String(v.id), name: v.name })).toBeCloseTo(reqs, 6);
        expect(value(fams, 'iocm_vm_vcpu_run_seconds_total', { vm: String(v.id) })).toBeCloseTo(run, 9);
      }
      for (const q of last.queues) {
        expect(value(fams, 'iocm_queue_owner_core', { queue: String(q.id) })).toBe(q.owner ?? -1);
        const bytes = seen.reduce((a, s) => a + s.queues[q.id].bytes, 0);
        expect(value(fams, 'iocm_queue_bytes_total', { queue: String(q.id) })).toBeCloseTo(bytes, 3);
      }
      const relayed = watcher.messages.filter((m) => m.type === 'loop').flatMap((m) => m.events as HostEvent[]);
      const changes = relayed.filter((e) => e.kind === 'decision' && (e.data as { decision: { kind: string } }).decision.kind === 'change').length;
      expect(changes).toBeGreaterThanOrEqual(1);
      expect(value(fams, 'iocm_loop_decisions_total', { kind: 'change' })).toBe(changes);
      expect(value(fams, 'iocm_clients')).toBe(1);
      expect(fams.find((f) => f.name === 'iocm_agent_info')?.metrics[0].labels).toMatchObject({ driver: 'model', loop: 'true', protocol: '1.0', version: 'iocm-agent test' });
      // The scrape token opens /metrics only.
      expect((await scrape(server.port)).status).toBe(401);
      await expect(rawClient(server.url, metricsToken)).rejects.toThrow(/401/);
    } finally {
      watcher.ws.close();
      await server.close();
      await loop.close();
    }
  });
});
