import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openOutputFile, prepareResume, runBatch } from '../src/batch.js';
import { FakeModel } from './helpers/fakes.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'liftwing-batch-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

function collect() {
  const output = new PassThrough();
  let text = '';
  output.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk;
  });
  return { output, lines: () => text.split('\n').filter((line) => line !== '') };
}

describe('runBatch', () => {
  it('keeps input order across concurrency and records bad lines without stopping', async () => {
    const input = [
      '{"id": 1, "wait": 30}',
      '{"id": 2}',
      'not json',
      '',
      '{"id": 4, "fail": "detail"}',
      '{"id": 5, "wait": 5}\r',
      '{"id": 6}',
    ].join('\n');
    const { output, lines } = collect();
    const summary = await runBatch({
      model: new FakeModel(),
      input: Readable.from([input]),
      output,
      concurrency: 3,
    });
    expect(summary).toMatchObject({ done: 6, failed: 2, skipped: 0, interrupted: false });
    const results = lines().map((line) => JSON.parse(line));
    expect(results).toEqual([
      { model_name: 'fake-model', echo: { id: 1, wait: 30 } },
      { model_name: 'fake-model', echo: { id: 2 } },
      { line: 3, input: 'not json', error: expect.stringMatching(/^Invalid JSON: /) },
      {
        line: 5,
        input: { id: 4, fail: 'detail' },
        error: 'Could not make prediction. Reason: revision_missing',
        code: 'revision_error',
        status: 422,
      },
      { model_name: 'fake-model', echo: { id: 5, wait: 5 } },
      { model_name: 'fake-model', echo: { id: 6 } },
    ]);
  });

  it('reads lines split across chunks, multi-byte characters included, and a last line without newline', async () => {
    const text = '{"title": "Zürich"}\n{"title": "東京"}';
    const bytes = Buffer.from(text);
    const chunks = [bytes.subarray(0, 12), bytes.subarray(12, 27), bytes.subarray(27)];
    const { output, lines } = collect();
    await runBatch({ model: new FakeModel(), input: Readable.from(chunks), output });
    expect(lines().map((line) => JSON.parse(line).echo.title)).toEqual(['Zürich', '東京']);
  });

  it('never has more than `concurrency` requests in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const model = new FakeModel();
    const handle = model.handle.bind(model);
    model.handle = async (body) => {
      most = Math.max(most, ++inFlight);
      try {
        return await handle(body);
      } finally {
        inFlight--;
      }
    };
    const input = Array.from({ length: 50 }, (_, i) => `{"i": ${i}, "wait": ${i % 3}}`).join('\n');
    const { output, lines } = collect();
    await runBatch({ model, input: Readable.from([input]), output, concurrency: 5 });
    expect(most).toBe(5);
    expect(lines()).toHaveLength(50);
  });

  it('stops reading when its signal aborts, and still writes the lines in flight', async () => {
    const controller = new AbortController();
    const model = new FakeModel('fake-model', 'offline', null, {
      onHandle: (body) => {
        if ((body as { i: number }).i === 3) controller.abort();
      },
    });
    const input = Array.from({ length: 20 }, (_, i) => `{"i": ${i}}`).join('\n');
    const { output, lines } = collect();
    const summary = await runBatch({
      model,
      input: Readable.from([input]),
      output,
      concurrency: 2,
      signal: controller.signal,
    });
    expect(summary.interrupted).toBe(true);
    expect(lines().map((line) => JSON.parse(line).echo.i)).toEqual([0, 1, 2, 3]);
  });
});

describe('resuming', () => {
  const requests = Array.from({ length: 8 }, (_, i) => `{"i": ${i}}`);
  const expected = requests.map((request) =>
    JSON.stringify({ model_name: 'fake-model', echo: JSON.parse(request) }),
  );

  it('removes a partly written last line and carries on after the complete ones', async () => {
    const path = join(dir, 'out.jsonl');
    await writeFile(path, `${expected[0]}\n${expected[1]}\n${expected[2]!.slice(0, 10)}`);
    const state = await prepareResume(path);
    expect(state).toEqual({ records: 2, truncatedBytes: 10 });
    const output = await openOutputFile(path, true);
    const summary = await runBatch({
      model: new FakeModel(),
      input: Readable.from([requests.join('\n')]),
      output,
      skip: state.records,
    });
    await new Promise((resolve) => output.end(resolve));
    expect(summary).toMatchObject({ done: 6, skipped: 2 });
    expect(await readFile(path, 'utf8')).toBe(expected.join('\n') + '\n');
  });

  it('cuts the file at the first line that is not JSON', async () => {
    const path = join(dir, 'out.jsonl');
    await writeFile(path, `${expected[0]}\n\u0000\u0000\u0000\n${expected[1]}\n`);
    expect(await prepareResume(path)).toEqual({
      records: 1,
      truncatedBytes: 4 + expected[1]!.length + 1,
    });
    expect(await readFile(path, 'utf8')).toBe(`${expected[0]}\n`);
  });

  it('treats a missing output file as empty', async () => {
    expect(await prepareResume(join(dir, 'none.jsonl'))).toEqual({ records: 0, truncatedBytes: 0 });
  });

  it('refuses to overwrite results without resume', async () => {
    const path = join(dir, 'out.jsonl');
    await writeFile(path, '');
    const output = await openOutputFile(path, false);
    await new Promise((resolve) => output.end(resolve));
    await appendFile(path, `${expected[0]}\n`);
    await expect(openOutputFile(path, false)).rejects.toThrow(/already has results.*--resume/);
  });
});
