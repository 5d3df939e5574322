import { describe, expect, it } from 'vitest';
import {
  createProgressRenderer,
  formatBytes,
  renderTable,
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
});
