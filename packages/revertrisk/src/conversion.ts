/**
 * How a user turns the published `model.pkl` of revertrisk-language-agnostic into a bundle, in
 * command-line terms: shared by the definition's `offlineNote` (what `liftwing pull` prints) and
 * the error of loading a pickle-only version offline. Cheap to import: no dependencies.
 *
 * @packageDocumentation
 */

/**
 * What a pickle-only version of revertrisk-language-agnostic needs before it runs offline, in
 * command-line terms: what `liftwing pull` prints first, and what loading it offline says.
 *
 * @param version - The registry version that was published as `model.pkl`.
 */
export function conversionSteps(version: string): string {
  const bundle = `${version}-onnx`;
  return (
    `Convert model.pkl (liftwing cache path shows where it is) on a machine with Python 3.9+, ` +
    `knowledge_integrity and onnx: npx liftwing-convert-revertrisk <model.pkl> ./rrla-bundle ` +
    `(the converter ships in @liftwing/revertrisk; see its tools/convert-revertrisk/README.md), ` +
    `then add the bundle to the cache: liftwing cache add revertrisk@${bundle} ./rrla-bundle, and ` +
    `score offline with liftwing predict revertrisk@${bundle} --offline ...`
  );
}
