/**
 * Calibration: fit the host's cost parameters from a recorded session's measured cycles and counters
 * by least squares (`iocm calibrate`). Only what a real host measures is used (the counters the
 * dynamic-io-manager's vhost exposes, per-core cycles by category):
 * - per virtqueue: host work cycles = batchCycles × batches + per-request × requests + per-byte ×
 *   bytes, with separate per-request / per-byte costs for net and blk queues (batches = polls −
 *   empty polls);
 * - exit cycles summed over cores = per-exit cycles × exits (exitless interrupts excluded: the fit
 *   uses intervals where every interrupt was an exit, i.e. exitlessInterrupts off);
 * - side cores: empty-poll cycles = emptyPollCycles × empty polls.
 * Rows are sums over windows of `window` intervals (a batch taken at an interval's end completes in
 * the next; windows make that edge small). A parameter whose column does not vary independently
 * (e.g. every blk I/O of one size: per-request and per-byte collinear) is reported as not
 * identifiable and left out of the costs block, as is every parameter of a regression with no more
 * rows than parameters (a session too short for it: any values would fit exactly).
 */
import type { HostSnapshot } from '../../shared/snapshot.ts';
import { COST_DEFAULTS, type CostParams } from './defaults.ts';
import { plural } from '../../shared/words.ts';

/** One fitted parameter. */
export interface FittedCost {
  name: keyof CostParams;
  /** Fitted value, or null when not identifiable from this recording. */
  value: number | null;
  /** Why not, when value is null. */
  reason?: string;
}

/** The result of a calibration. */
export interface Calibration {
  fitted: FittedCost[];
  /** A scenario `host.costs` block with every identified parameter. */
  costs: Partial<Record<keyof CostParams, number>>;
  /** Rows used per regression, and its coefficient of determination. */
  fits: { name: string; rows: number; r2: number }[];
}

/** Options of fitCosts. */
export interface CalibrateOptions {
  /** Intervals summed into one row (default 5). */
  window?: number;
  /** exitDirectCycles assumed when splitting the fitted per-exit cost (default COST_DEFAULTS'). */
  exitDirectCycles?: number;
}

/** Solve the least-squares problem min ‖X b − y‖ via normal equations; columns that are all zero or collinear get NaN. */
export function leastSquares(rows: readonly number[][], y: readonly number[]): { b: number[]; r2: number } {
  const k = rows.length > 0 ? rows[0].length : 0;
  // Scale columns so the normal equations are well conditioned.
  const scale = new Array<number>(k).fill(0);
  for (const r of rows) for (let j = 0; j < k; j++) scale[j] = Math.max(scale[j], Math.abs(r[j]));
  const active = scale.map((s) => s > 0);
  const A: number[][] = Array.from({ length: k }, () => new Array<number>(k + 1).fill(0));
  rows.forEach((r, i) => {
    for (let a = 0; a < k; a++) {
      if (!active[a]) continue;
      const xa = r[a] / scale[a];
      for (let c = 0; c < k; c++) if (active[c]) A[a][c] += xa * (r[c] / scale[c]);
      A[a][k] += xa * y[i];
    }
  });
  // Gaussian elimination with partial pivoting; a pivot below tolerance marks a collinear column.
  const b = new Array<number>(k).fill(Number.NaN);
  const piv: number[] = [];
  const idx = [...Array(k).keys()].filter((j) => active[j]);
  const M = idx.map((r) => [...idx.map((c) => A[r][c]), A[r][k]]);
  const n = idx.length;
  const diag = M.map((r, i) => Math.abs(r[i]));
  const tol = 1e-9 * Math.max(1, ...diag);
  const usable = new Array<boolean>(n).fill(true);
  let row = 0;
  for (let col = 0; col < n && row < n; col++) {
    let best = row;
    for (let r = row + 1; r < n; r++) if (Math.abs(M[r][col]) > Math.abs(M[best][col])) best = r;
    if (Math.abs(M[best][col]) < tol) {
      usable[col] = false;
      continue;
    }
    [M[row], M[best]] = [M[best], M[row]];
    for (let r = 0; r < n; r++) {
      if (r === row) continue;
      const f = M[r][col] / M[row][col];
      if (f !== 0) for (let c = col; c <= n; c++) M[r][c] -= f * M[row][c];
    }
    piv.push(col);
    row++;
  }
  piv.forEach((col, r) => {
    if (usable[col]) b[idx[col]] = M[r][n] / M[r][col] / scale[idx[col]];
  });
  // R² over the rows, with unidentified coefficients as 0.
  const mean = y.reduce((a, v) => a + v, 0) / Math.max(1, y.length);
  let ssr = 0;
  let sst = 0;
  rows.forEach((r, i) => {
    let p = 0;
    for (let j = 0; j < k; j++) if (Number.isFinite(b[j])) p += b[j] * r[j];
    ssr += (y[i] - p) ** 2;
    sst += (y[i] - mean) ** 2;
  });
  return { b, r2: sst > 0 ? 1 - ssr / sst : 1 };
}

