/**
 * Registry files for the tests: one model with its versions, everything a test does not care
 * about filled in as the schema wants it (`schemaVersion` 1, no model card, no pin, ...).
 */
import { writeFile } from 'node:fs/promises';

/** One artifact of a version; `size` and `sha256` are null (unchecked) unless given. */
export interface TestArtifact {
  /** Default `model.bin`. */
  name?: string;
  /** Relative to the registry's `modelsUrl`. */
  path: string;
  /** Default `file`. */
  format?: string;
  size?: number | null;
  sha256?: string | null;
}

/** One version of the model. */
export interface TestVersion {
  id: string;
  /** Default `production`. */
  status?: string;
  artifacts: TestArtifact[];
}

/** The registry: where its artifacts are, and its one model (by default `tiny`, offline only). */
export interface TestRegistry {
  modelsUrl: string;
  /** Default `tiny-test-model`. */
  name?: string;
  /** Default `tiny`. */
  alias?: string;
  /** Default `@liftwing/tiny`. */
  package?: string;
  /** Default `A test model`. */
  description?: string;
  /** Default `['offline']`. */
  modes?: string[];
  versions: TestVersion[];
}

/** The registry document of `spec`. */
export function registryJson(spec: TestRegistry) {
  return {
    schemaVersion: 1,
    modelsUrl: spec.modelsUrl,
    models: [
      {
        name: spec.name ?? 'tiny-test-model',
        alias: spec.alias ?? 'tiny',
        package: spec.package ?? '@liftwing/tiny',
        description: spec.description ?? 'A test model',
        modes: spec.modes ?? ['offline'],
        request: { fields: {} },
        modelCard: null,
        apiDocs: null,
        versions: spec.versions.map((version) => ({
          id: version.id,
          modelVersion: null,
          status: version.status ?? 'production',
          pin: null,
          artifacts: version.artifacts.map((artifact) => ({
            name: artifact.name ?? 'model.bin',
            path: artifact.path,
            format: artifact.format ?? 'file',
            size: artifact.size ?? null,
            sha256: artifact.sha256 ?? null,
          })),
        })),
      },
    ],
  };
}

/** Writes the registry of `spec` to `file` and returns `file`. */
export async function writeRegistry(file: string, spec: TestRegistry): Promise<string> {
  await writeFile(file, JSON.stringify(registryJson(spec)));
  return file;
}
