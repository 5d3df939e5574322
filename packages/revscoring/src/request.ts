/**
 * The request contract of Lift Wing's revscoring models: the checks of the model server, with its
 * own messages, made before anything is sent.
 *
 * Source: wikimedia/machinelearning-liftwing-inference-services,
 * `revscoring_model/model_servers/model_servers.py` (`preprocess`, `get_rev_id`) and
 * `extractor_utils.py` (the MediaWiki lookup). The server raises KServe's `InvalidInput`, which
 * KServe answers as HTTP 400 `{"error": message}`.
 *
 * @packageDocumentation
 */
import { InputError } from '@liftwing/core';
import { isJsonObject } from '@liftwing/core/model-kit';

/** A revision-create or page-change event (`$schema` `/mediawiki/revision/create/1|2`, `/mediawiki/page/change/1`). */
export type RevisionEvent = Record<string, unknown>;

/** One request: a revision id (or, as changeprop sends it, an event naming one). */
export interface RevscoringRequest {
  /** The revision to score. */
  rev_id: number;
  /** Whether to add the feature values the model used (`features` in the score). Default false. */
  extended_output?: boolean;
  /**
   * An event whose revision is scored instead of `rev_id` (the server then sends a score event
   * to EventGate; a public caller has no reason to send one).
   */
  event?: RevisionEvent;
}

/** The server's message when it finds no revision id (`get_rev_id`). */
export const MISSING_REV_ID = 'Expected "rev_id" in input data.';
/** The server's message for a revision id that is not an integer (`get_rev_id`). */
export const REV_ID_NOT_INTEGER = 'Expected "rev_id" to be an integer.';

/**
 * The server's 400 when the MediaWiki API knows no such revision (`badrevids`; a deleted page's
 * revisions included), from `extractor_utils.get_revscoring_extractor_cache`.
 */
export function revisionNotFoundMessage(revId: number): string {
  return (
    'The MW API does not have any info related to the rev-id ' +
    `provided as input (${revId}), therefore it is not possible to ` +
    'extract features properly. One possible cause is the deletion ' +
    'of the page related to the revision id. ' +
    'Please contact the ML-Team if you need more info.'
  );
}

const REVISION_NOT_FOUND =
  /^The MW API does not have any info related to the rev-id provided as input \((-?\d+)\)/;

/** The revision id of a {@link revisionNotFoundMessage}, or undefined for any other message. */
export function parseRevisionNotFound(message: string): number | undefined {
  const match = REVISION_NOT_FOUND.exec(message);
  return match === null ? undefined : Number(match[1]);
}

const EVENT_SCHEMAS = ['/mediawiki/revision/create/1', '/mediawiki/revision/create/2'];
const PAGE_CHANGE_SCHEMA = '/mediawiki/page/change/1';

/** The revision id an event names, as `get_rev_id` reads it. */
function revIdOfEvent(event: unknown): unknown {
  // A non-object event or a non-string $schema crashes the server (500); these 400s are
  // liftwing's own.
  if (!isJsonObject(event)) {
    throw new InputError(
      `"event" must be a revision-create or page-change event object; got ${JSON.stringify(event)}.`,
    );
  }
  const schema = event.$schema;
  if (schema === undefined) throw new InputError(MISSING_REV_ID);
  if (typeof schema !== 'string') {
    throw new InputError(`"event.$schema" must be a string; got ${JSON.stringify(schema)}.`);
  }
  if (EVENT_SCHEMAS.some((prefix) => schema.startsWith(prefix))) {
    if (!('rev_id' in event)) throw new InputError(MISSING_REV_ID);
    return event.rev_id;
  }
  if (schema.startsWith(PAGE_CHANGE_SCHEMA)) {
    const revision = event.revision;
    if (!isJsonObject(revision) || !('rev_id' in revision)) throw new InputError(MISSING_REV_ID);
    return revision.rev_id;
  }
  throw new InputError(
    `Unsupported event of schema ${schema}, the rev_id value cannot be determined.`,
  );
}

/**
 * Checks a request as the revscoring server does, in its order, and returns it.
 *
 * @throws {@link InputError} (400, body key `error`) with the server's message.
 */
export function validateRevscoringRequest(body: unknown): RevscoringRequest {
  // A body that is not an object crashes the server (500, a Python TypeError); this 400 is ours.
  if (!isJsonObject(body)) {
    throw new InputError(
      `A revscoring request is a JSON object such as {"rev_id": 12345}; got ${JSON.stringify(body)}.`,
    );
  }
  const revId = 'event' in body ? revIdOfEvent(body.event) : body.rev_id;
  if (revId === undefined) throw new InputError(MISSING_REV_ID);
  // Python's isinstance(True, int) lets a boolean through to the MediaWiki lookup; a JSON number
  // beyond 2^53 has lost its digits here. Both are refused with the server's message instead.
  if (typeof revId !== 'number' || !Number.isSafeInteger(revId)) {
    throw new InputError(REV_ID_NOT_INTEGER);
  }
  // MediaWiki has no revision 0 or below: the server would answer its `badrevids` 400 after a
  // MediaWiki request. It is answered here, with the same message, without one.
  if (revId <= 0) throw new InputError(revisionNotFoundMessage(revId));
  return body as unknown as RevscoringRequest;
}
