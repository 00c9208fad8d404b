/**
 * Byte-level BPE training (Sennrich et al. 2016, §3.1; byte-level variant of Radford et al. 2019, §2.2):
 * count pre-tokenized words once, then repeatedly merge the most frequent adjacent pair, updating pair
 * counts only in the words that contain it.
 */
import { TokenizerError } from '@llmedit/core';
import { type BpeTokenizer, fromTokenizerJson } from './bpe-tokenizer.js';
import { BYTE_TO_CHAR, toByteChars } from './byte-level.js';
import { byteLevelTokenizerJson } from './loaders.js';
import { gpt2SplitRegex } from './pipeline.js';
import { escapeRegex } from './regex.js';

export interface TrainByteLevelBpeOptions {
  /** Total vocabulary size: special tokens + 256 byte tokens + merges. An upper bound (see minFrequency). */
  readonly vocabSize: number;
  /** Special tokens (e.g. '<|endoftext|>'), given ids 0, 1, ... in order; never split and never learned. */
  readonly specialTokens?: readonly string[];
  /** Stop merging once the best pair occurs fewer times than this (default 2). */
  readonly minFrequency?: number;
}

const PAIR_BASE = 2 ** 21;

interface HeapEntry {
  count: number;
  key: number;
}

/** Max-heap on count; ties go to the smaller pair key (left id, then right id), for deterministic output. */
class PairHeap {
  private readonly items: HeapEntry[] = [];

  get size(): number {
    return this.items.length;
  }

  private static before(x: HeapEntry, y: HeapEntry): boolean {
    return x.count > y.count || (x.count === y.count && x.key < y.key);
  }

  push(entry: HeapEntry): void {
    const items = this.items;
    let i = items.length;
    items.push(entry);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!PairHeap.before(entry, items[parent]!)) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = entry;
  }

  pop(): HeapEntry | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined) return undefined;
    const n = items.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && PairHeap.before(items[r]!, items[l]!) ? r : l;
        if (!PairHeap.before(items[c]!, last)) break;
        items[i] = items[c]!;
        i = c;
      }
      items[i] = last;
    }
    return top;
  }
}

function addWhere(where: Map<number, Set<number>>, key: number, word: number): void {
  const set = where.get(key);
  if (set === undefined) where.set(key, new Set([word]));
  else set.add(word);
}

/** Counts GPT-2 pre-tokenized words of `texts`, with special tokens cut out first. */
function countWords(texts: Iterable<string>, specials: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  const re = gpt2SplitRegex();
  const sorted = [...specials].sort((a, b) => b.length - a.length);
  const specialRe = sorted.length > 0 ? new RegExp(sorted.map(escapeRegex).join('|'), 'u') : undefined;
  const countSegment = (segment: string) => {
    for (const m of segment.matchAll(re)) counts.set(m[0], (counts.get(m[0]) ?? 0) + 1);
  };
  for (const text of texts) {
    if (typeof text !== 'string') throw new TokenizerError('trainByteLevelBpe: every text must be a string');
    if (specialRe === undefined) countSegment(text);
    else for (const segment of text.split(specialRe)) countSegment(segment);
  }
  return counts;
}

/**
 * Trains a byte-level BPE tokenizer (GPT-2 pre-tokenization, 256 byte tokens, learned merges). Ids: special
 * tokens first, then bytes 0..255, then merges in the order learned. The result serializes (toJSON) to a
 * Hugging Face tokenizer.json. Deterministic: the same texts and options give the same tokenizer.
 */
