/**
 * fastText's product-quantised matrices (`.ftz` models from `fasttext quantize`), scored as
 * fastText 0.9.2's `QuantMatrix` and `ProductQuantizer` do: each row is `nsubq` one-byte codes,
 * one per sub-vector of `dsub` columns (the last one `lastdsub`), each naming one of 256
 * centroids of its sub-quantiser; with `qnorm`, the row was normalised before quantising and
 * its norm is itself a one-byte code into a 256-entry quantiser of dimension 1.
 */

/** Centroids per sub-quantiser (fastText's `ksub_`, 2^8 for one-byte codes). */
export const KSUB = 256;

/** One `ProductQuantizer` as stored: its shape and `dim × 256` float32 centroids. */
export interface ProductQuantizer {
  dim: number;
  nsubq: number;
  dsub: number;
  lastdsub: number;
  centroids: Float32Array;
}

/** One `QuantMatrix` as stored. */
export interface QuantMatrix {
  rows: number;
  cols: number;
  /** `rows × nsubq` codes. */
  codes: Uint8Array;
  pq: ProductQuantizer;
  /** With `qnorm`: one code per row into `pq` (dimension 1) giving the row's norm. */
  norms?: { codes: Uint8Array; pq: ProductQuantizer } | undefined;
}

/** fastText's `get_centroids(m, code)`: where centroid `code` of sub-quantiser `m` starts. */
function centroid(pq: ProductQuantizer, m: number, code: number): number {
  return m === pq.nsubq - 1 ? m * KSUB * pq.dsub + code * pq.lastdsub : (m * KSUB + code) * pq.dsub;
}

/** The row's norm (`npq_->get_centroids(0, norm_codes_[i])[0]`), 1 without `qnorm`. */
function norm(q: QuantMatrix, row: number): number {
  return q.norms === undefined ? 1 : q.norms.pq.centroids[q.norms.codes[row]!]!;
}

/**
 * `QuantMatrix::addRowToVector(x, i)`: `x[j] += norm * c[j]` over the row's centroids, each
 * product and sum rounded to float32 as fastText's float arithmetic does.
 */
export function addQuantRow(q: QuantMatrix, row: number, x: Float32Array): void {
  const { pq, codes } = q;
  const { nsubq, dsub, centroids } = pq;
  const alpha = norm(q, row);
  const at = nsubq * row;
  let d = dsub;
  for (let m = 0; m < nsubq; m++) {
    const c = centroid(pq, m, codes[at + m]!);
    if (m === nsubq - 1) d = pq.lastdsub;
    const base = m * dsub;
    for (let n = 0; n < d; n++) x[base + n]! += Math.fround(alpha * centroids[c + n]!);
  }
}

/**
 * `QuantMatrix::dotRow(x, i)`: the float32 dot product of `x` with the row's centroids, times
 * the row's norm (`ProductQuantizer::mulcode`).
 */
export function dotQuantRow(q: QuantMatrix, row: number, x: Float32Array): number {
  const { pq, codes } = q;
  const { nsubq, dsub, centroids } = pq;
  const at = nsubq * row;
  let res = 0;
  let d = dsub;
  for (let m = 0; m < nsubq; m++) {
    const c = centroid(pq, m, codes[at + m]!);
    if (m === nsubq - 1) d = pq.lastdsub;
    const base = m * dsub;
    for (let n = 0; n < d; n++)
      res = Math.fround(res + Math.fround(x[base + n]! * centroids[c + n]!));
  }
  return Math.fround(res * norm(q, row));
}
