/**
 * `#file` in a browser: there is no file to read, so `FastTextModel.load` says what to do
 * instead. See `file.ts`.
 *
 * @packageDocumentation
 */
import { ConfigError } from '@liftwing/core/errors';
import type { FastTextData } from './reader.js';

/** Refuses: a page has no file system. */
export async function readFastTextFile(path: string): Promise<FastTextData> {
  throw new ConfigError(
    `Reading the fastText model file ${path} needs Node.js. In a browser, fetch the model's bytes and use FastTextModel.fromBytes(new Uint8Array(await response.arrayBuffer())).`,
  );
}
