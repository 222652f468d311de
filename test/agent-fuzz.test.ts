/**
 * Protocol fuzz: 10,000 random and malformed messages (fast-check, fixed seed) from one
 * authenticated console to a real agent (in process, model driver, real sockets). The agent must
 * not crash, must answer every message with an error or an acknowledgement — or ignore it where
 * the protocol says so (a valid heartbeat) — and another connected console must keep receiving
 * every snapshot, in order, meanwhile.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import fc from 'fast-check';
import { createModelDriver } from '../src/agent/model-driver.ts';
import { startAgentServer } from '../src/agent/server.ts';
import { parseClientMessage } from '../src/shared/agent-protocol.ts';
import { HELLO, rawClient, realAgentClock, tokenDir } from './agent-helpers.ts';

const t = tokenDir();
afterAll(() => rmSync(t.dir, { recursive: true, force: true }));

const N = 10_000;

/** Valid messages of every type, to be sent as they are or mutated. */
const valid = fc.oneof(
  fc.record({ type: fc.constant('heartbeat'), seq: fc.nat() }),
  fc.record({ type: fc.constant('hello'), protocol: fc.record({ major: fc.constant(1), minor: fc.nat(5) }), client: fc.string({ minLength: 1, maxLength: 20 }) }),
  fc.record({ type: fc.constant('control'), id: fc.nat(), action: fc.oneof(
    fc.record({ kind: fc.constant('setSideCores'), cores: fc.array(fc.nat(9), { maxLength: 4 }) }),
    fc.record({ kind: fc.constant('assignQueue'), queue: fc.nat(12), core: fc.nat(9) }),
    fc.record({ kind: fc.constant('setPolling'), queue: fc.nat(12), on: fc.boolean() }),
    fc.record({ kind: fc.constant('setIoThreadPoll'), maxNs: fc.nat(100_000) }),
    fc.record({ kind: fc.constant('setManager'), on: fc.boolean() }),
  ) }),
  fc.record({ type: fc.constant('override'), id: fc.nat(), cmd: fc.record({ kind: fc.constantFrom('pin', 'release', 'clear'), core: fc.nat(9) }) }),
  fc.record({ type: fc.constant('setPolicy'), id: fc.nat(), name: fc.constantFrom('iocm', 'static:2', 'nope'), config: fc.constant({}) }),
);

/** A valid message with one field removed, replaced by anything, or an extra field added. */
const mutated = fc.tuple(valid, fc.nat(), fc.anything({ maxDepth: 3 }), fc.constantFrom('drop', 'replace', 'add', 'nest')).map(([m, k, v, how]) => {
  const o = JSON.parse(JSON.stringify(m)) as Record<string, unknown>;
  const keys = Object.keys(o);
  const key = keys[k % keys.length];
  if (how === 'drop') delete o[key];
  else if (how === 'replace') o[key] = v;
  else if (how === 'add') o[`x${k % 7}`] = v;
  else if (typeof o.action === 'object' && o.action) (o.action as Record<string, unknown>).cores = v;
  else o[key] = { deep: v };
  return JSON.stringify(o) ?? 'null';
});

type Frame = { text: string } | { binary: Uint8Array };

const frames: fc.Arbitrary<Frame> = fc.oneof(
  { weight: 4, arbitrary: mutated.map((text) => ({ text })) },
  { weight: 2, arbitrary: fc.json({ maxDepth: 4 }).map((text) => ({ text })) },
  { weight: 2, arbitrary: fc.string({ maxLength: 200 }).map((text) => ({ text })) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 100 }).map((text) => ({ text })) },
  { weight: 2, arbitrary: valid.map((m) => ({ text: JSON.stringify(m) })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((binary) => ({ binary })) },
  { weight: 1, arbitrary: fc.constantFrom('{', '[]', 'null', '""', '{"type":null}', '{"type":"hello"}', '{"__proto__":{"type":"control"}}', '{"type":"control","id":-1}', '1e999').map((text) => ({ text })) },
);

describe('agent protocol fuzz', () => {
  it(`survives ${N} random and malformed messages; the other console is unaffected`, async () => {
    const source = await createModelDriver({ clock: realAgentClock, dryRun: false, scenario: 'rr-few', seed: 9, flags: {}, log: () => {} });
    const server = await startAgentServer({ source, driver: 'model', version: 'fuzz', token: t.token, port: 0, clock: realAgentClock, limits: { ratePerSec: 1e6, rateBurst: 1e6 } });
    const observer = await rawClient(server.url, t.token);
    const fuzzer = await rawClient(server.url, t.token);
    try {
      observer.send({ ...HELLO, role: 'watch' });
      await observer.waitFor((m) => m.type === 'hello');
      fuzzer.send(HELLO);
      await fuzzer.waitFor((m) => m.type === 'hello');
      const sample = fc.sample(frames, { numRuns: N, seed: 20261201 });
      let expected = 0;
      const startSnaps = observer.messages.filter((m) => m.type === 'snapshot').length;
      for (let i = 0; i < sample.length; i++) {
        const f = sample[i];
        if ('binary' in f) {
          fuzzer.ws.send(f.binary, { binary: true });
          expected++;
          continue;
        }
        const p = parseClientMessage(f.text);
        // A valid hello of another major version ends the connection by design: not a fuzz case.
        if (p.ok && p.value.type === 'hello' && p.value.protocol.major !== 1) continue;
        fuzzer.ws.send(f.text);
        if (!(p.ok && p.value.type === 'heartbeat')) expected++;
        if (i % 500 === 499) await new Promise((r) => setTimeout(r, 5));
      }
      const replies = (): number => fuzzer.messages.filter((m) => m.type === 'error' || m.type === 'ack' || m.type === 'overrideAck' || m.type === 'policyAck').length;
      await expect.poll(replies, { timeout: 60_000, interval: 100 }).toBeGreaterThanOrEqual(expected);
      await new Promise((r) => setTimeout(r, 300));
      expect(replies()).toBe(expected);
      expect(expected).toBeGreaterThan(N * 0.8);
      // Every error names what was wrong.
      for (const m of fuzzer.messages.filter((x) => x.type === 'error')) expect(String(m.message).length).toBeGreaterThan(10);
      expect(fuzzer.ws.readyState).toBe(fuzzer.ws.OPEN);
      // The observer got every snapshot, in order, throughout.
      const seqs = observer.messages.filter((m) => m.type === 'snapshot').map((m) => (m.snapshot as { seq: number }).seq);
      expect(seqs.length).toBeGreaterThan(startSnaps + 5);
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe(seqs[i - 1] + 1);
      expect(observer.messages.filter((m) => m.type === 'error')).toEqual([]);
      // And the agent still serves a new console.
      const late = await rawClient(server.url, t.token);
      late.send(HELLO);
      await late.waitFor((m) => m.type === 'snapshot');
      late.ws.close();
    } finally {
      observer.ws.close();
      fuzzer.ws.close();
      await server.close();
      await source.close();
    }
  });
});
