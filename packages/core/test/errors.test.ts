import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  FileSystemError,
  fileSystemError,
  HttpError,
  InputError,
  inputErrorFromHttp,
  isLiftWingError,
  LiftWingError,
  RateLimitError,
} from '../src/index.js';

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
