/**
 * Byte-pair encoding of one pre-tokenized word (Sennrich et al. 2016, "Neural Machine Translation of Rare
 * Words with Subword Units", §3.1): start from single symbols and repeatedly apply the lowest-ranked merge.
 */
import { TokenizerError } from '@llmedit/core';
import { encodeUtf8 } from './byte-level.js';

/** Ids and ranks are packed into one float64 key; 2^21 ids covers every published vocabulary. */
const ID_LIMIT = 2 ** 21;
/** Words up to this many symbols use the quadratic scan, longer ones the heap (the scan is faster when short). */
const SCAN_LIMIT = 48;
const POS_LIMIT = 2 ** 26;
const CACHE_LIMIT = 100_000;
const CACHE_MAX_WORD = 256;

export interface BpeModelOptions {
  readonly vocab: ReadonlyMap<string, number>;
  readonly merges: readonly (readonly [string, string])[];
  readonly unkToken?: string | undefined;
  readonly byteFallback?: boolean;
  readonly fuseUnk?: boolean;
  readonly ignoreMerges?: boolean;
}

export class BpeModel {
  readonly vocab: ReadonlyMap<string, number>;
  readonly merges: readonly (readonly [string, string])[];
  readonly unkId: number | undefined;
  /** Largest id in the vocabulary, -1 when empty. */
  readonly maxId: number;
  private readonly idToTokenTable: (string | undefined)[];
  /** pair key -> rank (index of the merge). */
  private readonly ranks = new Map<number, number>();
  /** rank -> id of the merged token. */
  private readonly mergedId: Int32Array;
  private readonly byteIds: Int32Array | undefined;
  private readonly fuseUnk: boolean;
  private readonly ignoreMerges: boolean;
  private cache = new Map<string, readonly number[]>();

  constructor(options: BpeModelOptions) {
    this.vocab = options.vocab;
    this.merges = options.merges;
    this.fuseUnk = options.fuseUnk ?? false;
    this.ignoreMerges = options.ignoreMerges ?? false;
    let maxId = -1;
    this.idToTokenTable = [];
    for (const [token, id] of options.vocab) {
      if (!Number.isInteger(id) || id < 0 || id >= ID_LIMIT) {
        throw new TokenizerError(
          `Vocabulary id ${id} of token ${JSON.stringify(token)} is not an integer in [0, 2^21)`,
        );
      }
      if (this.idToTokenTable[id] !== undefined) {
        throw new TokenizerError(
          `Vocabulary id ${id} is used by both ${JSON.stringify(this.idToTokenTable[id])} and ${JSON.stringify(token)}`,
        );
      }
      this.idToTokenTable[id] = token;
      if (id > maxId) maxId = id;
    }
    this.maxId = maxId;

    this.mergedId = new Int32Array(options.merges.length);
    options.merges.forEach(([a, b], rank) => {
      const left = options.vocab.get(a);
      const right = options.vocab.get(b);
      const merged = options.vocab.get(a + b);
      if (left === undefined || right === undefined) {
        throw new TokenizerError(
          `Merge ${rank} (${JSON.stringify(a)} ${JSON.stringify(b)}) uses a token not in the vocabulary`,
        );
      }
      if (merged === undefined) {
        throw new TokenizerError(
          `Merge ${rank} produces ${JSON.stringify(a + b)}, which is not in the vocabulary`,
        );
      }
      const key = left * ID_LIMIT + right;
      // A repeated pair keeps its first (best) rank.
      if (!this.ranks.has(key)) this.ranks.set(key, rank);
      this.mergedId[rank] = merged;
    });

    if (options.unkToken !== undefined) {
      const unk = options.vocab.get(options.unkToken);
      if (unk === undefined) {
        throw new TokenizerError(`unk_token ${JSON.stringify(options.unkToken)} is not in the vocabulary`);
      }
      this.unkId = unk;
    } else {
      this.unkId = undefined;
    }
    if (options.byteFallback === true) {
      this.byteIds = new Int32Array(256).fill(-1);
      for (let b = 0; b < 256; b++) {
        const id = options.vocab.get(byteFallbackToken(b));
        if (id !== undefined) this.byteIds[b] = id;
      }
    }
  }

  idToToken(id: number): string | undefined {
    return this.idToTokenTable[id];
  }

  /** The ids of one pre-tokenized word. The returned array is shared (cached); do not mutate it. */
  tokenize(word: string): readonly number[] {
    const cached = this.cache.get(word);
    if (cached !== undefined) return cached;
    const ids = this.tokenizeUncached(word);
    if (word.length <= CACHE_MAX_WORD) {
      if (this.cache.size >= CACHE_LIMIT) this.cache = new Map();
      this.cache.set(word, ids);
    }
    return ids;
  }

  private tokenizeUncached(word: string): number[] {
    if (this.ignoreMerges) {
      const whole = this.vocab.get(word);
      if (whole !== undefined) return [whole];
    }
    const symbols = this.initialSymbols(word);
    if (symbols.length < 2) return symbols;
    return symbols.length <= SCAN_LIMIT ? this.mergeByScan(symbols) : this.mergeByHeap(symbols);
  }

