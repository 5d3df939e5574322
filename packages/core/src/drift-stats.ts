/**
 * How far a sample of a number (a model's feature, or its score) has moved from a reference
 * sample: the population stability index and the two-sample Kolmogorov–Smirnov test, and the
 * rule of thumb that flags them.
 *
 * @packageDocumentation
 */
import { InputError } from './errors.js';

/**
 * PSI at or above which a distribution has moved: below 0.1 is no significant change, 0.1 to 0.25
 * a moderate one, 0.25 and above a major one. The rule of thumb of credit scoring, where PSI
 * comes from (N. Siddiqi, *Credit Risk Scorecards*, Wiley 2006, ch. 8; examined by B. Yurdakul,
 * *Statistical Properties of Population Stability Index*, Western Michigan University 2018).
 */
export const PSI_THRESHOLDS = { moderate: 0.1, major: 0.25 } as const;

/** KS p-value below which two samples are said to differ (the usual 5% level). */
export const KS_ALPHA = 0.05;

/** Options of {@link psi}. */
export interface PsiOptions {
  /** Quantile bins of the reference sample. Default 10 (deciles). */
  bins?: number;
  /**
   * The least share a bin counts with, so that an empty bin gives a large but finite term
   * (ln 0 is not). Default 1e-4.
   */
  floor?: number;
}

/** A {@link psi} result, with the bins it was computed from. */
export interface PsiResult {
  value: number;
  /** Inner bin edges: bin i holds `edges[i-1] <= x < edges[i]`. */
  edges: number[];
  reference: number[];
  current: number[];
  /** Share of missing values (NaN) in each sample, a bin of its own when either has any. */
  missing: { reference: number; current: number };
}

/** The q-quantile of sorted values with linear interpolation (numpy's default, "type 7"). */
function quantile(sorted: readonly number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  const fraction = position - below;
  return sorted[below]! + (sorted[above]! - sorted[below]!) * fraction;
}

/** The values that are numbers, and how many were NaN (missing). */
function present(values: readonly number[], name: string) {
  const kept: number[] = [];
  for (const value of values) {
    if (typeof value !== 'number' || value === Number.POSITIVE_INFINITY || value === -Infinity) {
      throw new InputError(`The ${name} sample holds ${String(value)}, not a finite number.`);
    }
    if (!Number.isNaN(value)) kept.push(value);
  }
  if (values.length === 0) {
    throw new InputError(`The ${name} sample is empty; it needs at least one value.`);
  }
  return { kept: kept.sort((a, b) => a - b), missing: values.length - kept.length };
}

/**
 * The population stability index Σ (cᵢ − rᵢ) ln(cᵢ / rᵢ) of the shares of the `current` (c) and
 * `reference` (r) samples in bins cut at the reference's quantiles (deciles by default; equal
 * quantiles merge, so a feature of few values gets a bin per value). NaN values are missing: a bin
 * of their own. Compared with {@link PSI_THRESHOLDS}.
 *
 * @throws {InputError} for an empty sample or an infinite value.
 */
export function psi(
  reference: readonly number[],
  current: readonly number[],
  options: PsiOptions = {},
): PsiResult {
  const bins = options.bins ?? 10;
  const floor = options.floor ?? 1e-4;
  if (!Number.isSafeInteger(bins) || bins < 1) {
    throw new InputError(`PSI needs a whole number of bins, 1 or more; got ${bins}.`);
  }
  const ref = present(reference, 'reference');
  const cur = present(current, 'current');
  const edges: number[] = [];
  if (ref.kept.length > 0) {
    for (let i = 1; i < bins; i++) {
      const edge = quantile(ref.kept, i / bins);
      if (edges.at(-1) !== edge) edges.push(edge);
    }
  }
  const shares = (sorted: readonly number[], total: number) => {
    const counts = new Array<number>(edges.length + 1).fill(0);
    let bin = 0;
    for (const value of sorted) {
      while (bin < edges.length && value >= edges[bin]!) bin++;
      counts[bin]!++;
    }
    return counts.map((count) => count / total);
  };
  const refShares = shares(ref.kept, reference.length);
  const curShares = shares(cur.kept, current.length);
  const missing = {
    reference: ref.missing / reference.length,
    current: cur.missing / current.length,
  };
  const pairs = refShares.map((r, i) => [r, curShares[i]!] as const);
  if (ref.missing > 0 || cur.missing > 0) pairs.push([missing.reference, missing.current]);
  let value = 0;
  for (const [r, c] of pairs) {
    const rf = Math.max(r, floor);
    const cf = Math.max(c, floor);
    value += (cf - rf) * Math.log(cf / rf);
  }
  return { value, edges, reference: refShares, current: curShares, missing };
}

