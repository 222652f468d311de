/**
 * The agent end to end: a real `iocm agent --driver model` process and the console's client
 * (AgentHostSource) over a real socket — hello, snapshots, a control action acknowledged and
 * visible in the next snapshots, a bad token refused (401) on the upgrade and on HTTP, TLS with a
 * self-signed certificate made here with the openssl CLI, and SIGTERM closing the agent cleanly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import { AgentHostSource } from '../src/main/host/agent-source.ts';
import type { HostSnapshot } from '../src/shared/snapshot.ts';
import { rawClient, realLinkClock, seededRandom, startAgentProc, tokenDir, type AgentProc } from './agent-helpers.ts';

function httpGet(port: number, path: string, token?: string, scheme = 'Bearer'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: token ? { Authorization: `${scheme} ${token}` } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('iocm agent --driver model ↔ AgentHostSource', () => {
  const t = tokenDir();
  let agent: AgentProc;
  beforeAll(async () => {
    agent = await startAgentProc(['--driver', 'model', '--scenario', 'rr-few', '--token-file', t.tokenFile, '--listen', '127.0.0.1:0']);
  });
  afterAll(async () => {
    agent?.child.kill('SIGKILL');
    rmSync(t.dir, { recursive: true, force: true });
  });

  it('says hello with the host, streams snapshots and acknowledges control actions', async () => {
    const src = await AgentHostSource.connect({ url: `ws://127.0.0.1:${agent.port}`, token: t.token, clock: realLinkClock, random: seededRandom(1) });
    try {
      expect(src.kind).toBe('agent');
      expect(src.connection().state).toBe('connected');
      const info = src.info();
      expect(info.source).toBe('agent');
      expect(info.cores).toBeGreaterThan(1);
      expect(info.observability?.profile).toBe('qemu');
      expect(src.hello().driver).toBe('model');
      expect(src.currentRole()).toBe('control');
      expect(src.remoteLoop()).toBe(false);
      const snaps: HostSnapshot[] = [];
      src.onSnapshot((s) => snaps.push(s));
      await expect.poll(() => snaps.length, { timeout: 10_000 }).toBeGreaterThan(5);
      // Real-host shape: truth neutral.
      expect(snaps[0].phase).toBe('');
      expect(snaps[0].totals.score).toBe(0);
      for (let i = 1; i < snaps.length; i++) expect(snaps[i].seq).toBe(snaps[i - 1].seq + 1);

      const cores = [info.cores - 1];
      const ack = await src.apply({ kind: 'setSideCores', cores });
      expect(ack).toEqual({ ok: true, costCycles: expect.any(Number) });
      const n = snaps.length;
      await expect.poll(() => snaps.slice(n).some((s) => s.sideCores.length === 1 && s.sideCores[0].coreId === cores[0]), { timeout: 10_000 }).toBe(true);
      expect(src.config().sideCores).toEqual(cores);
      // What a stock QEMU host (profile qemu) measures, shaped as the qemu driver sends it (review 8:
      // the model agent sent exits, empty polls and loop counts, shown as measured): a core's
      // non-guest busy time is io; a side core's busy time is its work, no loops or empty polls; no
      // kicks, polls, pending or exits.
      await expect.poll(() => snaps.length, { timeout: 10_000 }).toBeGreaterThan(n + 20);
      const later = snaps.slice(n + 10);
      const withSide = later.filter((s) => s.sideCores.length === 1);
      expect(withSide.length).toBeGreaterThan(0);
      expect(withSide.some((s) => s.sideCores[0].workCycles > 0)).toBe(true);
      for (const s of later) {
        for (const c of s.cores) expect([c.cycles.exit, c.cycles.emptyPoll, c.cycles.ctxSwitch]).toEqual([0, 0, 0]);
        expect(s.cores.some((c) => c.cycles.io > 0 && c.cycles.guest > 0)).toBe(true);
        for (const sc of s.sideCores) expect([sc.loops, sc.emptyPolls, sc.emptyPollCycles]).toEqual([0, 0, 0]);
        for (const q of s.queues) expect([q.kicks, q.polls, q.emptyPolls, q.pending, q.waitCycles, q.interrupts]).toEqual([0, 0, 0, 0, 0, 0]);
        for (const v of s.vms) expect([v.exitsPerSec, v.interruptsPerSec, v.guestCyclesPerSec, v.load]).toEqual([0, 0, 0, 0]);
        expect([s.totals.exitsPerSec, s.totals.interruptsPerSec, s.totals.cycles.exit, s.totals.cycles.emptyPoll, s.totals.cycles.ctxSwitch]).toEqual([0, 0, 0, 0, 0]);
      }

      const refused = await src.apply({ kind: 'setSideCores', cores: [999] });
      expect(refused.ok).toBe(false);
      if (!refused.ok) expect(refused.error.length).toBeGreaterThan(5);
    } finally {
      await src.close();
    }
    expect(src.connection().state).toBe('closed');
  });

  it('refuses a bad token with 401, on the upgrade and on HTTP', async () => {
    await expect(AgentHostSource.connect({ url: `ws://127.0.0.1:${agent.port}`, token: 'x'.repeat(48), clock: realLinkClock, random: seededRandom(1) })).rejects.toThrow(/401/);
    await expect(rawClient(`ws://127.0.0.1:${agent.port}/agent`, '')).rejects.toThrow(/401/);
    expect((await httpGet(agent.port, '/metrics')).status).toBe(401);
    expect((await httpGet(agent.port, '/metrics', t.token.slice(0, -1) + 'z')).status).toBe(401);
    expect((await httpGet(agent.port, '/healthz', t.token)).status).toBe(200);
    expect((await httpGet(agent.port, '/metrics', t.token)).body).toMatch(/^iocm_snapshots_total \d+/m);
  });

  it('takes the auth scheme in any case (RFC 7235), on HTTP and on the upgrade', async () => {
    expect((await httpGet(agent.port, '/healthz', t.token, 'bearer')).status).toBe(200);
    expect((await httpGet(agent.port, '/metrics', t.token, 'BEARER')).status).toBe(200);
    expect((await httpGet(agent.port, '/healthz', t.token.slice(0, -1) + 'z', 'bearer')).status).toBe(401);
    const c = await rawClient(`ws://127.0.0.1:${agent.port}/agent`, t.token, { scheme: 'bearer' });
    c.ws.close();
  });

  it('answers an unknown major protocol version with a clear error and closes', async () => {
    const c = await rawClient(`ws://127.0.0.1:${agent.port}/agent`, t.token);
    c.send({ type: 'hello', protocol: { major: 99, minor: 0 }, client: 'future console' });
    const e = await c.waitFor((m) => m.type === 'error');
    expect(e.code).toBe('unsupported-version');
    expect(String(e.message)).toMatch(/protocol 1\.0.*99\.0/);
    expect((await c.closed).code).toBe(4000);
  });
});

describe('TLS', () => {
  it('serves wss:// with a self-signed certificate the console verifies with `ca`', async () => {
    const t = tokenDir();
    const cert = join(t.dir, 'cert.pem');
    const key = join(t.dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
    const agent = await startAgentProc(['--driver', 'model', '--scenario', 'rr-few', '--token-file', t.tokenFile, '--listen', '127.0.0.1:0', '--tls-cert', cert, '--tls-key', key]);
    try {
      expect(agent.url).toMatch(/^wss:\/\//);
      const ca = readFileSync(cert, 'utf8');
      // Without the certificate the console refuses the agent.
      await expect(AgentHostSource.connect({ url: `wss://127.0.0.1:${agent.port}`, token: t.token, clock: realLinkClock, random: seededRandom(2) })).rejects.toThrow(/certificate/);
      const src = await AgentHostSource.connect({ url: `wss://127.0.0.1:${agent.port}`, token: t.token, ca, clock: realLinkClock, random: seededRandom(2) });
      const snaps: HostSnapshot[] = [];
      src.onSnapshot((s) => snaps.push(s));
      await expect.poll(() => snaps.length, { timeout: 10_000 }).toBeGreaterThan(2);
      await src.close();
      // Plain ws:// to a TLS port does not get through.
      await expect(AgentHostSource.connect({ url: `ws://127.0.0.1:${agent.port}`, token: t.token, clock: realLinkClock, random: seededRandom(2), connectTimeoutMs: 3000 })).rejects.toThrow();
      agent.child.kill('SIGTERM');
      const ex = await agent.exited;
      expect(ex.code).toBe(0);
      expect(agent.stderr()).toMatch(/SIGTERM: closing the host/);
    } finally {
      agent.child.kill('SIGKILL');
      rmSync(t.dir, { recursive: true, force: true });
    }
  });
});
