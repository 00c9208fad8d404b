// Generation entropy of ROME (Meng et al. 2022, appendix: n_gram_entropy) used by EasyEdit as "fluency"
// (reference/easyedit.md section 2.5): score = mean(2/3 H_2, 4/3 H_3), H_n = -sum f log2 f over n-gram frequencies.

/**
 * Word tokens in the spirit of nltk's `word_tokenize`: runs of letters/digits (with inner apostrophes,
 * hyphens and dots as in "don't", "well-known", "3.5") and every other non-space character on its own.
 * nltk additionally splits contractions ("do", "n't") and normalises quotes; entropies of ordinary text
 * agree to within rounding, and what matters here is that pre- and post-edit texts use one rule.
 */
export function wordTokens(text: string): string[] {
  return text.match(/[\p{L}\p{N}]+(?:['’.-][\p{L}\p{N}]+)*|[^\s\p{L}\p{N}]/gu) ?? [];
}

/** Shannon entropy in bits of the n-gram frequency distribution of `tokens` (0 when there is no n-gram). */
export function ngramEntropyOf(tokens: readonly string[], n: number): number {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    // U+0000 cannot occur inside a token, so the joined key is unambiguous.
    const key = tokens.slice(i, i + n).join('\u0000');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const total = Math.max(0, tokens.length - n + 1);
  let h = 0;
  for (const c of counts.values()) {
    const f = c / total;
    h -= f * Math.log2(f);
  }
  return h;
}

/** ROME's weighted n-gram entropy of one text: mean(2/3 H_2, 4/3 H_3) = H_2/3 + 2 H_3/3. */
export function ngramEntropy(text: string): number {
  const tokens = wordTokens(text);
  return ((2 / 3) * ngramEntropyOf(tokens, 2) + (4 / 3) * ngramEntropyOf(tokens, 3)) / 2;
}

/** Mean weighted n-gram entropy over texts (ROME's `n_gram_entropy`, arithmetic aggregation). */
export function meanNgramEntropy(texts: readonly string[]): number {
  if (texts.length === 0) return Number.NaN;
  let sum = 0;
  for (const t of texts) sum += ngramEntropy(t);
  return sum / texts.length;
}