/** A {@link ks2samp} result. */
export interface KsResult {
  /** The largest distance between the two empirical distribution functions. */
  statistic: number;
  /** Two-sided p-value. */
  pValue: number;
  /** How the p-value was computed. */
  method: 'exact' | 'asymptotic';
}

/** Above this many values in a sample the p-value is asymptotic, as scipy's `method="auto"`. */
const MAX_EXACT = 10_000;

/**
 * The probability that the two empirical distribution functions of samples of m and n values
 * from one distribution stay closer than `h / lcm(m, n)` everywhere: lattice paths from (0, 0) to
 * (m, n) with |i·n − j·m| < h·gcd, counted as probabilities (each cell the share of paths to it
 * that stayed inside), so that nothing overflows (J. L. Hodges, *The significance probability of
 * the Smirnov two-sample test*, Arkiv för Matematik 3, 1958).
 */
function insideProbability(m: number, n: number, h: number): number {
  const g = gcd(m, n);
  const mg = m / g;
  const ng = n / g;
  const inside = (i: number, j: number) => Math.abs(i * ng - j * mg) < h;
  // Two columns suffice. Only the cells of the band can be non-zero, and the band only moves up:
  // what an older column left below it is never read again, and nothing above it.
  let column = new Float64Array(n + 1);
  let next = new Float64Array(n + 1);
  for (let j = 0; j <= n && inside(0, j); j++) column[j] = 1;
  for (let i = 1; i <= m; i++) {
    const low = Math.max(0, Math.floor((i * ng - h) / mg));
    const high = Math.min(n, Math.ceil((i * ng + h) / mg));
    next.fill(0, Math.max(0, low - 1), high + 1);
    for (let j = low; j <= high; j++) {
      if (!inside(i, j)) continue;
      const fromLeft = column[j]! * (i / (i + j));
      const fromBelow = j > 0 ? next[j - 1]! * (j / (i + j)) : 0;
      next[j] = fromLeft + fromBelow;
    }
    [column, next] = [next, column];
  }
  return column[n]!;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** The survival function of Kolmogorov's limiting distribution, P(K > x) (scipy's `kstwobign.sf`). */
export function kolmogorovSf(x: number): number {
  if (x <= 0) return 1;
  // For small x the alternating series converges slowly: use its Jacobi theta form.
  if (x < 1) {
    const t = Math.exp((-Math.PI * Math.PI) / (8 * x * x));
    let sum = 0;
    for (let k = 1; k < 40; k += 2) sum += t ** (k * k);
    return 1 - (Math.sqrt(2 * Math.PI) / x) * sum;
  }
  let sum = 0;
  for (let k = 1; k < 100; k++) {
    const term = Math.exp(-2 * k * k * x * x);
    sum += (k % 2 === 1 ? 1 : -1) * term;
    if (term < 1e-17) break;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}

/**
 * The two-sample Kolmogorov–Smirnov test, two-sided, as scipy's `ks_2samp`: the statistic exactly;
 * the p-value exact (Hodges' lattice paths) when neither sample has more than 10,000 values, else
 * from Kolmogorov's limiting distribution at √(mn/(m+n))·D (scipy then uses the finite-n
 * `kstwo`, which differs from it in the third decimal or less at such sizes). NaN values are
 * left out.
 *
 * @throws {InputError} when a sample has no values.
 */
export function ks2samp(reference: readonly number[], current: readonly number[]): KsResult {
  const a = present(reference, 'reference').kept;
  const b = present(current, 'current').kept;
  if (a.length === 0 || b.length === 0) {
    throw new InputError('A Kolmogorov–Smirnov test needs at least one value in each sample.');
  }
  const m = a.length;
  const n = b.length;
  let i = 0;
  let j = 0;
  let statistic = 0;
  while (i < m && j < n) {
    const x = Math.min(a[i]!, b[j]!);
    while (i < m && a[i] === x) i++;
    while (j < n && b[j] === x) j++;
    statistic = Math.max(statistic, Math.abs(i / m - j / n));
  }
  if (Math.max(m, n) <= MAX_EXACT) {
    // As scipy, D is taken on the lattice of 1/lcm(m, n), which it lies on up to rounding.
    const lcm = (m / gcd(m, n)) * n;
    const h = Math.round(statistic * lcm);
    const pValue = h === 0 ? 1 : Math.min(1, Math.max(0, 1 - insideProbability(m, n, h)));
    return { statistic: h / lcm, pValue, method: 'exact' };
  }
  const en = (m * n) / (m + n);
  return { statistic, pValue: kolmogorovSf(Math.sqrt(en) * statistic), method: 'asymptotic' };
}
