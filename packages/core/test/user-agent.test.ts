import { describe, expect, it, vi } from 'vitest';
import { buildUserAgent, CORE_VERSION } from '../src/index.js';

describe('User-Agent', () => {
  it('puts a full client prefix in front of the library versions', () => {
    const ua = buildUserAgent({
      userAgent: 'MyBot/2.1 (https://example.org/MyBot; me@example.org)',
    });
    expect(ua).toMatch(
      new RegExp(
        `^MyBot/2\\.1 \\(https://example\\.org/MyBot; me@example\\.org\\) liftwing/${CORE_VERSION.replaceAll('.', '\\.')} undici/\\d+\\.\\d+\\.\\d+$`,
      ),
    );
  });

  it('builds the client part from a bare contact, read from the environment', () => {
    const ua = buildUserAgent({ env: { LIFTWING_USER_AGENT: 'me@example.org' } });
    expect(ua.startsWith(`liftwing/${CORE_VERSION} (me@example.org) undici/`)).toBe(true);
  });

  it('warns once, on a line of its own, when no contact is given', () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    buildUserAgent({ env: {}, warnings: true });
    buildUserAgent({ env: {}, warnings: true });
    expect(write).toHaveBeenCalledTimes(1);
    expect(String(write.mock.calls[0]?.[0])).toMatch(
      /^liftwing: warning: No contact in the User-Agent.*LIFTWING_USER_AGENT/,
    );
    write.mockRestore();
  });
});
