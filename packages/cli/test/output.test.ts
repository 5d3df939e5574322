import { describe, expect, it } from 'vitest';
import {
  createProgressRenderer,
  createStatusLine,
  formatBytes,
  renderTable,
  scoringProgress,
  styleFor,
  wantsColor,
} from '../src/output.js';

const sink = (isTTY = false) => {
  const stream = {
    text: '',
    isTTY,
    write(chunk: string) {
      stream.text += chunk;
    },
  };
  return stream;
};

describe('output', () => {
  it('formats bytes with three significant digits', () => {
    expect([0, 999, 1000, 12_345, 990_000_000, 1_234_567_890].map(formatBytes)).toEqual([
      '0 B',
      '999 B',
      '1.00 kB',
      '12.3 kB',
      '990 MB',
      '1.23 GB',
    ]);
  });

  it('colours only on a terminal, never with NO_COLOR or TERM=dumb, always with FORCE_COLOR', () => {
    expect(wantsColor(sink(true), {})).toBe(true);
    expect(wantsColor(sink(false), {})).toBe(false);
    expect(wantsColor(sink(true), { NO_COLOR: '1' })).toBe(false);
    expect(wantsColor(sink(true), { TERM: 'dumb' })).toBe(false);
    expect(wantsColor(sink(false), { FORCE_COLOR: '1' })).toBe(true);
    expect(styleFor(sink(true), {}).red('x')).toBe('\x1b[31mx\x1b[39m');
  });

  it('aligns table columns ignoring colour codes', () => {
    const style = styleFor(sink(true), {});
    expect(
      renderTable(
        ['A', 'B'],
        [
          [style.bold('long'), 'x'],
          ['s', 'y'],
        ],
      ),
    ).toBe(`A     B\n${style.bold('long')}  x\ns     y\n`);
  });

  it('redraws one bar on a terminal, at most ten times a second, and always at 100 %', () => {
    const stream = sink(true);
    let now = 0;
    const progress = createProgressRenderer(stream, {
      label: 'm',
      tty: true,
      now: () => now,
      columns: 60,
    });
    progress.update({ bytesDone: 0, bytesTotal: 200, rate: 0 });
    now = 50;
    progress.update({ bytesDone: 50, bytesTotal: 200, rate: 1000 });
    now = 150;
    progress.update({ bytesDone: 100, bytesTotal: 200, rate: 1000 });
    now = 160;
    progress.update({ bytesDone: 200, bytesTotal: 200, rate: 1000 });
    progress.done('m: ready');
    const frames = stream.text.split('\r\x1b[2K').filter((frame) => frame !== '');
    expect(frames).toHaveLength(4);
    expect(frames[1]).toMatch(/^m \[#+-+\] {2}50% {2}100 B \/ 200 B {2}1.00 kB\/s$/);
    expect(frames[2]).toMatch(/^m \[#+\] 100%/);
    expect(frames[3]).toBe('m: ready\n');
  });

  it('prints plain lines off a terminal, every 15 s when the size is unknown', () => {
    const stream = sink(false);
    let now = 0;
    const progress = createProgressRenderer(stream, { label: 'm', tty: false, now: () => now });
    progress.update({ bytesDone: 10, bytesTotal: undefined, rate: 10 });
    now = 5_000;
    progress.update({ bytesDone: 20, bytesTotal: undefined, rate: 10 });
    now = 15_000;
    progress.update({ bytesDone: 30, bytesTotal: undefined, rate: 10 });
    progress.done('m: ready');
    expect(stream.text).toBe('m: 10 B  10 B/s\nm: 30 B  10 B/s\nm: ready\n');
  });

  it('redraws a status line on a terminal at most ten times a second, and wipes it at the end', () => {
    const stream = sink(true);
    let now = 0;
    const line = createStatusLine(stream, { now: () => now });
    const progress = scoringProgress(line, ['m@A', 'm@B'], () => now);
    now = 50;
    progress({ done: 500, total: 1000, failed: 0 });
    now = 1000;
    progress({ done: 1000, total: 1000, failed: 2 });
    // The first pass reached its total: the next report is the second pass's.
    now = 1100;
    progress({ done: 500, total: 1000, failed: 0 });
    line.clear();
    expect(stream.text).toBe(
      '\r\x1b[2Km@A: 1000 of 1000 scored, 2 failed, 1000.0/s' +
        '\r\x1b[2Km@B: 500 of 1000 scored, 0 failed, 5000.0/s' +
        '\r\x1b[2K',
    );
  });

  it('writes a status line every 10 s elsewhere, nothing with --json, and leaves no wipe in a log', () => {
    const log = sink(false);
    let now = 0;
    const line = createStatusLine(log, { now: () => now });
    for (now = 1000; now <= 25_000; now += 1000) line.update(() => `at ${now}`);
    line.clear();
    line.done('done');
    expect(log.text).toBe('at 10000\nat 20000\ndone\n');

    const quiet = sink(true);
    const silent = createStatusLine(quiet, { quiet: true, now: () => now });
    now += 60_000;
    silent.update(() => 'never');
    silent.done('summary');
    expect(quiet.text).toBe('summary\n');
  });
});