/** Fit per-request, per-byte, per-batch, per-exit and per-poll costs from a session's snapshots. */
export function fitCosts(snaps: readonly HostSnapshot[], o: CalibrateOptions = {}): Calibration {
  const win = Math.max(1, Math.floor(o.window ?? 5));
  const fitted: FittedCost[] = [];
  const fits: Calibration['fits'] = [];
  // --- per-queue work: [batches, netReq, netBytes, blkReq, blkBytes] → workCycles
  const qRows: number[][] = [];
  const qY: number[] = [];
  const acc = new Map<number, number[]>();
  // --- exits: [exits] → exit cycles; polls: [emptyPolls] → emptyPoll cycles of side cores
  const eRows: number[][] = [];
  const eY: number[] = [];
  const pRows: number[][] = [];
  const pY: number[] = [];
  let eAcc = [0, 0];
  let pAcc = [0, 0];
  let n = 0;
  const flush = (): void => {
    for (const v of acc.values()) {
      if (v[0] + v[1] + v[3] > 0) {
        qRows.push(v.slice(0, 5));
        qY.push(v[5]);
      }
    }
    acc.clear();
    if (eAcc[0] > 0) {
      eRows.push([eAcc[0]]);
      eY.push(eAcc[1]);
    }
    if (pAcc[0] > 0) {
      pRows.push([pAcc[0]]);
      pY.push(pAcc[1]);
    }
    eAcc = [0, 0];
    pAcc = [0, 0];
  };
  for (const s of snaps) {
    const secs = s.intervalMs / 1000;
    for (const q of s.queues) {
      const v = acc.get(q.id) ?? [0, 0, 0, 0, 0, 0];
      v[0] += q.polls - q.emptyPolls;
      if (q.kind === 'net') {
        v[1] += q.requests;
        v[2] += q.bytes;
      } else {
        v[3] += q.requests;
        v[4] += q.bytes;
      }
      v[5] += q.workCycles;
      acc.set(q.id, v);
    }
    let exits = 0;
    let irqs = 0;
    for (const vm of s.vms) {
      exits += vm.exitsPerSec * secs;
      irqs += vm.interruptsPerSec * secs;
    }
    let exitCycles = 0;
    for (const c of s.cores) exitCycles += c.cycles.exit;
    // Only intervals where every interrupt was an exit (no exitless deliveries) say what an exit costs.
    if (exits >= irqs) {
      eAcc[0] += exits;
      eAcc[1] += exitCycles;
    }
    for (const sc of s.sideCores) {
      pAcc[0] += sc.emptyPolls;
      pAcc[1] += sc.emptyPollCycles;
    }
    if (++n % win === 0) flush();
  }
  flush();

  const names: (keyof CostParams)[] = ['batchCycles', 'netRequestCycles', 'netByteCycles', 'blkRequestCycles', 'blkByteCycles'];
  // Each regression needs more rows than it has parameters: with as many, any values fit exactly
  // (R² 1 whatever the costs), so a session of a window or two would "calibrate" from nothing.
  if (qRows.length > names.length) {
    let { b, r2 } = leastSquares(qRows, qY);
    // A column collinear with another (one blk size: per-request and per-byte move together) would let
    // its partner absorb its share (blkRequestCycles = request + size × byte cost), and the written
    // block would then charge that share twice with the model's own per-byte cost. Hold such a
    // parameter at the model's value and fit the others to what is left.
    const held = names.map((_, j) => qRows.some((r) => r[j] > 0) && !Number.isFinite(b[j]));
    if (held.some(Boolean)) {
      const value = (j: number): number => COST_DEFAULTS[names[j]] as number;
      const rows = qRows.map((r) => r.map((x, j) => (held[j] ? 0 : x)));
      const y = qY.map((v, i) => v - names.reduce((acc, _, j) => acc + (held[j] ? value(j) * qRows[i][j] : 0), 0));
      ({ b, r2 } = leastSquares(rows, y));
      names.forEach((_, j) => held[j] && (b[j] = Number.NaN));
    }
    fits.push({ name: 'queue work', rows: qRows.length, r2 });
    names.forEach((name, j) => {
      const used = qRows.some((r) => r[j] > 0);
      if (!used) fitted.push({ name, value: null, reason: 'no such traffic in the recording' });
      else if (held[j]) fitted.push({ name, value: null, reason: `collinear with another column (e.g. one request size only); held at the model's ${String(COST_DEFAULTS[name])} while fitting the others` });
      else if (!Number.isFinite(b[j])) fitted.push({ name, value: null, reason: 'collinear with another column (e.g. one request size only)' });
      else fitted.push({ name, value: b[j] });
    });
  } else {
    const reason = qRows.length === 0 ? 'no virtqueue traffic in the recording' : `too few rows: ${plural(qRows.length, 'queue-window')} for ${names.length} costs (needs more than ${names.length})`;
    for (const name of names) fitted.push({ name, value: null, reason });
  }
  const fewWindows = (n: number, what: string): string => `too few rows: ${plural(n, 'window')} of ${plural(win, 'interval')} with ${what} (needs 2 or more)`;
  if (eRows.length > 1) {
    const { b, r2 } = leastSquares(eRows, eY);
    fits.push({ name: 'exits', rows: eRows.length, r2 });
    const direct = o.exitDirectCycles ?? COST_DEFAULTS.exitDirectCycles;
    fitted.push({ name: 'exitIndirectCycles', value: Number.isFinite(b[0]) ? Math.max(0, b[0] - direct) : null, reason: Number.isFinite(b[0]) ? undefined : 'no exits' });
  } else {
    fitted.push({ name: 'exitIndirectCycles', value: null, reason: eRows.length === 0 ? 'no intervals with exits' : fewWindows(eRows.length, 'exits') });
  }
  if (pRows.length > 1) {
    const { b, r2 } = leastSquares(pRows, pY);
    fits.push({ name: 'empty polls', rows: pRows.length, r2 });
    fitted.push({ name: 'emptyPollCycles', value: Number.isFinite(b[0]) ? b[0] : null });
  } else {
    fitted.push({ name: 'emptyPollCycles', value: null, reason: pRows.length === 0 ? 'no side-core polls in the recording' : fewWindows(pRows.length, 'side-core polls') });
  }
  const costs: Partial<Record<keyof CostParams, number>> = {};
  for (const f of fitted) if (f.value !== null) costs[f.name] = Math.round(f.value * 1e4) / 1e4;
  return { fitted, costs, fits };
}
