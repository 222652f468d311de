/**
 * The WebSocket wire format of IocmApi (headless mode). JSON text frames:
 *
 *   client → server  { "id": 7, "method": "pinCore", "args": { "core": 3 } }
 *   server → client  { "id": 7, "result": { "ok": true, "value": … } }          reply to a request
 *                    { "id": null, "result": { "ok": false, "error": … } }     reply to an unreadable message
 *                    { "event": "telemetry", "payload": … }                    event (batched)
 *                    { "hello": { "protocol": 1, "methods": […], "events": […] } }   on connect
 *
 * The upgrade offers the subprotocols `iocm.v1` and `iocm-token.<token>` (see {@link WS_TOKEN_PREFIX}).
 *
 * Byte arrays (Uint8Array, e.g. exported files) travel as { "$bytes": "<base64>" }.
 * Shared by the server (src/main/server) and the renderer's client (src/renderer/transport): no node
 * or DOM imports (base64 is done by hand).
 */

/** Protocol version announced in the hello message. */
export const WIRE_PROTOCOL = 1;

/** WebSocket subprotocol the client must offer (and the server selects). */
export const WS_SUBPROTOCOL = 'iocm.v1';
/**
 * Prefix of the second subprotocol a client offers: `iocm-token.<token>`. The token travels in
 * the upgrade's Sec-WebSocket-Protocol header, never in a cookie or the URL (docs/security.md).
 */
export const WS_TOKEN_PREFIX = 'iocm-token.';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

/** Base64-encode bytes. */
export function bytesToBase64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + B64[n & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i] << 16;
    out += B64[n >> 18] + B64[(n >> 12) & 63] + '==';
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + '=';
  }
  return out;
}

/** Decode base64; throws on characters outside the alphabet or a bad length. */
export function base64ToBytes(s: string): Uint8Array {
  const clean = s.replace(/=+$/, '');
  if (clean.length % 4 === 1) throw new Error('bad base64 length');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let o = 0;
  let buf = 0;
  let bits = 0;
  for (let i = 0; i < clean.length; i++) {
    const c = clean.charCodeAt(i);
    const v = c < 128 ? B64_INDEX[c] : -1;
    if (v < 0) throw new Error(`bad base64 character at ${i}`);
    buf = (buf << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (buf >> bits) & 255;
    }
  }
  return out;
}

/** JSON.stringify with Uint8Array → { $bytes }. */
export function encodeWire(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (v instanceof Uint8Array ? { $bytes: bytesToBase64(v) } : v));
}

/** JSON.parse with { $bytes } → Uint8Array. Throws SyntaxError on bad JSON or bad base64. */
export function decodeWire(text: string): unknown {
  // Fast path: a reviver makes JSON.parse several times slower, and telemetry (large, 10/s)
  // never carries bytes. Without the key "$bytes" in the text the reviver would change nothing.
  if (!text.includes('"$bytes"')) return JSON.parse(text);
  return JSON.parse(text, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      if (typeof o.$bytes === 'string' && Object.keys(o).length === 1) {
        try {
          return base64ToBytes(o.$bytes);
        } catch (e) {
          throw new SyntaxError(`a $bytes field is not valid base64 (${(e as Error).message})`, { cause: e });
        }
      }
    }
    return v;
  });
}

/** A request from the client. */
export interface WireRequest {
  id: number | string;
  method: string;
  args?: unknown;
}
