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
 * the next; windows make that edge small). Every cost is fitted within its valid range (≥ 0:
 * non-negative least squares, not a clamp afterwards), so no written value is one the model refuses.
 * Columns the recording does not separate (Belsley's condition index of the unit-length columns above
 * COLLINEAR_CONDITION_INDEX: e.g. one request per batch in every row, or every blk I/O of one size)
 * are found before fitting; one parameter of each such dependency is held at its base value (the
 * recorded scenario's, else the model's default) and the others are fitted to what is left, until the
 * rest is well conditioned. On a host that counts no batches (ring polls), the batch column is left
 * out, the per-request costs carry each batch's share, and the block says batchCycles 0 so that a
 * model run with it does not add its own batch cost. Held parameters are named with their partners and left out of the block;
 * each fitted one carries its standard error. A regression with no more rows than parameters is not
 * fitted (a session too short for it: any values would fit exactly).
 */
import type { HostSnapshot } from '../../shared/snapshot.ts';
import { observabilityOf, observe, type Observability } from '../../shared/observe.ts';
import { COST_DEFAULTS, type CostParams } from './defaults.ts';
import { plural } from '../../shared/words.ts';

/** One fitted parameter. */
export interface FittedCost {
  name: keyof CostParams;
  /**
   * Value written to the block, or null when the recording does not determine it. Fitted, except
   * batchCycles 0 on a host that counts no batches (see `reason`): set so that a model run with
   * the block does not charge a batch cost the per-request costs already carry (no `se`).
   */
  value: number | null;
  /** Standard error of the fitted value (null at a bound, or with no value; absent for a value set, not fitted). */
  se?: number | null;
  /** The fit put the value at the bound of its valid range (0): the data pull it below, the range does not allow it. */
  atBound?: boolean;
  /** The value it was held at while the others were fitted (collinear: not determined by this recording). */
  held?: number;
  /** Parameters it is collinear with in this recording, when held. */
  collinearWith?: (keyof CostParams)[];
  /**
   * A fitted value is conditional on the held ones: how much it moves per unit increase of each held
   * parameter's value (only those it depends on). The standard error does not include this.
   */
  perHeld?: Partial<Record<keyof CostParams, number>>;
  /** Why there is no value, or what the value means (held, at a bound). */
  reason?: string;
}

/** The result of a calibration. */
export interface Calibration {
  fitted: FittedCost[];
  /**
   * A scenario `host.costs` block with every fitted parameter (held ones are not fitted and not
   * written), and batchCycles 0 when the host counts no batches and queue-work costs were fitted.
   */
  costs: Partial<Record<keyof CostParams, number>>;
  /**
   * Per regression: rows used, coefficient of determination (with held parameters at their values),
   * and the condition index of the unit-length columns fitted (at most COLLINEAR_CONDITION_INDEX
   * once collinear parameters are held).
   */
  fits: { name: string; rows: number; r2: number; conditionIndex: number }[];
  /** Snapshots read. */
  snapshots: number;
  /**
   * Snapshots in which a queue with traffic was polled by a side core on a host that measures a
   * queue's work only as its notification-driven I/O thread's CPU (a 'qemu' host): those queues give
   * no queue-work row for that interval. Most of a session's snapshots here, not its length, is why
   * such a session has too few rows.
   */
  sidePolledSnapshots: number;
}

/**
 * Below this R² a fit's costs are not trusted: the counts explain less than half of how the measured
 * cycles vary from window to window (at or below 0, no better than a constant), so the cycles may not
 * scale with the counts at all (a fixed cost spread over them), however small the standard error
 * (which measures the slope's precision, not whether the cycles follow it). `iocm calibrate` does not
 * write such a fit's costs without --force (docs/cli.md).
 */
export const MIN_FIT_R2 = 0.5;

/** The costs each regression of {@link fitCosts} determines (by its name in `Calibration.fits`). */
export const FIT_PARAMS: Readonly<Record<string, readonly (keyof CostParams)[]>> = {
  'queue work': ['batchCycles', 'netRequestCycles', 'netByteCycles', 'blkRequestCycles', 'blkByteCycles'],
  exits: ['exitIndirectCycles'],
  'empty polls': ['emptyPollCycles'],
};

