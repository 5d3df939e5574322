import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  FileSystemError,
  fileSystemError,
  HttpError,
  InputError,
  isLiftWingError,
  LiftWingError,
  RateLimitError,
} from '../src/index.js';
import { inputErrorFromHttp } from '../src/model-kit.js';

describe('error hierarchy', () => {
  it('gives every error a stable code and its class name', () => {
    const error = new RateLimitError('slow down', { status: 429, retryAfterMs: 2000 });
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toBeInstanceOf(LiftWingError);
    expect(error.code).toBe('rate_limited');
    expect(error.name).toBe('RateLimitError');
    expect(error.retryAfterMs).toBe(2000);
    expect(isLiftWingError(error, 'rate_limited')).toBe(true);
    expect(isLiftWingError(error, 'http_error')).toBe(false);
    expect(isLiftWingError(new Error('x'))).toBe(false);
  });

  it('renders input errors as the model server does', () => {
    expect(new InputError('The parameter lang is required.').toResponseBody()).toEqual({
      error: 'The parameter lang is required.',
    });
    const detail = new InputError('Only accept a maximum of 20 rev_ids in the request.', {
      bodyKey: 'detail',
    });
    expect(detail.status).toBe(400);
    expect(detail.toResponseBody()).toEqual({
      detail: 'Only accept a maximum of 20 rev_ids in the request.',
    });
  });

  it("turns a model server's 400/422 into the InputError it stands for, keeping its body key", () => {
    const detail = new HttpError('HTTP 400', {
      status: 400,
      serverMessage: 'Requesting multiple revisions should have the same language.',
      serverMessageKey: 'detail',
    });
    const converted = inputErrorFromHttp(detail) as InputError;
    expect(converted).toBeInstanceOf(InputError);
    expect(converted.toResponseBody()).toEqual({
      detail: 'Requesting multiple revisions should have the same language.',
    });
    const unprocessable = new HttpError('HTTP 422', { status: 422, serverMessage: 'x' });
    expect(inputErrorFromHttp(unprocessable, { code: 'revision_error' })).toMatchObject({
      status: 422,
      bodyKey: 'error',
      code: 'revision_error',
    });
    const unavailable = new HttpError('HTTP 503', { status: 503 });
    expect(inputErrorFromHttp(unavailable)).toBe(unavailable);
  });
});

describe('fileSystemError', () => {
  it('names what the operating system said, the action and the path', () => {
    const cause = Object.assign(new Error('ENOSPC: no space left on device, write'), {
      code: 'ENOSPC',
    });
    const error = fileSystemError(cause, 'write', '/cache/blobs/x', 'Free some space.');
    expect(error).toBeInstanceOf(FileSystemError);
    expect(error.code).toBe('disk_full');
    expect(error.message).toBe('Cannot write /cache/blobs/x: the disk is full. Free some space.');
    expect((error as FileSystemError).path).toBe('/cache/blobs/x');
    expect((error as FileSystemError).errno).toBe('ENOSPC');
    expect(error.cause).toBe(cause);
  });

  it.each([
    ['EROFS', 'read_only'],
    ['EACCES', 'permission_denied'],
    ['ENOTDIR', 'not_a_directory'],
    ['EISDIR', 'is_a_directory'],
    ['ENOENT', 'file_not_found'],
  ])('maps %s to %s', (errno, code) => {
    expect(fileSystemError(Object.assign(new Error(), { code: errno }), 'read', '/x').code).toBe(
      code,
    );
  });

  it('keeps an unknown errno in the message, and a liftwing error as it is', () => {
    const odd = fileSystemError(Object.assign(new Error(), { code: 'EIO' }), 'read', '/x');
    expect(odd.code).toBe('file_error');
    expect(odd.message).toBe('Cannot read /x: the file system failed (EIO).');
    const first = new ConfigError('bad');
    expect(fileSystemError(first, 'read', '/x')).toBe(first);
  });
});

describe('errors from another installed copy of @liftwing/core', () => {
  // A second copy of the module, as an app gets when a model package resolves its own core.
  const secondCopy = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'liftwing-errors-copy-'));
    await cp(fileURLToPath(new URL('../src', import.meta.url)), dir, { recursive: true });
    const file = pathToFileURL(join(dir, 'errors.ts')).href;
    return (await import(file)) as typeof import('../src/errors.js');
  };

  it('are recognised by instanceof, isInstance and isLiftWingError', async () => {
    const other = await secondCopy();
    expect(other.InputError).not.toBe(InputError);
    const input = new other.InputError('The parameter lang is required.', { status: 400 });
    expect(input instanceof InputError).toBe(true);
    expect(input instanceof LiftWingError).toBe(true);
    expect(InputError.isInstance(input)).toBe(true);
    expect(LiftWingError.isInstance(input)).toBe(true);
    expect(input instanceof HttpError).toBe(false);
    expect(isLiftWingError(input, 'invalid_input')).toBe(true);

    const limited = new other.RateLimitError('slow down', { status: 429, retryAfterMs: 5000 });
    expect(limited instanceof HttpError).toBe(true);
    expect(limited instanceof RateLimitError).toBe(true);
    expect(isLiftWingError(limited, 'rate_limited') && limited.retryAfterMs).toBe(5000);
    // And the other way round: this copy's errors are the other copy's too.
    expect(new ConfigError('x') instanceof other.ConfigError).toBe(true);
    expect(new ConfigError('x') instanceof other.InputError).toBe(false);
  });

  it('a subclass without a brand of its own is still told apart by its prototype chain', () => {
    class UsageProblem extends ConfigError {}
    expect(new UsageProblem('x') instanceof UsageProblem).toBe(true);
    expect(new ConfigError('x') instanceof UsageProblem).toBe(false);
    expect(new UsageProblem('x') instanceof ConfigError).toBe(true);
  });

  it('plain values are no liftwing errors', () => {
    for (const value of [null, undefined, 42, 'invalid_input', { code: 'invalid_input' }]) {
      expect(isLiftWingError(value)).toBe(false);
      expect(isLiftWingError(value, 'invalid_input')).toBe(false);
      expect(LiftWingError.isInstance(value)).toBe(false);
    }
    // A code alone does not make an error of that code's class.
    expect(isLiftWingError(new LiftWingError('rate_limited', 'x'), 'rate_limited')).toBe(false);
  });
});

describe('HttpError.retryable', () => {
  it('is true for overload and connection failures, false for answers that will not change', () => {
    expect(new HttpError('x', { status: 503 }).retryable).toBe(true);
    expect(new RateLimitError('x', { status: 429 }).retryable).toBe(true);
    expect(new HttpError('x', { cause: new Error('ECONNRESET') }).retryable).toBe(true);
    expect(new HttpError('x', { status: 404 }).retryable).toBe(false);
    expect(new HttpError('x', { status: 400 }).retryable).toBe(false);
    expect(new HttpError('x').retryable).toBe(false);
  });

  it('carries Retry-After on any HTTP error', () => {
    expect(new HttpError('x', { status: 503, retryAfterMs: 2000 }).retryAfterMs).toBe(2000);
  });
});
