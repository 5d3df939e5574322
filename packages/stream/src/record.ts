/**
 * The JSON line of a scored event, as every sink writes it.
 *
 * @packageDocumentation
 */
import type { ScoredError, ScoredPrediction } from './scorer.js';

/** A scored event as a sink writes it: its JSON line's object. */
export function outputRecord(item: ScoredPrediction | ScoredError): Record<string, unknown> {
  if ('prediction' in item) {
    return { event: item.event, request: item.request, prediction: item.prediction };
  }
  return {
    ...(item.where === undefined ? {} : item.where),
    ...(item.event === undefined ? {} : { event: item.event }),
    ...(item.request === undefined ? {} : { request: item.request }),
    error: item.error,
    ...(item.code === undefined ? {} : { code: item.code }),
    ...(item.status === undefined ? {} : { status: item.status }),
  };
}
