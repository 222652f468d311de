/**
 * The console's Content-Security-Policy, shared by the Electron shell (response
 * header on the app:// protocol) and the headless server (HTTP header).
 * The renderer's index.html should carry the same policy in a meta tag
 * (without `frame-ancestors`, which meta tags ignore).
 */

/**
 * Build the CSP. `connect` lists extra connect-src sources (the headless server adds
 * its own ws:// origin; Chromium's 'self' does not cover ws: on all versions).
 * Styles allow 'unsafe-inline' because Vue style bindings and ECharts set inline styles;
 * scripts never do.
 */
export function contentSecurityPolicy(connect: string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    ["connect-src 'self'", ...connect].join(' '),
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "worker-src 'self' blob:",
  ].join('; ');
}
