import { describe, expect, it } from 'vitest';
import { displayUrl, REDACTED, redactSecrets } from '../src/redact.js';

describe('displayUrl', () => {
  it('drops userinfo and replaces a query and a fragment whole', () => {
    expect(displayUrl('https://user:pw@models.example/tree/?token=abc&x=1#frag')).toBe(
      `https://models.example/tree/?${REDACTED}#${REDACTED}`,
    );
    // A query that is itself the secret, as a key without a value.
    expect(displayUrl(new URL('https://models.example/a?s3cr3t'))).toBe(
      `https://models.example/a?${REDACTED}`,
    );
  });

  it('keeps a URL without credentials as it is', () => {
    const url = 'https://api.wikimedia.org/service/lw/inference/v1/models/x:predict';
    expect(displayUrl(url)).toBe(url);
  });

  it('strips what looks like userinfo, a query or a fragment from a string that is not a URL', () => {
    expect(displayUrl('user:pw@models.example/x?sig=1')).toBe(`models.example/x?${REDACTED}`);
    expect(displayUrl('http://us er:pw@bad host/#k')).toBe(`http://bad host/#${REDACTED}`);
    expect(displayUrl('not a url')).toBe('not a url');
  });
});

describe('redactSecrets', () => {
  it('replaces every occurrence, also percent-encoded, longest secret first', () => {
    const secret = 'a/b+c=';
    const text = `raw ${secret}, encoded ${encodeURIComponent(secret)}, again ${secret}x`;
    expect(redactSecrets(text, [secret])).toBe(
      `raw ${REDACTED}, encoded ${REDACTED}, again ${REDACTED}x`,
    );
    expect(redactSecrets('tok-long and tok', ['tok', 'tok-long'])).toBe(
      `${REDACTED} and ${REDACTED}`,
    );
  });

  it('ignores missing and empty secrets', () => {
    expect(redactSecrets('text', [undefined, ''])).toBe('text');
  });
});

describe('displayUrl of a URL with nothing to hide', () => {
  it('is the URL as written, not as the parser normalises it', () => {
    expect(displayUrl('http://127.0.0.1:9')).toBe('http://127.0.0.1:9');
    expect(displayUrl(new URL('https://example.org/a'))).toBe('https://example.org/a');
  });
});
