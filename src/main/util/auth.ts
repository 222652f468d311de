/**
 * Bearer-token checks shared by the two servers that take a token: the headless console
 * (src/main/server) and the agent (src/agent).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * Constant-time token comparison: both sides are hashed to the same length first, so neither the
 * content nor the length of the expected token shows in the time taken.
 */
export function tokenMatches(presented: string | null, expected: string): boolean {
  if (presented === null) return false;
  return timingSafeEqual(digest(presented), digest(expected));
}

/**
 * The token of an `Authorization: Bearer <token>` header value, or null when the header is
 * missing, has another scheme, or holds a token with white space or longer than `maxLength`.
 * The scheme is matched in any case and may be followed by several spaces: RFC 7235 makes auth
 * schemes case-insensitive (`bearer x` is the same credential) and separates them by 1*SP.
 * The token itself is compared exactly.
 */
export function bearerToken(authorization: unknown, maxLength: number): string | null {
  if (typeof authorization !== 'string') return null;
  const m = new RegExp(`^bearer +([^\\s]{1,${maxLength}})$`, 'i').exec(authorization);
  return m ? m[1] : null;
}
