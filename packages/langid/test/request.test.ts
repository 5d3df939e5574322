import { describe, expect, it } from 'vitest';
import { MAX_TEXT_LENGTH, normalizeText, validateLangIdRequest } from '../src/index.js';

describe('validateLangIdRequest', () => {
  it('keeps only the text (the server reads nothing else)', () => {
    expect(validateLangIdRequest({ text: 'Hallo', extra: 1 })).toEqual({ text: 'Hallo' });
  });
});

describe('normalizeText (the server normalize_text)', () => {
  it('collapses newline, tab and space runs to one space and strips the ends', () => {
    expect(normalizeText('  a\n\n\tb \r\vc  ')).toBe('a b c');
  });

  it('strips what Python strips at the ends, but collapses only its own five characters inside', () => {
    expect(normalizeText('\u00a0\u3000a\fb\u00a0c\u2003')).toBe('a\fb\u00a0c');
  });

  it('keeps the first 100 code points, as Python slices', () => {
    expect(MAX_TEXT_LENGTH).toBe(100);
    expect(normalizeText('x'.repeat(150))).toHaveLength(100);
    const emoji = '😀'.repeat(120);
    expect(Array.from(normalizeText(emoji))).toHaveLength(100);
    expect(normalizeText('abc', 2)).toBe('ab');
  });
});