/** Options of fitCosts. */
export interface CalibrateOptions {
  /** Intervals summed into one row (default 5). */
  window?: number;
  /** Costs a parameter is held at when the recording does not determine it, and exitDirectCycles for splitting the per-exit cost (default COST_DEFAULTS). */
  base?: CostParams;
  /** Where `base` comes from, for messages (default "the model's default"). */
  baseLabel?: string;
  /**
   * What the recorded host measures (default: everything, a research host's 'full' profile). Only
   * the fields it reports are read; a cost whose counters it lacks is reported as not measured.
   */
  observability?: Observability;
}

/**
 * Condition index above which a regression's columns are taken as collinear: the recording does not
 * determine the parameters involved. Belsley, Kuh & Welsch (Regression Diagnostics, 1980) scale each
 * column to unit length and read the condition indices of that matrix: 5–10 weak dependencies, 30 and
 * above moderate to strong ones. The bound's meaning here: a relative error δ in the counters moves
 * the fitted parameters by up to about κ·δ (relative); the counters' window-edge error (a batch taken
 * at a window's last interval and completed in the next) is of the order of 0.1 % of a window's
 * counts, so κ ≤ 30 keeps that error's effect within about 3 %, under the 5 % the fit is meant to
 * reach. Above it, edge noise alone can move the split between the parameters arbitrarily (κ of 10³
 * and more when one ratio, such as requests per batch, is the same in every row).
 */
export const COLLINEAR_CONDITION_INDEX = 30;

/** Eigen-decomposition of a small symmetric matrix (cyclic Jacobi): values and vectors (columns of `vectors`). */
function symmetricEigen(a: readonly number[][]): { values: number[]; vectors: number[][] } {
  const n = a.length;
  const m = a.map((r) => [...r]);
  const v: number[][] = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += m[i][j] ** 2;
    if (off < 1e-300) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (m[p][q] === 0) continue;
        const theta = (m[q][q] - m[p][p]) / (2 * m[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const kp = m[k][p];
          const kq = m[k][q];
          m[k][p] = c * kp - s * kq;
          m[k][q] = s * kp + c * kq;
        }
        for (let k = 0; k < n; k++) {
          const pk = m[p][k];
          const qk = m[q][k];
          m[p][k] = c * pk - s * qk;
          m[q][k] = s * pk + c * qk;
        }
        for (let k = 0; k < n; k++) {
          const kp = v[k][p];
          const kq = v[k][q];
          v[k][p] = c * kp - s * kq;
          v[k][q] = s * kp + c * kq;
        }
      }
    }
  }
  return { values: m.map((r, i) => r[i]), vectors: v };
}

/** The weakest direction of a design's columns (Belsley's diagnostics on unit-length columns). */
export interface Collinearity {
  /** Largest condition index: √(largest / smallest eigenvalue of the scaled cross-product matrix); Infinity when exactly singular. */
  conditionIndex: number;
  /** Per column (in `cols` order), the share of its coefficient's variance due to the weakest direction. */
  proportions: number[];
}

/** Belsley's condition index and variance-decomposition proportions of columns `cols` of `rows`. */
export function collinearity(rows: readonly number[][], cols: readonly number[]): Collinearity {
  const k = cols.length;
  const norm = cols.map((j) => Math.sqrt(rows.reduce((a, r) => a + r[j] * r[j], 0)));
  const g = cols.map((a, ia) => cols.map((c, ic) => rows.reduce((acc, r) => acc + r[a] * r[c], 0) / (norm[ia] * norm[ic])));
  const { values, vectors } = symmetricEigen(g);
  const max = Math.max(...values);
  let weak = 0;
  for (let i = 1; i < k; i++) if (values[i] < values[weak]) weak = i;
  // An eigenvalue at rounding level (exactly collinear columns) counts as 1e-16 of the largest.
  const floor = max * 1e-16;
  const lam = values.map((l) => Math.max(l, floor));
  const proportions = cols.map((_, j) => {
    const total = lam.reduce((a, l, i) => a + vectors[j][i] ** 2 / l, 0);
    return vectors[j][weak] ** 2 / lam[weak] / total;
  });
  const conditionIndex = values[weak] <= floor ? Number.POSITIVE_INFINITY : Math.sqrt(max / values[weak]);
  return { conditionIndex, proportions };
}

