import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { FileSystemError } from '@liftwing/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runBatch } from '../src/batch.js';
import { openOutputFile, prepareResume } from '../src/batch-output.js';
import { FakeModel, FullDisk } from './helpers/fakes.js';

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
      {
        line: 3,
        input: 'not json',
        error: expect.stringMatching(/^Invalid JSON: /),
        code: 'invalid_input',
      },
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

  it('never has more than `concurrency` batches in flight', async () => {
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
    await runBatch({ model, input: Readable.from([input]), output, concurrency: 5, batchSize: 1 });
    expect(most).toBe(5);
    expect(lines()).toHaveLength(50);
  });

  it('hands the model batches of `batchSize` lines, results in input order', async () => {
    const model = new FakeModel();
    const sizes: number[] = [];
    const handleMany = model.handleMany.bind(model);
    model.handleMany = (bodies, options) => {
      sizes.push(bodies.length);
      return handleMany(bodies, options);
    };
    const input = Array.from({ length: 45 }, (_, i) => `{"i": ${i}, "wait": ${(7 * i) % 4}}`);
    input.splice(12, 0, 'not json');
    const { output, lines } = collect();
    const summary = await runBatch({
      model,
      input: Readable.from([input.join('\n')]),
      output,
      batchSize: 20,
    });
    expect(sizes).toEqual([20, 20, 5]);
    expect(summary).toMatchObject({ done: 46, failed: 1 });
    const written = lines().map((line) => JSON.parse(line));
    expect(written[12]).toMatchObject({ line: 13, code: 'invalid_input' });
    expect(written.filter((_, i) => i !== 12).map((line) => line.echo.i)).toEqual([
      ...Array(45).keys(),
    ]);
  });

  it('sends a started batch on when the input pauses, rather than holding it back', async () => {
    const model = new FakeModel();
    const input = new PassThrough();
    const { output, lines } = collect();
    const running = runBatch({ model, input, output, batchSize: 50 });
    input.write('{"i": 0}\n');
    await vi.waitFor(() => expect(lines()).toHaveLength(1));
    input.end('{"i": 1}\n');
    await running;
    expect(lines().map((line) => JSON.parse(line).echo.i)).toEqual([0, 1]);
  });

  it('answers line by line when the model rejects a whole batch (a bug), pinning it on its line', async () => {
    const model = new FakeModel();
    model.handleMany = () => Promise.reject(new TypeError('boom'));
    const { output, lines } = collect();
    await runBatch({
      model,
      input: Readable.from(['{"i": 0}\n{"fail": "crash"}\n{"i": 2}']),
      output,
    });
    const written = lines().map((line) => JSON.parse(line));
    expect(written[0].echo.i).toBe(0);
    expect(written[1]).toMatchObject({ line: 2, error: 'boom' });
    expect(written[2].echo.i).toBe(2);
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
      batchSize: 1,
      signal: controller.signal,
    });
    expect(summary.interrupted).toBe(true);
    expect(lines().map((line) => JSON.parse(line).echo.i)).toEqual([0, 1, 2, 3]);
  });
});

/** `text` as a stream of `size`-byte chunks. */
function* chunked(text: string, size: number) {
  const bytes = Buffer.from(text);
  for (let start = 0; start < bytes.length; start += size)
    yield bytes.subarray(start, start + size);
}