  /** One symbol per character; characters outside the vocabulary become byte tokens, unk, or are dropped. */
  private initialSymbols(word: string): number[] {
    const out: number[] = [];
    let lastWasUnk = false;
    for (let i = 0; i < word.length; i++) {
      const code = word.charCodeAt(i);
      const ch = code >= 0xd800 && code <= 0xdbff && i + 1 < word.length ? word.slice(i, i + 2) : word[i]!;
      if (ch.length === 2) i++;
      const id = this.vocab.get(ch);
      if (id !== undefined) {
        out.push(id);
        lastWasUnk = false;
        continue;
      }
      if (this.byteIds !== undefined) {
        const bytes = encodeUtf8(ch);
        const ids = Array.from(bytes, (b) => this.byteIds![b]!);
        if (ids.every((b) => b >= 0)) {
          out.push(...ids);
          lastWasUnk = false;
          continue;
        }
      }
      if (this.unkId !== undefined) {
        if (!(this.fuseUnk && lastWasUnk)) out.push(this.unkId);
        lastWasUnk = true;
      }
      // Without unk the character is dropped, as the Hugging Face BPE model does.
    }
    return out;
  }

  /** Rank of merging (a, b), or -1. */
  rankOf(a: number, b: number): number {
    return this.ranks.get(a * ID_LIMIT + b) ?? -1;
  }

  /** Short words: find the best pair, merge all its occurrences left to right, repeat. */
  private mergeByScan(input: number[]): number[] {
    let symbols = input;
    const ranks = this.ranks;
    while (symbols.length > 1) {
      let bestRank = Number.POSITIVE_INFINITY;
      let bestPos = -1;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const r = ranks.get(symbols[i]! * ID_LIMIT + symbols[i + 1]!);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          bestPos = i;
        }
      }
      if (bestPos < 0) break;
      const a = symbols[bestPos]!;
      const b = symbols[bestPos + 1]!;
      const merged = this.mergedId[bestRank]!;
      const next: number[] = symbols.slice(0, bestPos);
      let i = bestPos;
      while (i < symbols.length) {
        if (i + 1 < symbols.length && symbols[i] === a && symbols[i + 1] === b) {
          next.push(merged);
          i += 2;
        } else {
          next.push(symbols[i]!);
          i++;
        }
      }
      symbols = next;
    }
    return symbols;
  }

  /**
   * Long words: a min-heap of (rank, position) over a linked list of symbols, so a pathological word (a
   * megabyte without spaces) costs O(n log n) rather than O(n^2). Ties go to the leftmost pair, which
   * gives the same result as the scan.
   */
  private mergeByHeap(input: number[]): number[] {
    const n = input.length;
    if (n >= POS_LIMIT)
      throw new TokenizerError(`A pre-tokenized word of ${n} symbols is too long to encode`);
    const sym = Int32Array.from(input);
    const prev = new Int32Array(n);
    const next = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      prev[i] = i - 1;
      next[i] = i + 1 < n ? i + 1 : -1;
    }
    const heap = new MinHeap();
    const push = (pos: number) => {
      const q = next[pos]!;
      if (q < 0) return;
      const r = this.ranks.get(sym[pos]! * ID_LIMIT + sym[q]!);
      if (r !== undefined) heap.push(r * POS_LIMIT + pos);
    };
    for (let i = 0; i + 1 < n; i++) push(i);
    while (heap.size > 0) {
      const key = heap.pop();
      const rank = Math.floor(key / POS_LIMIT);
      const pos = key - rank * POS_LIMIT;
      const q = next[pos]!;
      // Stale entries (a neighbour changed since the push) no longer carry this rank.
      if (sym[pos]! < 0 || q < 0 || this.ranks.get(sym[pos]! * ID_LIMIT + sym[q]!) !== rank) continue;
      sym[pos] = this.mergedId[rank]!;
      sym[q] = -1;
      const after = next[q]!;
      next[pos] = after;
      if (after >= 0) prev[after] = pos;
      if (prev[pos]! >= 0) push(prev[pos]!);
      push(pos);
    }
    const out: number[] = [];
    for (let i = 0; i >= 0; i = next[i]!) out.push(sym[i]!);
    return out;
  }
}

export function byteFallbackToken(byte: number): string {
  return `<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`;
}

/** A binary min-heap of numbers. */
export class MinHeap {
  private readonly items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  push(value: number): void {
    const items = this.items;
    let i = items.length;
    items.push(value);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]! <= value) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = value;
  }

  pop(): number {
    const items = this.items;
    const top = items[0]!;
    const last = items.pop()!;
    const n = items.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && items[r]! < items[l]! ? r : l;
        if (items[c]! >= last) break;
        items[i] = items[c]!;
        i = c;
      }
      items[i] = last;
    }
    return top;
  }
}
