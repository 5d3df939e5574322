import { describe, expect, it } from 'vitest';
import { catalogueEntry, entriesOfValues, oresVersions, withEntries } from '../revscoring-table.js';

// Shaped like helmfile.d/ml-services/revscoring-editquality-damaging/values.yaml, written here.
const VALUES = `
inference:
  s3_storage_base_uri: "s3://wmf-ml-models"
  model: "damaging"
revscoring_inference_services:
  - wiki: "enwiki"
    version: "202105260914"
  - wiki: "simplewiki"
    version: "202105260914"
    use_model_from_wiki: "enwiki"
  - wiki: "eswikibooks"
    host: "es.wikibooks.org"
    version: "20220214192149"
  - wiki: "wikidatawiki"
    host: "www.wikidata.org"
    version: "20220509074653"
    model: "itemquality"
`;
const HELMFILE =
  'templates:\n  default: &default\n    namespace: revscoring-editquality-damaging\n';

describe('revscoring table', () => {
  it('reads each service of a values file as the chart template does', () => {
    const entries = entriesOfValues('revscoring-editquality-damaging', VALUES, HELMFILE);
    expect(entries.map((e) => e.name)).toEqual([
      'enwiki-damaging',
      'simplewiki-damaging',
      'eswikibooks-damaging',
      'wikidatawiki-itemquality',
    ]);
    expect(entries[1]).toMatchObject({
      modelWiki: 'enwiki',
      wikiHost: 'simple.wikipedia.org',
      artifact: 'damaging/enwiki/202105260914/model.bin',
      namespace: 'revscoring-editquality-damaging',
      pin: {
        file: 'helmfile.d/ml-services/revscoring-editquality-damaging/values.yaml',
        key: 'revscoring_inference_services[wiki=simplewiki].version',
      },
    });
    expect(entries[2]?.wikiHost).toBe('es.wikibooks.org');
    expect(entries[3]?.type).toBe('itemquality');
  });

  it('fails on a layout it does not know', () => {
    expect(() => entriesOfValues('revscoring-x', 'revscoring_inference_services: {}', '')).toThrow(
      /is not a list/,
    );
    expect(() =>
      entriesOfValues(
        'revscoring-x',
        'revscoring_inference_services:\n  - wiki: enwiki\n    version: "1"\n',
        '',
      ),
    ).toThrow(/no revscoring model type/);
  });

  it('makes catalogue entries and puts them last, replacing its own', () => {
    const [entry] = entriesOfValues('revscoring-editquality-damaging', VALUES, HELMFILE);
    const made = catalogueEntry({ ...entry!, oresVersion: '0.5.1' });
    expect(made).toMatchObject({
      name: 'enwiki-damaging',
      alias: 'enwiki-damaging',
      modes: ['online'],
    });
    const catalogue = {
      models: [{ package: '@liftwing/revscoring' }, { package: '@liftwing/outlink' }],
    };
    expect(withEntries(catalogue, [made]).models).toEqual([{ package: '@liftwing/outlink' }, made]);
    expect(
      oresVersions('enwiki:\n  models:\n    damaging:\n      version: 0.5.1\n').get(
        'enwiki-damaging',
      ),
    ).toBe('0.5.1');
  });
});
