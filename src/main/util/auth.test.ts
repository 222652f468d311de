import { describe, expect, it } from 'vitest';
import { bearerToken, tokenMatches } from './auth.ts';

describe('bearer tokens', () => {
  it('matches only the same token, whatever the lengths', () => {
    expect(tokenMatches('s3cret-token', 's3cret-token')).toBe(true);
    expect(tokenMatches('s3cret-toke', 's3cret-token')).toBe(false);
    expect(tokenMatches('s3cret-token-and-more', 's3cret-token')).toBe(false);
    expect(tokenMatches('', 's3cret-token')).toBe(false);
    expect(tokenMatches(null, 's3cret-token')).toBe(false);
  });

  it('reads the token of a Bearer header and nothing else', () => {
    expect(bearerToken('Bearer abc.DEF-123', 512)).toBe('abc.DEF-123');
    // RFC 7235: the scheme in any case, then one or more spaces; the token exactly as given
    expect(bearerToken('bearer abc', 512)).toBe('abc');
    expect(bearerToken('BEARER abc', 512)).toBe('abc');
    expect(bearerToken('BeArEr  AbC', 512)).toBe('AbC');
    expect(bearerToken('Bearerabc', 512)).toBeNull();
    expect(bearerToken('Bearer\tabc', 512)).toBeNull();
    expect(bearerToken('Basic YWxhZGRpbjpvcGVuc2VzYW1l', 512)).toBeNull();
    expect(bearerToken('Bearer two words', 512)).toBeNull();
    expect(bearerToken('Bearer ', 512)).toBeNull();
    expect(bearerToken(`Bearer ${'x'.repeat(513)}`, 512)).toBeNull();
    expect(bearerToken(`Bearer ${'x'.repeat(512)}`, 512)).toBe('x'.repeat(512));
    expect(bearerToken(undefined, 512)).toBeNull();
    expect(bearerToken(['Bearer a'], 512)).toBeNull();
  });
});
