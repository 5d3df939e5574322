/**
 * "Did you mean ...?": the known words closest to what was typed, for unknown options, commands,
 * cache commands and models.
 *
 * @packageDocumentation
 */

/**
 * The edit distance of `a` and `b`: insertions, deletions, substitutions and swaps of two
 * neighbouring letters (`versoin` is one edit from `version`), each counting one.
 */
export function editDistance(a: string, b: string): number {
  // Three rows of the optimal string alignment table: two back for the swaps.
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, before[j - 2]! + 1);
      }
      current.push(best);
    }
    before = previous;
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The candidates close enough to `typed` to be what was meant, closest first (ties in the
 * candidates' order), at most `limit`. Close enough: at most a third of the letters wrong (at
 * least one), case ignored; or a candidate that starts with what was typed (`revert` for
 * `revertrisk`) when three letters or more were.
 */
export function closest(typed: string, candidates: readonly string[], limit = 3): string[] {
  const word = typed.toLowerCase();
  if (word === '') return [];
  const allowed = Math.max(1, Math.floor(word.length / 3));
  const scored: { candidate: string; distance: number }[] = [];
  for (const candidate of new Set(candidates)) {
    const other = candidate.toLowerCase();
    const distance = editDistance(word, other);
    if (distance <= allowed) scored.push({ candidate, distance });
    // A prefix ranks after every near miss: it may well be something else that starts alike.
    else if (word.length >= 3 && other.startsWith(word)) {
      scored.push({ candidate, distance: allowed + 1 });
    }
  }
  return scored
    .sort((x, y) => x.distance - y.distance)
    .slice(0, limit)
    .map(({ candidate }) => candidate);
}

/** `a`, `a or b`, `a, b or c`. */
export function either(words: readonly string[]): string {
  return words.length <= 1
    ? (words[0] ?? '')
    : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

/**
 * ` Did you mean x?` (with a leading space) for the candidates closest to `typed`, each shown by
 * `show`; empty when none is close.
 */
export function didYouMean(
  typed: string,
  candidates: readonly string[],
  show: (candidate: string) => string = (candidate) => candidate,
): string {
  return meant(closest(typed, candidates).map(show));
}

/** ` Did you mean x?` (with a leading space) for words already found; empty for none. */
export function meant(found: readonly string[]): string {
  return found.length === 0 ? '' : ` Did you mean ${either(found)}?`;
}
