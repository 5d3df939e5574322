/** The messages between {@link FastTextPool} and its worker threads. */

/**
 * A chunk of documents to score, as `predict(text, k, threshold)` would, keeping of each result
 * the predictions with a probability of at least `minScore`.
 */
export interface ChunkTask {
  id: number;
  texts: readonly string[];
  k: number;
  threshold: number;
  minScore: number;
}

/**
 * The predictions of a chunk, packed in transferable arrays: document `i` has `counts[i]`
 * predictions (-1 when it failed, with its entry in `errors`), taken in order from `labels`
 * (label indices) and `probabilities`.
 */
export interface ChunkAnswer {
  id: number;
  counts: Int32Array;
  labels: Int32Array;
  probabilities: Float64Array;
  errors: { index: number; code: string | undefined; message: string }[];
}
