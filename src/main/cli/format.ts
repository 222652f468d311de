/**
 * Output helpers for `iocm` commands: aligned text tables, compact number
 * formatting, rounding for JSON output, and a stderr progress bar.
 */

/**
 * Render rows as an aligned table; the first row is the header. Columns listed
 * in `left` (default: column 0) are left-aligned, the others right-aligned.
 */
export function table(rows: string[][], options: { left?: number[] } = {}): string {
  const left = new Set(options.left ?? [0]);
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, [...c].length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => {
        const pad = widths[i] - [...c].length;
        return left.has(i) ? c + ' '.repeat(pad) : ' '.repeat(pad) + c;
      })
      .join('  ')
      .trimEnd();
  const out = [line(rows[0]), widths.map((w) => '─'.repeat(w)).join('  ')];
  for (const r of rows.slice(1)) out.push(line(r));
  return out.join('\n') + '\n';
}

/** 1234567 → "1.23 M", 12345 → "12.3 K", 12.345 → "12.3". */
export function compact(x: number): string {
  const a = Math.abs(x);
  if (a >= 1e9) return (x / 1e9).toFixed(a >= 1e11 ? 0 : a >= 1e10 ? 1 : 2) + ' G';
  if (a >= 1e6) return (x / 1e6).toFixed(a >= 1e8 ? 0 : a >= 1e7 ? 1 : 2) + ' M';
  if (a >= 1e4) return (x / 1e3).toFixed(a >= 1e5 ? 0 : 1) + ' K';
  return fixed(x);
}

/** A number with about 4 significant digits, no exponent, no trailing zeros ("0", "0.123", "12.35", "1234"). */
export function fixed(x: number): string {
  const a = Math.abs(x);
  if (a === 0 || !Number.isFinite(x)) return String(x === 0 ? 0 : x);
  let s: string;
  if (a >= 1000) s = x.toFixed(0);
  else if (a >= 100) s = x.toFixed(1);
  else if (a >= 10) s = x.toFixed(2);
  else s = x.toFixed(3);
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s === '-0' ? '0' : s;
}

/** Round to `digits` decimals (for stable, readable JSON); -0 becomes 0. */
export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  const r = Math.round(x * f) / f;
  return r === 0 ? 0 : r;
}

/** Deep-copy a JSON-like value with every number rounded. */
export function roundDeep<T>(v: T, digits = 3): T {
  if (typeof v === 'number') return round(v, digits) as T;
  if (Array.isArray(v)) return v.map((x) => roundDeep(x, digits)) as T;
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = roundDeep(x, digits);
    return out as T;
  }
  return v;
}

/** A progress bar on a stream: redraws in place on a TTY, prints sparse lines otherwise. */
export class ProgressBar {
  private lastPct = -1;
  private lastLinePct = -10;

  constructor(
    private readonly stream: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly label: string,
    private readonly width = 30,
  ) {}

  /** Report progress (`done` of `total`); `suffix` is appended (e.g. simulated seconds). */
  update(done: number, total: number, suffix = ''): void {
    const pct = total > 0 ? Math.floor((100 * done) / total) : 100;
    if (pct === this.lastPct) return;
    this.lastPct = pct;
    const filled = Math.round((this.width * pct) / 100);
    const bar = `${this.label} [${'#'.repeat(filled)}${'-'.repeat(this.width - filled)}] ${String(pct).padStart(3)}% ${suffix}`;
    if (this.stream.isTTY) this.stream.write(`\r\x1b[2K${bar}`);
    else if (pct - this.lastLinePct >= 10 || pct === 100) {
      this.lastLinePct = pct;
      this.stream.write(bar + '\n');
    }
  }

  /** Finish: clear the bar line on a TTY. */
  done(): void {
    if (this.stream.isTTY && this.lastPct >= 0) this.stream.write('\r\x1b[2K');
  }
}

/**
 * At most `max` characters of a value the user gave, for an error message: a 5000-character
 * argument is named by its start and its length instead of filling the terminal.
 */
export function clip(s: string, max = 40): string {
  return s.length <= max ? s : `${s.slice(0, max)}… (${s.length} characters)`;
}

/**
 * Text safe for a terminal: control characters (C0 except newline, DEL, C1) are shown as
 * `\u00XX` escapes, so names from recorded or imported files cannot move the cursor, retitle
 * the window or hide text. Keeps JSON valid (the escapes only occur inside JSON strings).
 */
export function printable(s: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return s.replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
