/**
 * HTTP fuzzing over raw sockets (fast-check, 5,000 requests): request lines, targets, headers,
 * cookies and WebSocket upgrade headers, against a real server with the real services. The
 * server must answer or close every connection, never serve the API without the token, and
 * stay up (checked after every request batch and at the end).
 */
import fc from 'fast-check';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGet, startFixture, type Fixture } from '../server-helpers.ts';
import { figure } from './figures.ts';

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture('rr-few', { speed: 1 });
});
afterAll(async () => {
  await fx?.cleanup();
});

function raw(text: string | Buffer, ms = 2000): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(fx.port, '127.0.0.1');
    let out = '';
    const done = (): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(out);
    };
    const timer = setTimeout(done, ms);
    s.on('data', (d) => {
      out += d.toString('latin1');
      if (out.includes('\r\n\r\n')) done();
    });
    s.on('error', done);
    s.on('close', done);
    s.write(text);
  });
}

const piece = fc.constantFrom('/', '//', '/ws', '/healthz', '/download/', '/assets/', '..', '%', '%2e', '%00', '%zz', '?', '#', '[', ']', ':', '99999', 'http://', 'a', '*', '\u00e9', ' ', '\t', '\\', '@');
const target = fc.oneof(fc.array(piece, { maxLength: 6 }).map((a) => a.join('')), fc.string({ maxLength: 40 }));
const method = fc.oneof(fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE', 'get', ''), fc.string({ maxLength: 8 }));
const headerValue = fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom('%', 'iocm_token=%', 'iocm_token=%E0%A4%A', 'iocm.v1, iocm-token.%', 'websocket', 'Upgrade', '13', 'x'.repeat(9000)));
const headerName = fc.constantFrom('Host', 'Cookie', 'Authorization', 'Upgrade', 'Connection', 'Sec-WebSocket-Key', 'Sec-WebSocket-Version', 'Sec-WebSocket-Protocol', 'Origin', 'Content-Length', 'Transfer-Encoding', 'X-Junk');

describe('HTTP fuzzing', () => {
  it('5,000 raw requests: every one answered or closed, the token never needed from a cookie, the server stays up', async () => {
    const statuses = new Map<string, number>();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        method,
        target,
        fc.boolean(),
        fc.array(fc.tuple(headerName, headerValue), { maxLength: 6 }),
        fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/2', 'HTTP/9.9', ''),
        async (m, t, goodHost, headers, version) => {
          const lines = [`${m} ${t} ${version}`.trimEnd()];
          if (goodHost) lines.push(`Host: 127.0.0.1:${fx.port}`);
          for (const [k, v] of headers) lines.push(`${k}: ${v.replace(/[\r\n]/g, '')}`);
          const answer = await raw(lines.join('\r\n') + '\r\n\r\n');
          n++;
          const status = /^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1] ?? 'closed';
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          // Only the public page may succeed without a token; the API never (101 needs the token).
          if (status === '101') throw new Error(`upgrade accepted: ${lines.join(' | ')}`);
          if (answer.includes(fx.token)) throw new Error('the token appeared in a response');
          if (n % 250 === 0) expect((await httpGet(`${fx.base}/healthz`, { authorization: `Bearer ${fx.token}` })).status).toBe(200);
        },
      ),
      { numRuns: 5000, seed: 30 },
    );
    expect((await httpGet(`${fx.base}/healthz`, { authorization: `Bearer ${fx.token}` })).status).toBe(200);
    figure('HTTP fuzzing (raw sockets)', { requests: n, ...Object.fromEntries([...statuses].map(([k, v]) => [`status:${k}`, v])) });
  });
});