/** Solve a small symmetric positive-definite system (Cholesky); null when not positive definite. */
function solveSpd(a: readonly number[][], b: readonly number[]): number[] | null {
  const n = b.length;
  const l = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i][j];
      for (let k = 0; k < j; k++) s -= l[i][k] * l[j][k];
      if (i === j) {
        if (!(s > 0)) return null;
        l[i][i] = Math.sqrt(s);
      } else l[i][j] = s / l[j][j];
    }
  }
  const z = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i][k] * z[k];
    z[i] = s / l[i][i];
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = z[i];
    for (let k = i + 1; k < n; k++) s -= l[k][i] * x[k];
    x[i] = s / l[i][i];
  }
  return x;
}

/** A non-negative least-squares solution with each positive coefficient's standard error. */
export interface NnlsFit {
  /** Coefficients, each ≥ 0. */
  b: number[];
  /** Standard error of each positive coefficient (from the residual variance, rows − positive coefficients degrees of freedom); null for one at the bound 0 or without degrees of freedom. */
  se: (number | null)[];
  /** Coefficient of determination of the fit (about the mean of y). */
  r2: number;
}

/**
 * min ‖X b − y‖ subject to b ≥ 0 (Lawson & Hanson, Solving Least Squares Problems, 1974, ch. 23:
 * the active-set NNLS algorithm). Columns are scaled to unit length first; an all-zero column gets 0.
 * Meant for designs already checked for collinearity (the passive-set systems are solved by Cholesky
 * on the normal equations, accurate for condition indices far above COLLINEAR_CONDITION_INDEX).
 */
export function nnls(rows: readonly number[][], y: readonly number[]): NnlsFit {
  const k = rows.length > 0 ? rows[0].length : 0;
  const norm = new Array<number>(k).fill(0);
  for (const r of rows) for (let j = 0; j < k; j++) norm[j] += r[j] * r[j];
  for (let j = 0; j < k; j++) norm[j] = Math.sqrt(norm[j]);
  const ynorm = Math.sqrt(y.reduce((a, v) => a + v * v, 0)) || 1;
  const z = rows.map((r) => r.map((x, j) => (norm[j] > 0 ? x / norm[j] : 0)));
  const yy = y.map((v) => v / ynorm);
  const gram = Array.from({ length: k }, (_, a) => Array.from({ length: k }, (_, c) => z.reduce((acc, r) => acc + r[a] * r[c], 0)));
  const zty = Array.from({ length: k }, (_, a) => z.reduce((acc, r, i) => acc + r[a] * yy[i], 0));
  const gradient = (x: number[]): number[] => zty.map((v, a) => v - gram[a].reduce((acc, g, c) => acc + g * x[c], 0));
  const solveOn = (set: number[]): number[] => {
    const s = new Array<number>(k).fill(0);
    const sol = solveSpd(set.map((a) => set.map((c) => gram[a][c])), set.map((a) => zty[a]));
    if (sol) set.forEach((a, i) => (s[a] = sol[i]));
    return s;
  };
  const tol = 1e-12 * Math.max(1, k);
  const x = new Array<number>(k).fill(0);
  const passive = new Set<number>();
  for (let iter = 0; iter < 3 * k + 10; iter++) {
    const w = gradient(x);
    let j = -1;
    for (let a = 0; a < k; a++) if (norm[a] > 0 && !passive.has(a) && w[a] > tol && (j < 0 || w[a] > w[j])) j = a;
    if (j < 0) break;
    passive.add(j);
    for (let inner = 0; inner < 3 * k + 10; inner++) {
      const s = solveOn([...passive]);
      const bad = [...passive].filter((a) => s[a] <= 0);
      if (bad.length === 0) {
        for (let a = 0; a < k; a++) x[a] = s[a];
        break;
      }
      let alpha = 1;
      for (const a of bad) alpha = Math.min(alpha, x[a] / (x[a] - s[a]));
      for (let a = 0; a < k; a++) x[a] += alpha * (s[a] - x[a]);
      for (const a of [...passive]) if (x[a] <= tol) {
        passive.delete(a);
        x[a] = 0;
      }
    }
  }
  const b = x.map((v, j) => (norm[j] > 0 && v > 0 ? (v * ynorm) / norm[j] : 0));
  const mean = y.reduce((a, v) => a + v, 0) / Math.max(1, y.length);
  let ssr = 0;
  let sst = 0;
  rows.forEach((r, i) => {
    const p = r.reduce((acc, v, j) => acc + v * b[j], 0);
    ssr += (y[i] - p) ** 2;
    sst += (y[i] - mean) ** 2;
  });
  const pos = [...Array(k).keys()].filter((j) => b[j] > 0);
  const dof = rows.length - pos.length;
  const se: (number | null)[] = new Array<number | null>(k).fill(null);
  if (dof > 0 && pos.length > 0) {
    // cov(b) = s² (XᵀX)⁻¹ over the positive coefficients, in the scaled columns: (ZᵀZ)⁻¹ column by column.
    const s2 = ssr / dof;
    const g = pos.map((a) => pos.map((c) => gram[a][c]));
    pos.forEach((a, i) => {
      const inv = solveSpd(g, pos.map((_, t) => (t === i ? 1 : 0)));
      if (inv) se[a] = Math.sqrt(Math.max(0, s2 * inv[i])) / norm[a];
    });
  }
  return { b, se, r2: sst > 0 ? 1 - ssr / sst : 1 };
}

