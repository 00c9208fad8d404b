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
 * Cache key of a request: its whole content except `id`, because ids repeat across data sets (CounterFact
 * case 7 and zsRE record 7) and a request changed in place would otherwise hit a stale entry, while the
 * same content under another id has the same values.
 */
export function requestKey(request: object): string {
  return stableStringify({ ...request, id: undefined });
}