export function trainByteLevelBpe(texts: Iterable<string>, options: TrainByteLevelBpeOptions): BpeTokenizer {
  const specials = [...(options.specialTokens ?? [])];
  const minFrequency = options.minFrequency ?? 2;
  if (
    new Set(specials).size !== specials.length ||
    specials.some((s) => typeof s !== 'string' || s.length === 0)
  ) {
    throw new TokenizerError('trainByteLevelBpe: specialTokens must be distinct non-empty strings');
  }
  const byteTokens = new Set(BYTE_TO_CHAR);
  const clash = specials.find((s) => byteTokens.has(s));
  if (clash !== undefined) {
    throw new TokenizerError(`trainByteLevelBpe: special token ${JSON.stringify(clash)} equals a byte token`);
  }
  if (
    !Number.isInteger(options.vocabSize) ||
    options.vocabSize < specials.length + 256 ||
    options.vocabSize > PAIR_BASE
  ) {
    throw new TokenizerError(
      `trainByteLevelBpe: vocabSize ${options.vocabSize} must be an integer in [${specials.length + 256}, 2^21] ` +
        '(special tokens + 256 byte tokens at least)',
    );
  }
  if (!(minFrequency >= 1)) throw new TokenizerError('trainByteLevelBpe: minFrequency must be at least 1');

  const tokens: string[] = [...specials, ...BYTE_TO_CHAR];
  const tokenIds = new Map<string, number>(tokens.map((t, i) => [t, i]));
  const specialSet = new Set(specials);

  // Words as symbol-id sequences with their frequencies.
  const words: number[][] = [];
  const freqs: number[] = [];
  for (const [word, count] of countWords(texts, specials)) {
    const chars = toByteChars(word);
    const symbols = new Array<number>(chars.length);
    for (let i = 0; i < chars.length; i++) symbols[i] = tokenIds.get(chars[i]!)!;
    words.push(symbols);
    freqs.push(count);
  }

  const pairCounts = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  words.forEach((symbols, w) => {
    const f = freqs[w]!;
    for (let i = 0; i + 1 < symbols.length; i++) {
      const key = symbols[i]! * PAIR_BASE + symbols[i + 1]!;
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + f);
      addWhere(where, key, w);
    }
  });
  const heap = new PairHeap();
  for (const [key, count] of pairCounts) heap.push({ count, key });

  const merges: [string, string][] = [];
  const changed = new Set<number>();
  while (tokens.length < options.vocabSize) {
    const entry = heap.pop();
    if (entry === undefined) break;
    const current = pairCounts.get(entry.key) ?? 0;
    if (current !== entry.count) continue; // stale: a fresher entry for this pair is in the heap
    if (current < minFrequency) break;
    const a = Math.floor(entry.key / PAIR_BASE);
    const b = entry.key - a * PAIR_BASE;
    const merged = tokens[a]! + tokens[b]!;
    pairCounts.delete(entry.key);
    if (specialSet.has(merged)) continue; // never learn a special token's text as a normal token
    let id = tokenIds.get(merged);
    if (id === undefined) {
      id = tokens.length;
      tokens.push(merged);
      tokenIds.set(merged, id);
    }
    merges.push([tokens[a]!, tokens[b]!]);

    const affected = where.get(entry.key);
    where.delete(entry.key);
    if (affected === undefined) continue;
    changed.clear();
    for (const w of affected) {
      const old = words[w]!;
      const next: number[] = [];
      for (let i = 0; i < old.length; i++) {
        if (i + 1 < old.length && old[i] === a && old[i + 1] === b) {
          next.push(id);
          i++;
        } else {
          next.push(old[i]!);
        }
      }
      if (next.length === old.length) continue;
      const f = freqs[w]!;
      const newKeys = new Set<number>();
      for (let i = 0; i + 1 < next.length; i++) newKeys.add(next[i]! * PAIR_BASE + next[i + 1]!);
      for (let i = 0; i + 1 < old.length; i++) {
        const key = old[i]! * PAIR_BASE + old[i + 1]!;
        if (key === entry.key) continue;
        const c = (pairCounts.get(key) ?? 0) - f;
        if (c > 0) pairCounts.set(key, c);
        else pairCounts.delete(key);
        changed.add(key);
        if (!newKeys.has(key)) where.get(key)?.delete(w);
      }
      for (let i = 0; i + 1 < next.length; i++) {
        const key = next[i]! * PAIR_BASE + next[i + 1]!;
        pairCounts.set(key, (pairCounts.get(key) ?? 0) + f);
        changed.add(key);
        addWhere(where, key, w);
      }
      words[w] = next;
    }
    for (const key of changed) {
      const count = pairCounts.get(key);
      if (count !== undefined && count > 0) heap.push({ count, key });
    }
  }

  const vocab: Record<string, number> = {};
  tokens.forEach((t, i) => {
    vocab[t] = i;
  });
  const added = specials.map((content, id) => ({ id, content }));
  return fromTokenizerJson(byteLevelTokenizerJson(vocab, merges, added));
}