/**
 * Fit per-request, per-byte, per-batch, per-exit and per-poll costs from a session's snapshots, in
 * seq order. One pass: each snapshot is summed into its window's rows and dropped, so a stream (a
 * history file's `allSnapshots`) is read lazily and memory is bounded by the fit's rows (a window ×
 * queue each), not by the session (a day of a real host at 500 ms is ~170,000 snapshots of ~19 KiB).
 */
export function fitCosts(snaps: Iterable<HostSnapshot>, o: CalibrateOptions = {}): Calibration {
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
  const obs = o.observability ?? observabilityOf('full');
  const f = obs.reports;
  // What this host measures decides what can be fitted (src/shared/observe.ts): a queue's work from
  // its own counter (queueWork) or, while an I/O thread serves it, that thread's CPU (queueThread);
  // batches from the ring polls (queuePolls); exits from per-VM exits and the cores' exit cycles
  // (vmExits, coreSplit); empty polls from the side cores' counts and cycles (sideEmptyPolls, sideWork).
  const batchesSeen = f.queuePolls;
  const exitsSeen = f.vmExits && f.coreSplit;
  const pollsSeen = f.sideEmptyPolls && f.sideWork;
  /** Requests on queues whose work this host does not measure (a 'qemu' host's queues on side cores). */
  let unmeasuredTraffic = false;
  /** Snapshots with such requests on a queue a side core polled (the host measures I/O threads' CPU only). */
  let sidePolled = 0;
  for (const snap of snaps) {
    const s = observe(snap, obs);
    const secs = s.intervalMs / 1000;
    let polledHere = false;
    for (const q of s.queues) {
      const work = q.workCycles ?? q.threadCycles;
      if (work === undefined) {
        if (q.requests > 0) {
          unmeasuredTraffic = true;
          if (f.queueThread && q.owner !== null) polledHere = true;
        }
        continue;
      }
      const v = acc.get(q.id) ?? [0, 0, 0, 0, 0, 0];
      v[0] += batchesSeen ? (q.polls ?? 0) - (q.emptyPolls ?? 0) : 0;
      if (q.kind === 'net') {
        v[1] += q.requests;
        v[2] += q.bytes;
      } else {
        v[3] += q.requests;
        v[4] += q.bytes;
      }
      v[5] += work;
      acc.set(q.id, v);
    }
    if (exitsSeen) {
      let exits = 0;
      let irqs = 0;
      for (const vm of s.vms) {
        exits += (vm.exitsPerSec ?? 0) * secs;
        irqs += (vm.interruptsPerSec ?? 0) * secs;
      }
      let exitCycles = 0;
      for (const c of s.cores) exitCycles += c.cycles.exit ?? 0;
      // Only intervals where every interrupt was an exit (no exitless deliveries) say what an exit costs.
      if (exits >= irqs) {
        eAcc[0] += exits;
        eAcc[1] += exitCycles;
      }
    }
    if (pollsSeen) {
      for (const sc of s.sideCores) {
        pAcc[0] += sc.emptyPolls ?? 0;
        pAcc[1] += sc.emptyPollCycles ?? 0;
      }
    }
    if (polledHere) sidePolled++;
    if (++n % win === 0) flush();
  }
  flush();
  const profile = `${obs.profile === 'ovs' ? 'an' : 'a'} '${obs.profile}' host`;

  const base = o.base ?? COST_DEFAULTS;
  const baseLabel = o.baseLabel ?? "the model's default";
  const names: (keyof CostParams)[] = ['batchCycles', 'netRequestCycles', 'netByteCycles', 'blkRequestCycles', 'blkByteCycles'];
  // Each regression needs more rows than it has parameters: with as many, any values fit exactly
  // (R² 1 whatever the costs), so a session of a window or two would "calibrate" from nothing.
  // Parameters the queue-work fit can have: the batch cost only where batches are counted.
  const nParams = batchesSeen ? names.length : names.length - 1;
  if (qRows.length > nParams) {
    const used = names.map((_, j) => qRows.some((r) => r[j] > 0));
    const { held, partners, conditionIndex } = holdCollinear(qRows, used);
    const value = (j: number): number => base[names[j]] as number;
    const free = names.map((_, j) => used[j] && !held.has(j));
    const rows = qRows.map((r) => r.map((x, j) => (free[j] ? x : 0)));
    const y = qY.map((v, i) => v - names.reduce((acc, _, j) => acc + (held.has(j) ? value(j) * qRows[i][j] : 0), 0));
    const { b, se, r2 } = nnls(rows, y);
    fits.push({ name: 'queue work', rows: qRows.length, r2, conditionIndex });
    // d(fitted)/d(held): regress each held column on the fitted (positive) columns; the fit moves by minus those coefficients.
    const pos = names.map((_, j) => j).filter((j) => free[j] && b[j] > 0);
    const perHeld = new Map<number, Partial<Record<keyof CostParams, number>>>();
    for (const h of [...held.keys()].sort((a, c) => a - c)) {
      const c = leastSquaresOn(qRows, qRows.map((r) => r[h]), pos);
      pos.forEach((j, i) => {
        const slope = -c[i];
        if (Math.abs(slope * value(h)) > 1e-6 * b[j]) perHeld.set(j, { ...perHeld.get(j), [names[h]]: slope });
      });
    }
    names.forEach((name, j) => {
      // Without batch counts the batch column is not in the fit: what each batch cost lands in the
      // fitted per-request (and per-byte) costs. The block says batchCycles 0, or a model run with it
      // (simulate/whatif --costs) adds its own batch cost on top and charges every batch twice.
      if (j === 0 && !batchesSeen) fitted.push({ name, value: 0, reason: `not measured: ${profile} reports no ring polls per queue, so batches are not counted (a research host's 'full' profile does); written as 0: the batch cost is carried by the fitted per-request costs (each batch's cost spread over its requests; over its bytes where a per-request cost is held), and a model run with this block must not charge it again` });
      else if (!used[j]) fitted.push({ name, value: null, reason: 'no such traffic in the recording' });
      else if (held.has(j)) {
        const with_ = partners.get(j) ?? [];
        fitted.push({
          name, value: null, held: value(j), collinearWith: with_.map((p) => names[p]),
          reason: `not identifiable: ${collinearWhy(qRows, j, with_, names, held.get(j) ?? Number.POSITIVE_INFINITY)}; held at ${baseLabel} ${fmt(value(j))} while fitting the others`,
        });
      } else {
        const f = bounded(name, b[j], se[j]);
        const d = perHeld.get(j);
        // Without batch counts, a per-request cost carries its share of the per-batch cost.
        const note = !batchesSeen && (name === 'netRequestCycles' || name === 'blkRequestCycles') && f.reason === undefined ? { reason: 'includes the per-batch cost spread over the requests of a batch (batches are not measured on this host)' } : {};
        fitted.push({ ...f, ...(d ? { perHeld: d } : {}), ...note });
      }
    });
  } else {
    const reason =
      qRows.length === 0
        ? unmeasuredTraffic
          ? f.queueThread
            ? `not measured: ${profile} reports a queue's work only as its I/O thread's CPU while no side core polls it, and every queue with traffic was on a side core`
            : `not measured: ${profile} reports no per-queue work or I/O-thread cycles`
          : 'no virtqueue traffic in the recording'
        : `too few rows: ${plural(qRows.length, 'queue-window')} for ${nParams} costs (needs more than ${nParams})${
            sidePolled > 0 ? `; ${profile} measures a queue's work only while an I/O thread serves it, and queues with traffic were polled by side cores in ${sidePolled} of ${plural(n, 'snapshot')}` : ''
          }`;
    for (const name of names) fitted.push({ name, value: null, reason });
  }
  const fewWindows = (n: number, what: string): string => `too few rows: ${plural(n, 'window')} of ${plural(win, 'interval')} with ${what} (needs 2 or more)`;
  if (eRows.length > 1) {
    // Only the total per exit is identifiable: fit the indirect part over the base's direct part, ≥ 0.
    const direct = base.exitDirectCycles;
    const { b, se, r2 } = nnls(eRows, eY.map((v, i) => v - direct * eRows[i][0]));
    fits.push({ name: 'exits', rows: eRows.length, r2, conditionIndex: 1 });
    fitted.push(bounded('exitIndirectCycles', b[0], se[0]));
  } else {
    fitted.push({ name: 'exitIndirectCycles', value: null, reason: !exitsSeen ? `not measured: ${profile} reports no per-VM exits and no exit cycles per core (a research host's 'full' profile does)` : eRows.length === 0 ? 'no intervals with exits' : fewWindows(eRows.length, 'exits') });
  }
  if (pRows.length > 1) {
    const { b, se, r2 } = nnls(pRows, pY);
    fits.push({ name: 'empty polls', rows: pRows.length, r2, conditionIndex: 1 });
    // The model needs an empty poll to cost something (> 0): a fit at 0 is not written.
    if (b[0] > 0) fitted.push({ name: 'emptyPollCycles', value: b[0], se: se[0] });
    else fitted.push({ name: 'emptyPollCycles', value: null, atBound: true, reason: 'the fit is at 0 and the model needs a cost > 0: not determined by this recording' });
  } else {
    fitted.push({ name: 'emptyPollCycles', value: null, reason: !pollsSeen ? `not measured: ${profile} reports no empty polls per side core with their cycles (a research host's 'full' profile does)` : pRows.length === 0 ? 'no side-core polls in the recording' : fewWindows(pRows.length, 'side-core polls') });
  }
  const costs: Partial<Record<keyof CostParams, number>> = {};
  for (const f of fitted) if (f.value !== null) costs[f.name] = Math.round(f.value * 1e4) / 1e4;
  return { fitted, costs, fits, snapshots: n, sidePolledSnapshots: sidePolled };
}

