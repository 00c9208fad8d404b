import { describe, expect, it } from 'vitest';
import { parseRecalledRelation, recalledRelationSentence } from './recalled.js';

function sentence(triple: string): string | undefined {
  const parsed = parseRecalledRelation(triple);
  return parsed === undefined ? undefined : recalledRelationSentence(parsed);
}

describe('recalled relations', () => {
  it('parses triples, keeping commas inside the object', () => {
    expect(parseRecalledRelation('(Philadelphia, known for, cheesesteaks)')).toEqual({
      subject: 'Philadelphia',
      relation: 'known for',
      object: 'cheesesteaks',
    });
    expect(parseRecalledRelation('(Paris, located in, Île-de-France, France)')?.object).toBe(
      'Île-de-France, France',
    );
    expect(parseRecalledRelation('Philadelphia known for cheesesteaks')).toBeUndefined();
  });

  it('reads participles with "is", finite verbs as they are, and nouns as "The r of s is o"', () => {
    expect(sentence('(Philadelphia, known for, cheesesteaks)')).toBe(
      'Philadelphia is known for cheesesteaks',
    );
    expect(sentence('(Microsoft, founded by, Bill Gates)')).toBe('Microsoft is founded by Bill Gates');
    expect(sentence('(Lionel Messi, plays in, Spain)')).toBe('Lionel Messi plays in Spain');
    expect(sentence('(France, capital, Paris)')).toBe('The capital of France is Paris');
    expect(sentence('(Nepal, highest peak, Mount Everest)')).toBe(
      'The highest peak of Nepal is Mount Everest',
    );
    expect(sentence('(Rome, is the capital of, Italy)')).toBe('Rome is the capital of Italy');
    expect(sentence('(Spielberg, directed, Jaws)')).toBe('Spielberg directed Jaws');
  });
});
