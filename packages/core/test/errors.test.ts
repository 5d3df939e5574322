import { describe, expect, it } from 'vitest';
import {
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
