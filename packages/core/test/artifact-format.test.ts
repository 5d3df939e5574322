import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACT_FORMAT_CHECKS, checkArtifactFormat } from '../src/artifact-format.js';
import { fastTextModel, onnxModel, PICKLE, protoField } from './helpers/model-files.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'liftwing-format-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const OUTLINK_FIXTURE = join(import.meta.dirname, '../../fasttext/test/fixtures/ova.bin');
const ONNX_FIXTURE = join(
  import.meta.dirname,
  '../../revertrisk/test/fixtures/classifier-zipmap/model.onnx',
);
const HTML = Buffer.from('<!DOCTYPE html><html><body>Please log in</body></html>');

async function check(format: string, body: Buffer): Promise<void> {
  const path = join(dir, `${format}-${Math.random()}`);
  await writeFile(path, body);
  await checkArtifactFormat(format, path, 'https://models.example.org/model');
}

describe('format checks', () => {
  const fastText = fastTextModel(['Q1', 'Q42', 'Zürich'], ['__label__a', '__label__b']);
  const good: Array<[string, Buffer]> = [
    ['fasttext-bin', fastText],
    ['python-pickle', PICKLE],
    ['onnx', onnxModel()],
    ['json', Buffer.from('{"inputs": []}')],
  ];

  it.each(good)('passes a well-formed %s file', async (format, body) => {
    await expect(check(format, body)).resolves.toBeUndefined();
  });

  it('passes the real fastText and ONNX fixtures', async () => {
    await expect(
      checkArtifactFormat('fasttext-bin', OUTLINK_FIXTURE, 'ova.bin'),
    ).resolves.toBeUndefined();
    await expect(checkArtifactFormat('onnx', ONNX_FIXTURE, 'model.onnx')).resolves.toBeUndefined();
  });

  it.each(good)('refuses a web page, a truncated and a padded %s file', async (format, body) => {
    const cases = [
      HTML,
      body.subarray(0, body.length - 1),
      Buffer.concat([body, Buffer.from('x')]),
    ];
    for (const bad of cases) {
      await expect(check(format, bad)).rejects.toMatchObject({
        name: 'ModelFormatError',
        code: 'invalid_model_file',
        message: expect.stringContaining(
          'https://models.example.org/model is not a valid model file',
        ),
      });
    }
  });

  it('names what is wrong in a fastText model', async () => {
    await expect(check('fasttext-bin', fastText.subarray(0, 100))).rejects.toThrow(
      /ends in dictionary entry/,
    );
    const badDim = Buffer.from(fastText);
    badDim.writeInt32LE(0, 8);
    await expect(check('fasttext-bin', badDim)).rejects.toThrow(
      /training arguments are out of range/,
    );
    const badMagic = Buffer.from(fastText);
    badMagic.writeInt32LE(1, 0);
    await expect(check('fasttext-bin', badMagic)).rejects.toThrow(/not the fastText magic number/);
  });

  it('refuses an ONNX file without a graph or with a field ModelProto does not have', async () => {
    await expect(check('onnx', Buffer.from([0x08, 0x08]))).rejects.toThrow(/no graph/);
    await expect(
      check('onnx', Buffer.concat([onnxModel(), protoField(99, Buffer.alloc(1))])),
    ).rejects.toThrow(/field 99/);
  });

  it('refuses a pickle of an unknown protocol', async () => {
    const old = Buffer.from(PICKLE);
    old[1] = 1;
    await expect(check('python-pickle', old)).rejects.toThrow(/protocol 2 to 5/);
  });

  it('runs no check for formats it does not know, and lets callers add or override checks', async () => {
    await expect(check('file', HTML)).resolves.toBeUndefined();
    await expect(check('safetensors', HTML)).resolves.toBeUndefined();
    const path = join(dir, 'custom');
    await writeFile(path, HTML);
    const seen: string[] = [];
    const checks = {
      safetensors: async (p: string) => {
        seen.push(p);
      },
      json: async () => {},
    };
    await checkArtifactFormat('safetensors', path, path, checks);
    await checkArtifactFormat('json', path, path, checks);
    expect(seen).toEqual([path]);
    expect(Object.keys(ARTIFACT_FORMAT_CHECKS).sort()).toEqual([
      'fasttext-bin',
      'json',
      'onnx',
      'python-pickle',
    ]);
  });
});
