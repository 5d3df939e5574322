import { STATUS_CODES } from 'node:http';
import type { FakeGateway } from '@liftwing/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createOresClient,
  MODELS,
  type OresClient,
  OresContextError,
  OresRequestError,
  oresContexts,
  oresScores,
} from '../src/index.js';
import { REASON_PHRASES } from '../src/reasons.js';
import { clientOf, revscoringScript, startRevscoringGateway } from './server.js';

let gateway: FakeGateway;
let ores: OresClient;

beforeAll(async () => {
  gateway = await startRevscoringGateway([
    'enwiki-damaging',
    'enwiki-goodfaith',
    'enwiki-articlequality',
    'wikidatawiki-itemquality',
  ]);
  ores = createOresClient(clientOf(gateway));
});

afterAll(async () => {
  await ores?.close();
  await gateway?.close();
});

describe('ORES v3 adapter', () => {
  it('asks Lift Wing once per (model, revision) and assembles the ORES envelope', async () => {
    const start = gateway.bodies.length;
    const response = await ores.scores({
      context: 'enwiki',
      models: 'damaging|goodfaith',
      revids: '12375|404404',
    });
    expect(gateway.bodies.slice(start)).toHaveLength(4);
    expect(response).toEqual({
      enwiki: {
        models: { damaging: { version: '0.5.1' }, goodfaith: { version: '0.5.1' } },
        scores: {
          '12375': {
            damaging: { score: { prediction: true, probability: { false: 0.25, true: 0.75 } } },
            goodfaith: { score: { prediction: true, probability: { false: 0.25, true: 0.75 } } },
          },
          // ores-legacy's answer for a revision the MediaWiki API does not know.
          '404404': {
            damaging: {
              error: {
                message: 'RevisionNotFound: Could not find revision ({revision}:404404)',
                type: 'RevisionNotFound',
              },
            },
            goodfaith: {
              error: {
                message: 'RevisionNotFound: Could not find revision ({revision}:404404)',
                type: 'RevisionNotFound',
              },
            },
          },
        },
      },
    });
  });

  it('passes features as extended_output and answers wp10 from articlequality', async () => {
    const start = gateway.bodies.length;
    const response = await oresScores(
      { context: 'enwiki', models: ['wp10'], revids: [75], features: true },
      clientOf(gateway),
    );
    expect(gateway.bodies.slice(start)).toEqual([{ rev_id: 75, extended_output: true }]);
    expect(response.enwiki?.scores?.['75']?.wp10).toEqual({
      score: { prediction: 'Stub', probability: { B: 0.25, Stub: 0.75 } },
      features: { 'feature.revision.parent.chars': 1234 },
    });
    expect(response.enwiki?.models).toEqual({ wp10: { version: '0.5.1' } });
  });

  it('scores Wikidata items', async () => {
    const response = await ores.scores({
      context: 'wikidatawiki',
      models: 'itemquality',
      revids: [3],
    });
    expect(response.wikidatawiki?.scores?.['3']?.itemquality).toMatchObject({
      score: { prediction: 'Stub' },
    });
  });

  it('lists the models of a context without revids, with the versions ORES reported', async () => {
    const start = gateway.bodies.length;
    const response = await ores.scores({ context: 'wikidatawiki' });
    expect(Object.keys(response.wikidatawiki!.models).sort()).toEqual(
      [...MODELS.values()]
        .filter((m) => m.wiki === 'wikidatawiki')
        .map((m) => m.type)
        .sort(),
    );
    expect(response.wikidatawiki!.scores).toBeUndefined();
    expect(gateway.bodies.length).toBe(start);
    expect(oresContexts().enwiki?.models.damaging).toEqual({
      version: MODELS.get('enwiki-damaging')!.oresVersion,
    });
  });

  it("answers an unknown context with ORES's 404 and an unknown model with its 400, before any request", async () => {
    const start = gateway.bodies.length;
    const context = (await ores
      .scores({ context: 'xxwiki', revids: [1] })
      .catch((e) => e)) as OresContextError;
    expect(context).toBeInstanceOf(OresContextError);
    expect(context).toMatchObject({ status: 404, code: 'unknown_model' });
    expect(context.toResponseBody()).toEqual({
      error: { code: 'not found', message: 'No scorers available for xxwiki' },
    });
    const model = (await ores
      .scores({ context: 'enwiki', models: 'damaging|itemquality', revids: [1] })
      .catch((e) => e)) as OresRequestError;
    expect(model).toBeInstanceOf(OresRequestError);
    expect(model.toResponseBody()).toEqual({
      error: { code: 'not found', message: "Models ('itemquality',) not available for enwiki" },
    });
    await expect(ores.scores({ context: 'enwiki', revids: '1|x' })).rejects.toThrow(
      'Each revision id must be a valid integer',
    );
    expect(gateway.bodies.length).toBe(start);
  });

  it('reports a bad revision id and a Lift Wing failure per score, as ores-legacy does', async () => {
    gateway.models['enwiki-goodfaith'] = { status: 503, body: { error: 'overloaded' } };
    try {
      const start = gateway.bodies.length;
      const response = await ores.scores({
        context: 'enwiki',
        models: 'damaging|goodfaith',
        revids: [-1, 5],
      });
      // -1 is refused before anything is sent; the 503 comes from Lift Wing.
      expect(gateway.bodies.slice(start)).toEqual([
        { rev_id: 5, extended_output: false },
        { rev_id: 5, extended_output: false },
      ]);
      expect(response.enwiki?.scores?.['-1']).toEqual({
        damaging: {
          error: {
            message: 'RevisionNotFound: Could not find revision ({revision}:-1)',
            type: 'RevisionNotFound',
          },
        },
        goodfaith: {
          error: {
            message: 'RevisionNotFound: Could not find revision ({revision}:-1)',
            type: 'RevisionNotFound',
          },
        },
      });
      expect(response.enwiki?.scores?.['5']?.damaging).toMatchObject({
        score: { prediction: false },
      });
      expect(response.enwiki?.scores?.['5']?.goodfaith).toEqual({
        error: { message: 'overloaded', type: 'Service Unavailable' },
      });
      // No successful score said goodfaith's version: the one ORES reported fills in.
      expect(response.enwiki?.models.goodfaith).toEqual({
        version: MODELS.get('enwiki-goodfaith')!.oresVersion,
      });
    } finally {
      gateway.models['enwiki-goodfaith'] = revscoringScript('enwiki-goodfaith');
    }
  });
});

describe('REASON_PHRASES', () => {
  it('spells every error status as Node.js does', () => {
    const node = Object.fromEntries(
      Object.entries(STATUS_CODES).filter(([code]) => Number(code) >= 300),
    );
    expect(REASON_PHRASES).toEqual(
      Object.fromEntries(Object.entries(node).map(([code, phrase]) => [Number(code), phrase])),
    );
  });
});
