import { describe, expect, it } from 'vitest';
import { meanNgramEntropy, ngramEntropy, ngramEntropyOf, wordTokens } from './ngram-entropy.js';
import { generateFastText } from './sampling.js';

describe('n-gram entropy (fluency, GE)', () => {
  it('splits words and punctuation like a word tokenizer', () => {
    expect(wordTokens("Paris, France. It's well-known!")).toEqual([
      'Paris',
      ',',
      'France',
      '.',
      "It's",
      'well-known',
      '!',
    ]);
  });

  it('matches a hand computation on a fixed text', () => {
    // the cat sat on the cat: bigrams (the,cat) x2, (cat,sat), (sat,on), (on,the) -> f = 2/5, 1/5 x 3;
    // four distinct trigrams -> H3 = 2 bits.
    const h2 = -(0.4 * Math.log2(0.4) + 3 * 0.2 * Math.log2(0.2));
    const tokens = wordTokens('the cat sat on the cat');
    expect(ngramEntropyOf(tokens, 2)).toBeCloseTo(h2, 12);
    expect(h2).toBeCloseTo(1.921928, 6);
    expect(ngramEntropyOf(tokens, 3)).toBeCloseTo(2, 12);
    // ROME's weights: mean(2/3 H2, 4/3 H3) = H2/3 + 2 H3/3.
    expect(ngramEntropy('the cat sat on the cat')).toBeCloseTo(h2 / 3 + 4 / 3, 12);
    expect(ngramEntropy('the cat sat on the cat')).toBeCloseTo(1.973976, 6);
  });

  it('is 0 for repetitive or too-short texts and averages over texts', () => {
    expect(ngramEntropy('go go go go go')).toBe(0);
    expect(ngramEntropy('one')).toBe(0);
    expect(ngramEntropy('')).toBe(0);
    expect(meanNgramEntropy(['go go go', 'the cat sat on the cat'])).toBeCloseTo(
      ngramEntropy('the cat sat on the cat') / 2,
      12,
    );
    expect(meanNgramEntropy([])).toBeNaN();
  });
});

describe('generateFastText', () => {
  it("normalises texts as generate_fast does: NFKD, and each '\\n\\n' becomes a space", () => {
    expect(generateFastText('Café\n\nThe end\n')).toBe('Cafe\u0301 The end\n');
    expect(generateFastText('ﬁne')).toBe('fine'); // a compatibility ligature decomposes
    expect(generateFastText('a\n\n\n\nb')).toBe('a  b');
    // The entropy then sees the paragraphs as one run of words.
    expect(ngramEntropy(generateFastText('x y\n\nx y'))).toBe(ngramEntropy('x y x y'));
  });
});
