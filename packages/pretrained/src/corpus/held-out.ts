import { normalizeWhitespace } from './text.js';

/**
 * Finds held-out strings inside documents. The strings and the scanned text are whitespace-normalised, and
 * matching is plain substring matching (a document that merely contains a held-out prompt is a leak).
 * Implementation: an index from each string's first KEY_LENGTH characters to the strings that start with
 * them, probed at every position of the text, so a scan costs one map lookup per character however many
 * strings are held out (a few thousand here).
 */
export interface HeldOutChecker {
  /** Number of distinct (normalised, non-empty) held-out strings. */
  readonly size: number;
  /** The first held-out string found in `text`, or undefined. */
  find(text: string): string | undefined;
}

const KEY_LENGTH = 12;

export function createHeldOutChecker(strings: Iterable<string>): HeldOutChecker {
  const unique = new Set<string>();
  for (const s of strings) {
    const n = normalizeWhitespace(s);
    if (n.length > 0) unique.add(n);
  }
  const index = new Map<string, string[]>();
  const short: string[] = [];
  for (const s of unique) {
    if (s.length < KEY_LENGTH) {
      short.push(s);
      continue;
    }
    const key = s.slice(0, KEY_LENGTH);
    const list = index.get(key);
    if (list === undefined) index.set(key, [s]);
    else list.push(s);
  }
  return {
    size: unique.size,
    find(text: string): string | undefined {
      const t = normalizeWhitespace(text);
      for (const s of short) if (t.includes(s)) return s;
      for (let i = 0; i + KEY_LENGTH <= t.length; i++) {
        const list = index.get(t.slice(i, i + KEY_LENGTH));
        if (list === undefined) continue;
        for (const s of list) if (t.startsWith(s, i)) return s;
      }
      return undefined;
    },
  };
}

/** Every (document index, held-out string) leak in a corpus: empty when the corpus is clean. */
export function findHeldOutHits(
  documents: readonly string[],
  heldOut: Iterable<string> | HeldOutChecker,
): { index: number; heldOut: string }[] {
  const checker = isChecker(heldOut) ? heldOut : createHeldOutChecker(heldOut);
  const hits: { index: number; heldOut: string }[] = [];
  documents.forEach((doc, index) => {
    const found = checker.find(doc);
    if (found !== undefined) hits.push({ index, heldOut: found });
  });
  return hits;
}

function isChecker(value: Iterable<string> | HeldOutChecker): value is HeldOutChecker {
  return typeof (value as HeldOutChecker).find === 'function' && !(Symbol.iterator in value);
}