/** Unconstrained least-squares coefficients of y on columns `cols` of rows (scaled normal equations; 0s when singular). */
function leastSquaresOn(rows: readonly number[][], y: readonly number[], cols: readonly number[]): number[] {
  const norm = cols.map((j) => Math.sqrt(rows.reduce((a, r) => a + r[j] * r[j], 0)) || 1);
  const g = cols.map((a, ia) => cols.map((c, ic) => rows.reduce((acc, r) => acc + r[a] * r[c], 0) / (norm[ia] * norm[ic])));
  const t = cols.map((a, ia) => rows.reduce((acc, r, i) => acc + (r[a] * y[i]) / norm[ia], 0));
  const x = solveSpd(g, t);
  return cols.map((_, i) => (x ? x[i] / norm[i] : 0));
}

/** A number for messages: up to 4 decimals, no trailing zeros. */
function fmt(v: number): string {
  return String(Math.round(v * 1e4) / 1e4);
}

/** A fitted parameter from a non-negative fit: at the bound 0 it is said so (and has no standard error). */
function bounded(name: keyof CostParams, b: number, se: number | null): FittedCost {
  if (b > 0) return { name, value: b, se };
  return { name, value: 0, se: null, atBound: true, reason: 'at the lower bound 0: the recording pulls this cost below 0, which no host has' };
}

