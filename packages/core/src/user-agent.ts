import { platform } from '#platform';
import { ENV, type Env, envString } from './config.js';
import { CORE_VERSION } from './version.js';
import { resolveWarnings, warn } from './warnings.js';

export { CORE_VERSION } from './version.js';

/** Where liftwing itself can be reached, for the User-Agent when the user names no contact. */
export const PROJECT_URL = 'https://github.com/liftwing/liftwing';

/** Options that identify your client to Wikimedia's servers. */
export interface UserAgentOptions {
  /**
   * Your client, as Wikimedia's User-Agent policy asks: either a full prefix
   * `MyTool/1.2 (https://example.org/MyTool; me@example.org)`, or just a contact (an email address
   * or URL), from which `liftwing/<version> (<contact>)` is built.
   * Default: `LIFTWING_USER_AGENT`.
   */
  userAgent?: string;
  /** Environment to read `LIFTWING_USER_AGENT` from. Default: `process.env` (none in a browser). */
  env?: Env;
  /** `false`: no warning without a contact. Default: on, unless `LIFTWING_NO_WARNINGS=1`. */
  warnings?: boolean;
}

/** A User-Agent, and whether the user named a contact in it. */
export interface UserAgent {
  value: string;
  hasContact: boolean;
}

/**
 * The User-Agent in the format of Wikimedia's policy, from what the user gave (the option or
 * `LIFTWING_USER_AGENT`, already read), without the warning {@link buildUserAgent} emits.
 */
export function userAgentOf(given: string | undefined): UserAgent {
  const prefix = given?.trim() || undefined;
  // The HTTP library, where there is one to name (not in a browser, which adds its own).
  const library = platform.httpLibrary === undefined ? '' : ` ${platform.httpLibrary}`;
  // liftwing is the client when the user names only a contact (or none).
  const asClient = (contact: string) => `liftwing/${CORE_VERSION} (${contact})${library}`;
  if (prefix === undefined) return { value: asClient(PROJECT_URL), hasContact: false };
  if (prefix.includes('(')) {
    return { value: `${prefix} liftwing/${CORE_VERSION}${library}`, hasContact: true };
  }
  return { value: asClient(prefix), hasContact: true };
}

/**
 * Warns, once per process, that requests go out to Wikimedia without the user's contact:
 * Wikimedia may block generic agents. `settings.warnings: false` silences it.
 */
export function warnNoContact(settings: { readonly warnings: boolean } = { warnings: true }): void {
  warn(
    'no-contact',
    `No contact in the User-Agent of requests to Wikimedia, which may block requests that do not ` +
      `identify their operator: set ${ENV.userAgent} (or the userAgent option) to your email ` +
      `address or to "MyTool/1.0 (https://example.org; me@example.org)". ` +
      `${ENV.noWarnings}=1 silences liftwing's warnings.`,
    settings,
  );
}

/**
 * Builds a User-Agent in the format of Wikimedia's policy,
 * `<client>/<version> (<contact>) <library>/<version>`. Without a contact from the user, it names
 * liftwing's project page and warns once (see {@link warnNoContact}): Wikimedia may block generic
 * agents.
 */
export function buildUserAgent(options: UserAgentOptions = {}): string {
  const agent = userAgentOf(options.userAgent?.trim() || envString(ENV.userAgent, options.env));
  if (!agent.hasContact) {
    warnNoContact({ warnings: resolveWarnings(options.warnings, options.env) });
  }
  return agent.value;
}
