import { fileURLToPath } from 'node:url';
import { type FakeGateway, type FakeMediaWiki, startFakeMediaWiki } from '@liftwing/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModel } from '../src/index.js';
import { formatReport, runParity } from '../tools/parity.js';
import { type GatewayTable, startRevertRiskGateway } from './model-server.js';
import { busyWiki } from './wiki-data.js';

const REGRESSOR = fileURLToPath(new URL('./fixtures/regressor-sigmoid', import.meta.url));
const USER_AGENT = 'revertrisk-tests (test@example.org)';

let mw: FakeMediaWiki;
let gateway: FakeGateway;
const table: GatewayTable = {};

beforeAll(async () => {
  // Revision 3000 creates the page (no parent): offline fails it, online scores it.
  mw = await startFakeMediaWiki({ 'en.wikipedia.org': busyWiki(3000, 12) });
  gateway = await startRevertRiskGateway(table);
});

afterAll(async () => {
  await gateway?.close();
  await mw?.close();
});

describe('parity tool', () => {
  it('scores recent edits both ways and reports the differences', async () => {
    const mediawiki = { apiUrlTemplate: mw.apiUrlTemplate, retries: 0 };
    const offline = await createModel({
      mode: 'offline',
      bundle: REGRESSOR,
      mediawiki,
      userAgent: USER_AGENT,
    });
    const ids = Array.from({ length: 12 }, (_, i) => 3001 + i);
    const truth = await offline.predictMany(ids.map((rev_id) => ({ lang: 'en', rev_id })));
    await offline.close();
    truth.forEach((result, i) => {
      if (result.ok) table[`en:${ids[i]}`] = result.value.output.probabilities.true;
    });
    // One revision scored differently online (on the other side of 0.5), one unknown to the gateway.
    const p = table['en:3005'] as number;
    const shifted = 1 - p;
    const diff = Math.abs(1 - 2 * p);
    expect(diff).toBeGreaterThan(0.01);
    table['en:3005'] = shifted;
    delete table['en:3007'];

    const report = await runParity({
      lang: 'en',
      count: 10,
      bundle: REGRESSOR,
      mediawiki,
      client: { apiUrl: gateway.apiUrl, rateLimit: false, retries: 0 },
      userAgent: USER_AGENT,
    });
    expect(report.revisions).toBe(10);
    expect(report.compared).toBe(9);
    expect(report.maxAbsDiff).toBeCloseTo(diff, 9);
    expect(report.meanAbsDiff).toBeCloseTo(diff / 9, 9);
    expect(report.worst).toMatchObject({ rev_id: 3005, online: shifted });
    expect(report.predictionAgreements).toBe(8);
    expect(report.failures).toEqual([{ rev_id: 3007, online: 'revision_missing' }]);
    expect(report.offlineModelVersion).toBe('fixture-regressor-sigmoid');
    expect(report.onlineModelVersion).toBe('3');
    const recent = mw.requests.find((r) => r.params.get('list') === 'recentchanges')!;
    expect(Object.fromEntries(recent.params)).toMatchObject({
      rctype: 'edit',
      rcnamespace: '0',
      rclimit: '10',
    });
    const text = formatReport(report);
    expect(text).toContain('prediction agreement: 8/9');
    expect(text).toContain('rev 3007: offline ok, online revision_missing');
  });
});
