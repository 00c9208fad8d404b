/** JSON with object keys sorted at every level, so that equal content gives one string whatever the key order. */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
}

/**
 * Cache key of a record: its whole content, not its id, because ids repeat across data sets (CounterFact
 * case 7 and zsRE record 7) and a record edited in place would otherwise hit a stale entry.
 */
export function recordKey(record: unknown): string {
  return stableStringify(record);
}
