import type { Env } from '@liftwing/core';

/** A stream the CLI writes to; `isTTY` and `columns` are set by Node on terminals. */
export interface OutputStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/**
 * Takes the errors of `streams` (a closed pipe: EPIPE) so that none kills the process: output to
 * a stream that failed is lost, and the work goes on. Returns the function that stops it. Those
 * that must know of a failure (a batch's output) listen for it themselves.
 */
export function survivingStreamErrors(streams: readonly unknown[]): () => void {
  const ignore = () => {};
  const emitters = streams.filter(
    (stream): stream is NodeJS.EventEmitter =>
      typeof (stream as Partial<NodeJS.EventEmitter> | null)?.on === 'function',
  );
  for (const emitter of emitters) emitter.on('error', ignore);
  return () => {
    for (const emitter of emitters) emitter.off('error', ignore);
  };
}

/** ANSI styling that is a no-op unless colours are wanted. */
export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
}

/**
 * Colours only on a terminal, and never when `NO_COLOR` is set (https://no-color.org) or the
 * terminal is `dumb`; `FORCE_COLOR` (non-zero) turns them on anyway, as most Node tools do.
 */
export function wantsColor(stream: OutputStream, env: Env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return force !== '0';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

/**
 * `text` with its control characters (but newline and tab) written out as `\u001b`: an error
 * message can carry what a server or a file said, and an escape sequence in it would otherwise
 * be run by the terminal (retitle the window, clear the screen, hide what follows).
 */
export function printable(text: string): string {
  return text.replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: these are what is replaced
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

const sgr = (open: number, close: number) => (text: string) => `\x1b[${open}m${text}\x1b[${close}m`;
const plain = (text: string) => text;

/** The styling for `stream`: ANSI colours when {@link wantsColor}, plain text otherwise. */
export function styleFor(stream: OutputStream, env: Env): Style {
  if (!wantsColor(stream, env)) {
    return { bold: plain, dim: plain, red: plain, green: plain, yellow: plain };
  }
  return {
    bold: sgr(1, 22),
    dim: sgr(2, 22),
    red: sgr(31, 39),
    green: sgr(32, 39),
    yellow: sgr(33, 39),
  };
}

// Escape sequences take no columns; strip them before measuring.
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
const visibleLength = (text: string) => text.replace(ANSI, '').length;

/** A left-aligned text table with a header row; cells may contain ANSI styling. */
export function renderTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((title, column) =>
    Math.max(visibleLength(title), ...rows.map((row) => visibleLength(row[column] ?? ''))),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) =>
        column === cells.length - 1
          ? cell
          : cell + ' '.repeat((widths[column] ?? 0) - visibleLength(cell)),
      )
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

/** Bytes in SI units with three significant digits: `990 MB`, `1.23 GB`. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

/** A download's progress, as the artifact cache reports it. */
export interface ProgressEvent {
  /** Bytes received so far. */
  bytesDone: number;
  /** Bytes expected in all, when the server said. */
  bytesTotal: number | undefined;
  /** Recent throughput in bytes per second. */
  rate: number;
}

/** Reports progress events to a stream and closes the report with {@link ProgressRenderer.done}. */
export interface ProgressRenderer {
  update(event: ProgressEvent): void;
  done(message: string): void;
}

/** A status line of long work: redrawn in place on a terminal, a plain line elsewhere. */
export interface StatusLine {
  /** Shows `text()` unless a line was shown too recently (100 ms on a terminal, 10 s elsewhere). */
  update(text: () => string): void;
  /** Ends it with `text`, over the redrawn line. */
  done(text: string): void;
  /** Ends it without a last line: a redrawn line is wiped. */
  clear(): void;
}

/** A {@link StatusLine} on `stream`; `quiet` (`--json`) shows only `done`'s line. */
export function createStatusLine(
  stream: OutputStream,
  options: { quiet?: boolean; now?: () => number } = {},
): StatusLine {
  const tty = stream.isTTY === true;
  const now = options.now ?? (() => performance.now());
  let last = now();
  let drawn = false;
  return {
    update(text) {
      const time = now();
      if (options.quiet || time - last < (tty ? 100 : 10_000)) return;
      last = time;
      drawn = tty;
      stream.write(tty ? `\r\x1b[2K${text()}` : `${text()}\n`);
    },
    done(text) {
      stream.write(`${drawn ? '\r\x1b[2K' : ''}${text}\n`);
      drawn = false;
    },
    clear() {
      if (drawn) stream.write('\r\x1b[2K');
      drawn = false;
    },
  };
}

/**
 * The progress of scoring requests in passes (one per model version, or per sample), as core's
 * `onProgress` reports it: `<pass>: 1500 of 4000 scored, 2 failed, 310.2/s`. A pass that reached
 * its total gives way to the next.
 */
export function scoringProgress(
  line: StatusLine,
  passes: readonly string[],
  now: () => number = () => performance.now(),
) {
  let pass = 0;
  let started = now();
  // When the pass reached its total: the next one starts then, not at its first report.
  let finishedAt: number | undefined;
  return (progress: { done: number; total: number; failed: number }) => {
    const time = now();
    if (finishedAt !== undefined && pass < passes.length - 1) {
      pass++;
      started = finishedAt;
    }
    finishedAt = progress.done >= progress.total ? time : undefined;
    const seconds = (time - started) / 1000;
    line.update(
      () =>
        `${passes[pass]}: ${progress.done} of ${progress.total} scored, ${progress.failed} failed` +
        (seconds > 0 ? `, ${(progress.done / seconds).toFixed(1)}/s` : ''),
    );
  };
}

export interface ProgressOptions {
  /** Named in every line, e.g. `<model>@20221111111111`. */
  label: string;
  /** Whether the stream is a terminal: a redrawn bar if so, plain lines otherwise. */
  tty: boolean;
  /** Clock, for tests; default `Date.now`. */
  now?: () => number;
  /** Terminal width; default 80. */
  columns?: number;
}

/**
 * Progress of a download: on a terminal one bar redrawn in place at most ten times a second;
 * elsewhere (logs, CI) a plain line at every 10 % step, or every 15 s when the size is unknown.
 */
export function createProgressRenderer(
  stream: OutputStream,
  options: ProgressOptions,
): ProgressRenderer {
  const now = options.now ?? Date.now;
  let lastDraw = -Infinity;
  let lastStep = -1;
  let drewBar = false;

  const describe = (event: ProgressEvent) => {
    const size =
      event.bytesTotal === undefined
        ? formatBytes(event.bytesDone)
        : `${formatBytes(event.bytesDone)} / ${formatBytes(event.bytesTotal)}`;
    return `${size}  ${formatBytes(event.rate)}/s`;
  };

  return {
    update(event) {
      const time = now();
      const fraction =
        event.bytesTotal !== undefined && event.bytesTotal > 0
          ? Math.min(1, event.bytesDone / event.bytesTotal)
          : undefined;
      if (options.tty) {
        if (time - lastDraw < 100 && fraction !== 1) return;
        lastDraw = time;
        drewBar = true;
        const text = describe(event);
        const percent =
          fraction === undefined ? '' : ` ${(fraction * 100).toFixed(0).padStart(3)}%`;
        const room =
          (options.columns ?? 80) - options.label.length - text.length - percent.length - 6;
        const width = Math.max(10, Math.min(40, room));
        const filled = fraction === undefined ? 0 : Math.round(fraction * width);
        const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
        stream.write(`\r\x1b[2K${options.label} ${bar}${percent}  ${text}`);
        return;
      }
      if (fraction !== undefined) {
        const step = Math.floor(fraction * 10);
        if (step <= lastStep) return;
        lastStep = step;
        stream.write(`${options.label}: ${step * 10}%  ${describe(event)}\n`);
      } else if (time - lastDraw >= 15_000) {
        lastDraw = time;
        stream.write(`${options.label}: ${describe(event)}\n`);
      }
    },
    done(message) {
      stream.write(`${drewBar ? '\r\x1b[2K' : ''}${message}\n`);
    },
  };
}
