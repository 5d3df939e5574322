/**
 * Writes tools/test/fixtures/registry-sync: small helmfile values files shaped like those of
 * wikimedia/operations-deployment-charts (written here, not copied), for the sync's tests.
 *
 * - `charts/`: outlink moves to a new production version (20250101000000) and stages another
 *   (20250202000000), with `base_env` as a list of {name, value}; revertrisk stays where it is,
 *   with `inference_services` as a dict in production and a list of {name: ...} in staging.
 * - `charts-bad/`: revertrisk's production `custom_env` is a number.
 *
 * Run: pnpm exec tsx tools/registry-sync/make-fixtures.ts
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'test',
  'fixtures',
  'registry-sync',
);

const outlink = (
  version: string,
  image: string,
) => `# Fixture shaped like articletopic-outlink values.
docker:
  registry: docker-registry.example/wikimedia

inference:
  predictor:
    image: "machinelearning-liftwing-inference-services-outlink"
    version: "${image}"
    base_env:
      - name: STORAGE_URI
        value: "s3://wmf-ml-models/articletopic/outlink/${version}/"
      - name: MODEL_VERSION
        value: "alloutlinks_${version.slice(0, 6)}"
      - name: WIKI_URL
        value: "http://mw-api.example"

inference_services:
  outlink-topic-model:
    predictor:
      config:
        minReplicas: 1
`;

const revertriskEnv = (indent: string, version: string) =>
  [
    'custom_env:',
    '  - name: MODEL_NAME',
    '    value: "revertrisk-language-agnostic"',
    '  - name: STORAGE_URI',
    `    value: "s3://wmf-ml-models/revertrisk/language-agnostic/${version}/"`,
  ]
    .map((line) => `${indent}${line}`)
    .join('\n');

const revertriskProduction = (env: string) => `# Fixture shaped like revertrisk values.yaml.
inference_services:
  revertrisk-language-agnostic:
    annotations:
      autoscaling.knative.dev/target: "15"
    predictor:
      image: "machinelearning-liftwing-inference-services-revertrisk"
${env}
  revertrisk-multilingual:
    predictor:
      custom_env:
        - name: STORAGE_URI
          value: "s3://wmf-ml-models/revertrisk/multilingual/20230810110019/"
`;

const revertriskStaging = `# Fixture shaped like revertrisk values-ml-staging-codfw.yaml.
inference_services:
  - name: revertrisk-language-agnostic
    predictor:
      image: "machinelearning-liftwing-inference-services-revertrisk"
${revertriskEnv('      ', '20231117132654')}
  - name: revertrisk-multilingual
    predictor:
      custom_env:
        - name: STORAGE_URI
          value: "s3://wmf-ml-models/revertrisk/multilingual/20230810110019/"
`;

const FILES: Record<string, string> = {
  'charts/helmfile.d/ml-services/articletopic-outlink/values.yaml': outlink(
    '20250101000000',
    '2025-01-01-000000-publish',
  ),
  'charts/helmfile.d/ml-services/articletopic-outlink/values-ml-staging-codfw.yaml': outlink(
    '20250202000000',
    '2025-02-02-000000-publish',
  ),
  'charts/helmfile.d/ml-services/revertrisk/values.yaml': revertriskProduction(
    revertriskEnv('      ', '20231117132654'),
  ),
  'charts/helmfile.d/ml-services/revertrisk/values-ml-staging-codfw.yaml': revertriskStaging,
  'charts-bad/helmfile.d/ml-services/articletopic-outlink/values.yaml': outlink(
    '20221111111111',
    '2022-11-11-000000-publish',
  ),
  'charts-bad/helmfile.d/ml-services/revertrisk/values.yaml':
    revertriskProduction('      custom_env: 42'),
};

await rm(ROOT, { recursive: true, force: true });
for (const [path, text] of Object.entries(FILES)) {
  await mkdir(dirname(join(ROOT, path)), { recursive: true });
  await writeFile(join(ROOT, path), text);
}
console.log(`wrote ${Object.keys(FILES).length} files under ${ROOT}`);
