/**
 * A worker thread of {@link FastTextPool}: scores chunks of documents with a model whose matrices
 * and word table live in shared memory, posted once when the thread starts. Imports only the
 * scorer and core's error classes, so a thread is ready in milliseconds.
 *
 * @packageDocumentation
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isLiftWingError } from '@liftwing/core/errors';
import { FastTextModel, type SharedFastText } from './model.js';
import type { ChunkAnswer, ChunkTask } from './pool-protocol.js';

const port = parentPort;
if (port === null) throw new Error('This module is the body of a worker thread of FastTextPool');
const model = FastTextModel.fromShared((workerData as { model: SharedFastText }).model);

port.on('message', ({ id, texts, k, threshold, minScore }: ChunkTask) => {
  const counts = new Int32Array(texts.length);
  const labels: number[] = [];
  const probabilities: number[] = [];
  const errors: ChunkAnswer['errors'] = [];
  texts.forEach((text, index) => {
    try {
      const predictions = model.predictIds(text, k, threshold);
      let kept = 0;
      for (let p = 0; p < predictions.length; p += 2) {
        if (!(predictions[p + 1]! >= minScore)) continue;
        labels.push(predictions[p]!);
        probabilities.push(predictions[p + 1]!);
        kept++;
      }
      counts[index] = kept;
    } catch (error) {
      counts[index] = -1;
      errors.push({
        index,
        code: isLiftWingError(error) ? error.code : undefined,
        message: error instanceof Error ? error.message : String(error),
      });
    }
  });
  const answer: ChunkAnswer = {
    id,
    counts,
    labels: Int32Array.from(labels),
    probabilities: Float64Array.from(probabilities),
    errors,
  };
  port.postMessage(answer, [
    answer.counts.buffer as ArrayBuffer,
    answer.labels.buffer as ArrayBuffer,
    answer.probabilities.buffer as ArrayBuffer,
  ]);
});
