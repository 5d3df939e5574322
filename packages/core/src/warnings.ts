/**
 * liftwing's own warnings: one line on stderr (a browser's console), `liftwing: warning: <message>`, at most once per
 * process for each kind, and none when the settings say `warnings: false`
 * (`LIFTWING_NO_WARNINGS=1`).
 *
 * Not Node's `process.emitWarning`: that prints two lines in Node's words ("(node:1234) Warning:
 * ... Use `node --trace-warnings ...`"), which asks a user of a command line to debug Node, and
 * which `--no-warnings` can only silence together with every other library's warnings.
 *
 * @packageDocumentation
 */
import { platform } from '#platform';
import { ENV, type Env, envFlag, processEnv } from './config.js';

/** What a warning is about; each is written at most once per process. */
export type WarningKind =
  /** Requests to a Wikimedia API without the user's contact in the User-Agent. */
  | 'no-contact'
  /** An artifact with no published checksum, trusted on first use. */
  | 'trust-on-first-use'
  /** A damaged record in the artifact cache, skipped. */
  | 'damaged-cache-record';

/**
 * Whether liftwing writes its warnings: the explicit value (the `warnings` option), else not when
 * `LIFTWING_NO_WARNINGS` is set in `env`, else not when it is set in this process's own
 * environment, else yes. The process's own counts even when the settings read another `env`:
 * warnings go to this process's stderr, so whoever runs the process (a test runner, a service
 * manager) can silence them without reaching every call that passes its own environment.
 */
export function resolveWarnings(explicit?: boolean, env: Env = processEnv()): boolean {
  if (explicit !== undefined) return explicit;
  const silenced = envFlag(ENV.noWarnings, env) ?? envFlag(ENV.noWarnings, processEnv());
  return silenced !== true;
}

const written = new Set<WarningKind>();

/**
 * Writes `message` as one warning line on stderr, unless `settings.warnings` is false or a
 * warning of this `kind` was already written by this process. A warning never fails what
 * warned. Returns whether it was written.
 */
export function warn(
  kind: WarningKind,
  message: string,
  settings: { readonly warnings: boolean },
): boolean {
  // Silenced warnings are not counted: another caller whose settings allow them still warns.
  if (!settings.warnings || written.has(kind)) return false;
  written.add(kind);
  // One line, so that logs that read stderr line by line keep each warning whole.
  const line = message.replace(/\s*\n\s*/g, ' ').trim();
  try {
    platform.writeWarning(`liftwing: warning: ${line}`);
  } catch {
    // A closed stderr must not fail the download or request that warned.
  }
  return true;
}

/** Forgets which kinds were written, so that a test can see each one again. */
export function resetWarnings(): void {
  written.clear();
}
