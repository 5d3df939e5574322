/**
 * Keeps credentials out of everything liftwing shows or stores: error messages, `HttpError.url`,
 * logs, cache records and JSON output.
 *
 * @packageDocumentation
 */

/** What a secret, a query string or a fragment is replaced with. */
export const REDACTED = 'REDACTED';

/**
 * `url` as it may be shown: without `user:password@`, and with a query string or fragment
 * replaced by `?REDACTED` / `#REDACTED`. The query goes whole, keys too, because a server may put
 * a secret anywhere in it (`?<token>`, `?sig=...`); the marker still says that there was one.
 * A string that is not a URL with a host loses whatever looks like userinfo, a query or a
 * fragment.
 */
export function displayUrl(url: string | URL): string {
  let shown: URL | undefined;
  try {
    shown = new URL(url);
  } catch {
    // Shown as text below.
  }
  // `user:pw@host/x` parses too, as the scheme `user:` with an opaque path.
  if (shown === undefined || shown.host === '') {
    return String(url)
      .replace(/^([^/?#]*\/\/)?[^/?#]*@/, '$1')
      .replace(/\?.*$/s, `?${REDACTED}`)
      .replace(/#.*$/s, `#${REDACTED}`);
  }
  // Nothing to hide: the URL as the user wrote it, not as the parser normalises it (an added
  // `/` would make a message about the URL's form wrong).
  if (shown.username === '' && shown.password === '' && shown.search === '' && shown.hash === '') {
    return String(url);
  }
  shown.username = '';
  shown.password = '';
  if (shown.search !== '') shown.search = REDACTED;
  if (shown.hash !== '') shown.hash = REDACTED;
  return shown.href;
}

/**
 * `text` with every occurrence of each secret replaced by {@link REDACTED}, also in the
 * percent-encoded form a URL carries it in. Redact before cutting a text short: a secret cut in
 * half no longer matches.
 */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret === undefined || secret === '') continue;
    forms.add(secret);
    forms.add(encodeURIComponent(secret));
  }
  // Longest first, so a secret that contains another is replaced whole.
  let redacted = text;
  for (const form of [...forms].sort((a, b) => b.length - a.length)) {
    redacted = redacted.replaceAll(form, REDACTED);
  }
  return redacted;
}