/**
 * Which used columns to hold so that the rest is well conditioned: while the free columns' largest
 * condition index exceeds COLLINEAR_CONDITION_INDEX, hold the free column with the largest share of
 * its variance in the weakest direction (Belsley's variance-decomposition proportion). On a tie (to
 * 1e-6: exactly collinear columns share it equally) the later column in [batch, net request, net
 * byte, blk request, blk byte] is held: a per-byte cost refines a per-request one, which refines the
 * per-batch one, so the finer split is given up first. Returns each held column's partners (the
 * other free columns with a proportion above 0.5 in that direction, else the next largest) and the
 * condition index it was found at, and the free columns' final condition index.
 */
function holdCollinear(rows: readonly number[][], used: readonly boolean[]): { held: Map<number, number>; partners: Map<number, number[]>; conditionIndex: number } {
  const held = new Map<number, number>();
  const partners = new Map<number, number[]>();
  for (;;) {
    const free = used.map((u, j) => (u && !held.has(j) ? j : -1)).filter((j) => j >= 0);
    if (free.length === 0) return { held, partners, conditionIndex: 1 };
    const c = collinearity(rows, free);
    if (free.length === 1 || c.conditionIndex <= COLLINEAR_CONDITION_INDEX) return { held, partners, conditionIndex: c.conditionIndex };
    let top = 0;
    for (let i = 1; i < free.length; i++) if (c.proportions[i] >= c.proportions[top] - 1e-6) top = i;
    const order = free.map((j, i) => ({ j, p: c.proportions[i] })).filter((e) => e.j !== free[top]).sort((a, b) => b.p - a.p);
    const with_ = order.filter((e) => e.p > 0.5).map((e) => e.j);
    partners.set(free[top], with_.length > 0 ? with_ : order.slice(0, 1).map((e) => e.j));
    held.set(free[top], c.conditionIndex);
    // Partners are reported in column order.
    partners.get(free[top])!.sort((a, b) => a - b);
  }
}

