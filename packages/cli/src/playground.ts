/**
 * The playground of `liftwing serve`: a page at `/` for a person with a browser (choose a model,
 * fill in a form made from its request schema, see the Lift Wing answer, a picture of it, and the
 * equivalent curl and library call). The page is static files shipped in this package
 * (`playground/`), read once and served as they are: nothing is built at run time. Everything it
 * knows of a model comes from the model's definition (`/playground/models.json`); it calls the
 * server's own `/v1/models/{name}:predict`.
 *
 * @packageDocumentation
 */
import { readFile } from 'node:fs/promises';
import type { Mode, ModelDefinition, RequestSchema } from '@liftwing/core';

/** The folder of the page's files: `playground/` beside `dist/`. */
const PLAYGROUND_DIR = new URL('../playground/', import.meta.url);

/** The page's files by the path they are served at, with their content types. */
const FILES: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/playground/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/playground/pictures.js': { file: 'pictures.js', type: 'text/javascript; charset=utf-8' },
  '/playground/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

/** What the page is told of one served model: its definition's data, and how it is served. */
export interface PlaygroundModel {
  name: string;
  alias: string;
  package: string;
  description: string;
  /** The mode this server runs it in. */
  mode: Mode;
  /** Whether its package exports `definitions` (a family of models) rather than `definition`. */
  family: boolean;
  request: RequestSchema;
}

/** A model the server runs, with its definition when the CLI has one. */
export interface PlaygroundSource {
  definition: ModelDefinition;
  mode: Mode;
  family: boolean;
}

/** The page's `models.json`: the definitions of the models served, in the order served. */
export function playgroundModels(sources: readonly PlaygroundSource[]): PlaygroundModel[] {
  return sources.map(({ definition, mode, family }) => ({
    name: definition.name,
    alias: definition.alias,
    package: definition.package,
    description: definition.description,
    mode,
    family,
    request: definition.request,
  }));
}

/** A file of the page, ready to send. */
export interface PlaygroundFile {
  content: string;
  type: string;
}

/** The page's files, read from disk once per server. */
export class Playground {
  readonly models: readonly PlaygroundModel[];
  readonly #files = new Map<string, Promise<PlaygroundFile>>();

  constructor(models: readonly PlaygroundModel[]) {
    this.models = models;
  }

  /** Whether `path` is one of the page's files (or its models). */
  serves(path: string): boolean {
    return Object.hasOwn(FILES, path) || path === '/playground/models.json';
  }

  /** The file at `path`; see {@link serves}. */
  file(path: string): Promise<PlaygroundFile> {
    if (path === '/playground/models.json') {
      return Promise.resolve({
        content: JSON.stringify({ models: this.models }),
        type: 'application/json',
      });
    }
    let file = this.#files.get(path);
    if (file === undefined) {
      const { file: name, type } = FILES[path]!;
      file = readFile(new URL(name, PLAYGROUND_DIR), 'utf8').then((content) => ({
        content,
        type,
      }));
      // A failed read is tried again by the next request rather than remembered.
      file.catch(() => this.#files.delete(path));
      this.#files.set(path, file);
    }
    return file;
  }
}

/**
 * Whether a `GET /` is a browser's, which gets the page: it accepts `text/html`. A probe or a
 * client of the KServe protocol (no such `Accept`) gets `{"status": "alive"}` as before.
 */
export function wantsPage(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((type) => type.trim().split(';')[0] === 'text/html');
}
