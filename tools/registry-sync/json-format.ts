/**
 * JSON laid out the way Biome formats the repository's JSON files (2 spaces, objects expanded,
 * short arrays of scalars on one line), so the files the sync writes pass `biome ci` unchanged.
 */

const LINE_WIDTH = 100;

function isScalar(value: unknown): boolean {
  return value === null || typeof value !== 'object';
}

function format(value: unknown, indent: string, prefixLength: number): string {
  if (isScalar(value)) return JSON.stringify(value);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every(isScalar)) {
      const inline = `[${value.map((item) => JSON.stringify(item)).join(', ')}]`;
      // The line holds the prefix (indent and key), the array and a trailing comma.
      if (prefixLength + inline.length + 1 <= LINE_WIDTH) return inline;
    }
    const items = value.map((item) => `${inner}${format(item, inner, inner.length)}`);
    return `[\n${items.join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return '{}';
  const lines = entries.map(([key, item]) => {
    const prefix = `${inner}${JSON.stringify(key)}: `;
    return `${prefix}${format(item, inner, prefix.length)}`;
  });
  return `{\n${lines.join(',\n')}\n${indent}}`;
}

/** `value` as JSON text with a final newline. */
export function formatJson(value: unknown): string {
  return `${format(value, '', 0)}\n`;
}

/** A model package's `src/model-pin.json`, on one line as the packages keep it. */
export function formatPin(pin: { model: string; version: string }): string {
  return `{ "model": ${JSON.stringify(pin.model)}, "version": ${JSON.stringify(pin.version)} }\n`;
}