/** What the held column j and its partners did in this recording: the ratios between them, row by row. */
function collinearWhy(rows: readonly number[][], j: number, with_: readonly number[], names: readonly (keyof CostParams)[], index: number): string {
  const label: Record<string, string> = {
    'netRequestCycles/batchCycles': 'net requests per batch', 'blkRequestCycles/batchCycles': 'blk requests per batch',
    'netByteCycles/netRequestCycles': 'bytes per net request', 'blkByteCycles/blkRequestCycles': 'bytes per blk request',
    'netByteCycles/batchCycles': 'net bytes per batch', 'blkByteCycles/batchCycles': 'blk bytes per batch',
  };
  const ratios = with_.map((p) => {
    const [num, den] = p > j ? [p, j] : [j, p];
    const rs = rows.filter((r) => r[den] > 0 && r[num] > 0).map((r) => r[num] / r[den]);
    if (rs.length === 0) return `${names[num]} and ${names[den]} never in one row`;
    const lo = Math.min(...rs);
    const hi = Math.max(...rs);
    const what = label[`${names[num]}/${names[den]}`] ?? `${names[num]} / ${names[den]} column ratio`;
    const r = (v: number): string => (v >= 100 ? String(Math.round(v)) : v.toFixed(2));
    return hi - lo <= 0.01 * hi ? `${what} was constant at ${r((lo + hi) / 2)}` : `${what} ${r(lo)}–${r(hi)}`;
  });
  // Ratios that vary but still leave the columns collinear: each traffic mix (a VM kind) keeps its own ratios, and there are too few mixes.
  if (ratios.some((t) => !t.includes('constant'))) ratios.push('too few distinct traffic mixes to separate them');
  const who = [names[j], ...with_.map((p) => names[p])];
  const list = who.length === 2 ? who.join(' and ') : `${who.slice(0, -1).join(', ')} and ${who[who.length - 1]}`;
  const ci = Number.isFinite(index) ? `condition index ${index >= 1000 ? index.toExponential(1) : index.toFixed(0)} > ${COLLINEAR_CONDITION_INDEX}` : 'exactly';
  return `${list} are collinear in this session (${ci}: ${ratios.join(', ')})`;
}
