/**
 * Which URLs liftwing may fetch from: https anywhere, plain http only on loopback.
 *
 * @packageDocumentation
 */
import { ConfigError } from './errors.js';
import { displayUrl } from './redact.js';

/** True for `localhost`, `127.0.0.0/8` and `::1`. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * Parses a URL that liftwing may fetch from: https anywhere, plain http only on loopback (local
 * mirrors and tests). Throws a {@link ConfigError} naming `what` otherwise.
 */
export function checkRemoteUrl(url: string | URL, what: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not kept as the cause: the TypeError quotes the URL, credentials and all.
    throw new ConfigError(`${what} ${JSON.stringify(displayUrl(url))} is not a URL.`);
  }
  if (parsed.protocol === 'https:') return parsed;
  if (parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname)) return parsed;
  throw new ConfigError(
    `${what} ${displayUrl(parsed)} must use https (plain http is accepted only for localhost/127.0.0.1).`,
  );
}