describe('long and deep lines', () => {
  it('answers a line over the maximum with an error line that keeps only its start, and goes on', async () => {
    const long = JSON.stringify({ features_str: 'Q1 '.repeat(20_000) });
    const atLimit = JSON.stringify({ text: 'x'.repeat(1000 - 11) });
    expect(Buffer.byteLength(atLimit)).toBe(1000);
    const input = ['{"i": 1}', long, atLimit, '{"i": 4}\r', '{"i": 5}'].join('\n');
    const { output, lines } = collect();
    const summary = await runBatch({
      model: new FakeModel(),
      input: Readable.from(chunked(input, 4096)),
      output,
      maxLineBytes: 1000,
    });
    expect(summary).toMatchObject({ done: 5, failed: 1 });
    const results = lines().map((line) => JSON.parse(line));
    expect(results[0]).toEqual({ model_name: 'fake-model', echo: { i: 1 } });
    expect(results[1]).toEqual({
      line: 2,
      input: long.slice(0, 200),
      error: `The line is ${long.length} bytes long, over the limit of 1000 bytes (--max-line); it was not read.`,
      code: 'invalid_input',
    });
    expect(results[2].echo.text).toHaveLength(989);
    expect(results[3]).toEqual({ model_name: 'fake-model', echo: { i: 4 } });
    expect(results[4]).toEqual({ model_name: 'fake-model', echo: { i: 5 } });
  });

  it('reads a long line in small chunks whole', async () => {
    const features = Array.from({ length: 400_000 }, (_, i) => `Q${i}`).join(' ');
    const input = `{"i": 0}\n${JSON.stringify({ features_str: features })}\n{"i": 2}`;
    const { output, lines } = collect();
    await runBatch({ model: new FakeModel(), input: Readable.from(chunked(input, 1024)), output });
    const results = lines().map((line) => JSON.parse(line));
    expect(results.map((result) => result.echo.i ?? result.echo.features_str)).toEqual([
      0,
      features,
      2,
    ]);
  });

  it('answers a line nested too deep, or not JSON, with an error line and a short input', async () => {
    const deep = '['.repeat(100_000);
    const junk = 'x'.repeat(100_000);
    const { output, lines } = collect();
    await runBatch({
      model: new FakeModel(),
      input: Readable.from([`${deep}\n${junk}\n{}`]),
      output,
    });
    const [first, second, third] = lines().map((line) => JSON.parse(line));
    expect(first).toEqual({
      line: 1,
      input: '['.repeat(200),
      error: 'Invalid JSON: JSON nested deeper than 64 levels',
      code: 'invalid_input',
    });
    expect(second.input).toBe('x'.repeat(200));
    expect(second.error.length).toBeLessThan(200);
    expect(third).toEqual({ model_name: 'fake-model', echo: {} });
  });
});

describe('failures of the streams', () => {
  const requests = Array.from({ length: 40 }, (_, i) => `{"i": ${i}}`).join('\n');

  it('ends with disk_full when the output fills the disk, and --resume finishes from what was written', async () => {
    const path = join(dir, 'out.jsonl');
    const failure = await runBatch({
      model: new FakeModel(),
      input: Readable.from([requests]),
      output: new FullDisk(path, 500),
      outputName: path,
      outputHint: 'Free some space.',
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(FileSystemError);
    expect(failure).toMatchObject({
      code: 'disk_full',
      path,
      message: `Cannot write ${path}: the disk is full. Free some space.`,
    });
    // The disk took exactly 500 bytes: complete lines and a part of one.
    expect((await readFile(path)).length).toBe(500);

    const state = await prepareResume(path);
    expect(state.records).toBeGreaterThan(0);
    expect(state.truncatedBytes).toBeGreaterThan(0);
    const output = await openOutputFile(path, true);
    await runBatch({
      model: new FakeModel(),
      input: Readable.from([requests]),
      output,
      skip: state.records,
    });
    await new Promise((resolve) => output.end(resolve));
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    expect(lines.map((line) => JSON.parse(line).echo.i)).toEqual([...Array(40).keys()]);
  });

  it('stops reading once the output failed', async () => {
    const model = new FakeModel();
    const slow = Array.from({ length: 40 }, (_, i) => `{"i": ${i}, "wait": 2}`).join('\n');
    await expect(
      runBatch({
        model,
        input: Readable.from([slow]),
        output: new FullDisk(join(dir, 'out.jsonl'), 0),
        concurrency: 1,
        batchSize: 1,
      }),
    ).rejects.toMatchObject({ code: 'disk_full', message: /^Cannot write the output: / });
    expect(model.calls.length).toBeLessThan(5);
  });

  it('names the input that cannot be read', async () => {
    const { createReadStream } = await import('node:fs');
    await expect(
      runBatch({
        model: new FakeModel(),
        input: createReadStream(dir),
        output: collect().output,
        inputName: dir,
      }),
    ).rejects.toMatchObject({ code: 'is_a_directory', path: dir });
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
