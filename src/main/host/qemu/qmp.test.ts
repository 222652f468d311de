import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { QmpClient, QmpError } from './qmp.ts';

// The client's protocol handling against a scripted peer on a real unix socket (greeting, ids,
// events, errors, timeouts, bounds, closes). The real QEMU is driven in test/qemu/.
const timers = { setTimeout: (f: () => void, ms: number) => setTimeout(f, ms), clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout) };
const GREETING = JSON.stringify({ QMP: { version: { qemu: { major: 7, minor: 2, micro: 22 }, package: '' }, capabilities: ['oob'] } });

let server: Server | null = null;
let dir = '';
afterEach(() => {
  server?.close();
  server = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A peer that greets, then answers each command line with `reply(cmd, sock)`. */
async function peer(reply: (cmd: { execute: string; id?: string; arguments?: unknown }, s: Socket) => void, greet = true): Promise<string> {
  dir = mkdtempSync(join(tmpdir(), 'iocm-qmp-'));
  const path = join(dir, 'q.sock');
  server = createServer((s) => {
    if (greet) s.write(GREETING + '\r\n');
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        reply(JSON.parse(line), s);
      }
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server!.listen(path, r));
  return path;
}

const ok = (c: { id?: string }, v: unknown) => JSON.stringify({ return: v, id: c.id }) + '\r\n';

describe('QmpClient', () => {
  it('negotiates, matches replies by id (out of order, events in between) and reports QEMU errors', async () => {
    const held: { id?: string }[] = [];
    const path = await peer((c, s) => {
      if (c.execute === 'qmp_capabilities') s.write(ok(c, {}));
      else if (c.execute === 'slow') held.push(c);
      else if (c.execute === 'fast') {
        s.write(JSON.stringify({ event: 'RESUME', timestamp: { seconds: 1, microseconds: 0 } }) + '\r\n');
        s.write(ok(c, 'fast-result'));
        for (const h of held.splice(0)) s.write(ok(h, 'slow-result'));
      } else s.write(JSON.stringify({ error: { class: 'CommandNotFound', desc: `The command ${c.execute} has not been found` }, id: c.id }) + '\r\n');
    });
    const q = await QmpClient.connect(path, { timers });
    expect(q.version).toBe('7.2.22');
    const slow = q.execute('slow');
    const fast = q.execute('fast');
    expect(await fast).toBe('fast-result');
    expect(await slow).toBe('slow-result');
    expect(q.events).toBe(1);
    const e = await q.execute('nope').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(QmpError);
    expect((e as QmpError).errorClass).toBe('CommandNotFound');
    expect((e as Error).message).toMatch(/nope: CommandNotFound/);
    q.close();
  });

  it('times out a command without a reply, and ignores the late reply', async () => {
    let late: { id?: string } | null = null;
    const path = await peer((c, s) => {
      if (c.execute === 'qmp_capabilities') s.write(ok(c, {}));
      else if (c.execute === 'hang') late = c;
      else {
        if (late) s.write(ok(late, 'late'));
        s.write(ok(c, 'after'));
      }
    });
    const q = await QmpClient.connect(path, { timers, timeoutMs: 150 });
    await expect(q.execute('hang')).rejects.toThrow(/hang got no reply within 150 ms/);
    expect(await q.execute('next')).toBe('after');
    expect(q.dead).toBe(false);
    q.close();
  });

  it('fails when there is no greeting, no socket, or too many commands in flight', async () => {
    const path = await peer(() => undefined, false);
    await expect(QmpClient.connect(path, { timers, timeoutMs: 150 })).rejects.toThrow(/no greeting/);
    await expect(QmpClient.connect(join(dir, 'missing.sock'), { timers })).rejects.toThrow(/ENOENT/);
    server!.close();
    const p2 = await peer((c, s) => {
      if (c.execute === 'qmp_capabilities') s.write(ok(c, {}));
    });
    const q = await QmpClient.connect(p2, { timers, maxPending: 2, timeoutMs: 2000 });
    const a = q.execute('x').catch(() => 'failed');
    const b = q.execute('y').catch(() => 'failed');
    await expect(q.execute('z')).rejects.toThrow(/more than 2 commands in flight/);
    q.close();
    expect(await a).toBe('failed');
    expect(await b).toBe('failed');
  });

  it('dies on an oversized line or non-JSON, failing what is in flight and every later command', async () => {
    const path = await peer((c, s) => {
      if (c.execute === 'qmp_capabilities') s.write(ok(c, {}));
      else if (c.execute === 'big') s.write('{"return": "' + 'x'.repeat(5000));
      else s.write('this is not json\r\n');
    });
    const q = await QmpClient.connect(path, { timers, maxLineBytes: 1024 });
    const closed: string[] = [];
    q.onClose((e) => closed.push(e.message));
    await expect(q.execute('big')).rejects.toThrow(/exceeds 1024 bytes/);
    expect(q.dead).toBe(true);
    await expect(q.execute('later')).rejects.toThrow(/exceeds/);
    expect(closed).toHaveLength(1);
    const q2 = await QmpClient.connect(path, { timers });
    await expect(q2.execute('garbage')).rejects.toThrow(/not JSON/);
  });

  it('a peer that closes the socket fails the command in flight (QEMU exited)', async () => {
    const path = await peer((c, s) => {
      if (c.execute === 'qmp_capabilities') s.write(ok(c, {}));
      else s.destroy();
    });
    const q = await QmpClient.connect(path, { timers });
    await expect(q.execute('query-name')).rejects.toThrow(/closed/);
    expect(q.dead).toBe(true);
  });
});
