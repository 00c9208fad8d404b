// Okapi BM25 (Robertson & Zaragoza 2009, "The Probabilistic Relevance Framework: BM25 and Beyond", eq. 3.30):
// score(q, d) = sum over query terms t of idf(t) * tf(t,d) (k1 + 1) / (tf(t,d) + k1 (1 - b + b |d| / avgdl)),
// idf(t) = ln(1 + (N - n(t) + 0.5) / (n(t) + 0.5)) (the "+1" form, never negative).
import { InvalidHparamsError } from '@llmedit/core';

/** BM25's two free parameters: term-frequency saturation `k1` and length normalisation `b`. */
export interface Bm25Options {
  /** Default 1.2 (Robertson & Zaragoza's usual value). */
  readonly k1?: number;
  /** Default 0.75. */
  readonly b?: number;
}

/** One retrieved document: its index in the indexed list and its score (higher is more similar). */
export interface Bm25Hit {
  readonly index: number;
  readonly score: number;
}

/**
 * Lower-cased letter/digit runs. Punctuation and the demonstration format's newlines only separate terms;
 * Unicode letters count, so "Möst" and "São" stay one term each.
 */
export function terms(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * An in-memory BM25 index over short texts. Built once; `search` is a pass over the postings of the
 * query's terms only, so a query costs time proportional to how often its terms occur, not to the corpus.
 *
 * @example
 * const index = new Bm25Index(['Paris is in France', 'Rome is in Italy']);
 * index.search('Where is Rome?', 1); // [{ index: 1, score: ... }]
 */
export class Bm25Index {
  private readonly postings = new Map<string, { doc: number; tf: number }[]>();
  private readonly lengths: number[];
  private readonly averageLength: number;
  private readonly k1: number;
  private readonly b: number;

  constructor(documents: readonly string[], options: Bm25Options = {}) {
    this.k1 = options.k1 ?? 1.2;
    this.b = options.b ?? 0.75;
    if (!(Number.isFinite(this.k1) && this.k1 >= 0)) {
      throw new InvalidHparamsError('bm25K1', `expected a number >= 0, got ${this.k1}`);
    }
    if (!(Number.isFinite(this.b) && this.b >= 0 && this.b <= 1)) {
      throw new InvalidHparamsError('bm25B', `expected a number in [0, 1], got ${this.b}`);
    }
    this.lengths = documents.map((text, doc) => {
      const counts = new Map<string, number>();
      const words = terms(text);
      for (const word of words) counts.set(word, (counts.get(word) ?? 0) + 1);
      for (const [word, tf] of counts) {
        const list = this.postings.get(word);
        if (list === undefined) this.postings.set(word, [{ doc, tf }]);
        else list.push({ doc, tf });
      }
      return words.length;
    });
    const total = this.lengths.reduce((sum, n) => sum + n, 0);
    // An empty corpus or one of empty texts: every length ratio is taken as 1.
    this.averageLength = total > 0 ? total / this.lengths.length : 1;
  }

  /** Number of indexed documents. */
  get size(): number {
    return this.lengths.length;
  }

  /** Inverse document frequency of a term (0 for terms the corpus lacks: they cannot match). */
  idf(term: string): number {
    const n = this.postings.get(term)?.length ?? 0;
    if (n === 0) return 0;
    const total = this.lengths.length;
    return Math.log(1 + (total - n + 0.5) / (n + 0.5));
  }

  /** Score of every document for `query` (0 where no query term occurs). Repeated query terms count again. */
  scores(query: string): Float64Array {
    const out = new Float64Array(this.lengths.length);
    for (const term of terms(query)) {
      const list = this.postings.get(term);
      if (list === undefined) continue;
      const idf = this.idf(term);
      for (const { doc, tf } of list) {
        const norm = 1 - this.b + (this.b * (this.lengths[doc] as number)) / this.averageLength;
        out[doc] = (out[doc] as number) + (idf * (tf * (this.k1 + 1))) / (tf + this.k1 * norm);
      }
    }
    return out;
  }

  /**
   * The `k` best documents, most similar first; ties go to the lower index so that retrieval is
   * deterministic. Documents that share no term with the query score 0 and still fill the list (IKE always
   * takes k demonstrations).
   */
  search(query: string, k: number): Bm25Hit[] {
    const scores = this.scores(query);
    const order = Array.from(scores.keys());
    order.sort((x, y) => (scores[y] as number) - (scores[x] as number) || x - y);
    return order.slice(0, Math.max(0, k)).map((index) => ({ index, score: scores[index] as number }));
  }
}
