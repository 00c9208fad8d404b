import { describe, expect, it } from 'vitest';
import { createHeldOutChecker, findHeldOutHits } from './held-out.js';

describe('createHeldOutChecker', () => {
  const heldOut = [
    'Incumbent Mayor Jim Suttle sought a second term in office. Spike Hughes is native to',
    'Spike Hughes originates from Philadelphia',
    'Who?',
  ];
  const checker = createHeldOutChecker(heldOut);

  it('finds a held-out string embedded anywhere in a document', () => {
    expect(checker.find('Some text first. Spike Hughes originates from Philadelphia, they say')).toBe(
      'Spike Hughes originates from Philadelphia',
    );
    expect(checker.find('Spike Hughes originates from Philadelphia')).toBe(heldOut[1]);
  });

  it('ignores differences in whitespace (newlines, repeated spaces)', () => {
    expect(
      checker.find(
        'Incumbent Mayor Jim Suttle sought a second term\nin office.  Spike Hughes is native to London',
      ),
    ).toBe(heldOut[0]);
  });

  it('matches strings shorter than its index key', () => {
    expect(checker.find('And then: Who? Nobody.')).toBe('Who?');
  });

  it('does not flag near misses', () => {
    expect(checker.find('Spike Hughes originates from London')).toBeUndefined();
    expect(checker.find('Spike Hughes is native to London')).toBeUndefined();
    expect(checker.find('Spike Hughes originates from Philadelphi')).toBeUndefined();
    expect(checker.size).toBe(3);
  });

  it('findHeldOutHits reports every leaking document with its index', () => {
    const docs = ['clean one', 'x Spike Hughes originates from Philadelphia', 'clean two', 'Who? me'];
    expect(findHeldOutHits(docs, heldOut)).toEqual([
      { index: 1, heldOut: heldOut[1] },
      { index: 3, heldOut: 'Who?' },
    ]);
    expect(findHeldOutHits(docs, checker)).toHaveLength(2);
    expect(findHeldOutHits(['clean'], checker)).toEqual([]);
  });
});
