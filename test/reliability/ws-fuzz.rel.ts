/**
 * Property-based fuzzing of every API method over the WebSocket transport (10,000 cases) and
 * of policy configs (10,000 setPolicy calls): a real server on loopback with the real services
 * (model, loop, SQLite). No crash or hang, every invalid argument names its field, no internal
 * error, and the state is unchanged after every rejected command.
 */
import fc from 'fast-check';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWsClient, type WebSocketLike, type WsApi } from '../../src/renderer/transport/ws-client.ts';
import type { Result } from '../../src/shared/api.ts';
import { startFixture, type Fixture } from '../server-helpers.ts';
import { Tally, answerProblems, apiCase, stableState } from './api-cases.ts';
import { figure } from './figures.ts';

let fx: Fixture;
let api: WsApi;
beforeAll(async () => {
  fx = await startFixture('rr-few', { speed: 1 });
  api = createWsClient({
    url: `ws://127.0.0.1:${fx.port}/ws`,
    token: fx.token,
    WebSocketImpl: WebSocket as unknown as new (url: string, protocols?: string[]) => WebSocketLike,
    requestTimeoutMs: 20_000,
  });
});
afterAll(async () => {
  api?.close();
  await fx?.cleanup();
});

async function state(): Promise<unknown> {
  const r = await api.getState();
  if (!r.ok) throw new Error(r.error.message);
  return stableState(r.value);
}

describe('API fuzzing over WebSocket', () => {
  it('10,000 requests of every method: answered, fields named, state unchanged when rejected', async () => {
    const tally = new Tally();
    const t0 = Date.now();
    const invoke = (api as unknown as { [k: string]: (a: unknown) => Promise<Result<unknown>> });
    await fc.assert(
      fc.asyncProperty(apiCase, async ({ method, args }) => {
        const before = await state();
        const call = (METHOD_NAMES_SET.has(method) ? invoke[method](args) : rawCall(method, args)) as Promise<Result<unknown>>;
        const r = await call;
        const problems = answerProblems(r);
        tally.add(r, problems);
        if (!r.ok) {
          const after = await state();
          if (JSON.stringify(after) !== JSON.stringify(before)) problems.push(`${method} rejected (${r.error.code}) but changed the state`);
        }
        // Connecting or unlocking may be accepted; put the console back to a known state now and then.
        if (r.ok && method === 'pauseLoop') await api.resumeLoop();
        if (problems.length) throw new Error(`${method}(${JSON.stringify(args)?.slice(0, 300)}): ${problems.join('; ')}`);
      }),
      { numRuns: 10_000, seed: 10, endOnFailure: true },
    );
    expect(fx.run.server.clients()).toBe(1);
    figure('api over WebSocket', { ...tally.figures(), seconds: (Date.now() - t0) / 1000 });
  });

  it('10,000 policy configs through setPolicy: accepted or refused naming the config field', async () => {
    const policies = await api.listPolicies();
    if (!policies.ok) throw new Error(policies.error.message);
    const names = policies.value.map((p) => p.name);
    const fields = [...new Set(policies.value.flatMap((p) => p.fields.map((f) => f.key)))];
    const tally = new Tally();
    const value = fc.oneof(fc.double(), fc.integer({ min: -1e6, max: 1e6 }), fc.boolean(), fc.string({ maxLength: 20 }), fc.constantFrom(0, -1, 1e308, 0.5, 100));
    const arb = fc.record({
      name: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...names) }, { weight: 1, arbitrary: fc.string({ maxLength: 20 }) }),
      config: fc.dictionary(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...fields) }, { weight: 1, arbitrary: fc.string({ maxLength: 10 }) }), value, { maxKeys: 4 }),
    });
    await fc.assert(
      fc.asyncProperty(arb, async ({ name, config }) => {
        const before = await state();
        const r = await api.setPolicy({ name, config });
        const problems = answerProblems(r);
        tally.add(r, problems);
        if (!r.ok) {
          if (r.error.code === 'invalid-argument' && !/^(config\.|name|args)/.test(r.error.field ?? '')) problems.push(`field '${r.error.field}' is not a config field`);
          if (JSON.stringify(await state()) !== JSON.stringify(before)) problems.push('rejected but changed the state');
        }
        if (problems.length) throw new Error(`setPolicy(${JSON.stringify({ name, config })}): ${problems.join('; ')}`);
      }),
      { numRuns: 10_000, seed: 11, endOnFailure: true },
    );
    figure('policy configs over WebSocket', tally.figures());
  });
});

const METHOD_NAMES_SET = new Set<string>((await import('../../src/shared/api.ts')).METHOD_NAMES);

/** An unknown method sent on a raw socket (the typed client only knows real ones). */
async function rawCall(method: string, args: unknown): Promise<Result<unknown>> {
  const ws = new WebSocket(`ws://127.0.0.1:${fx.port}/ws`, ['iocm.v1', `iocm-token.${fx.token}`]);
  try {
    await new Promise<void>((res, rej) => {
      ws.once('open', () => res());
      ws.once('error', rej);
    });
    const reply = new Promise<Result<unknown>>((res) =>
      ws.on('message', (d) => {
        const m = JSON.parse(String(d)) as { id?: unknown; result?: Result<unknown> };
        if (m.id === 1 && m.result) res(m.result);
      }),
    );
    ws.send(JSON.stringify({ id: 1, method, args }));
    return await reply;
  } finally {
    ws.close();
  }
}
