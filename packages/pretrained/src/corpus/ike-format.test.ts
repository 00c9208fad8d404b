import { describe, expect, it } from 'vitest';
import { formatIkeDemo, formatIkePrompt, formatIkeQuery } from './ike-format.js';

const newFact = { prompt: 'Spike Hughes originates from', target: 'Philadelphia' };

describe('IKE format', () => {
  it('formats a demonstration as EasyEdit does', () => {
    expect(formatIkeDemo(newFact, newFact)).toBe(
      'New Fact: Spike Hughes originates from Philadelphia\nPrompt: Spike Hughes originates from Philadelphia',
    );
    expect(formatIkeDemo(newFact, { prompt: 'Max Mosley originates from', target: 'London' })).toBe(
      'New Fact: Spike Hughes originates from Philadelphia\nPrompt: Max Mosley originates from London',
    );
  });

  it('leaves the query open after the probe prompt', () => {
    expect(formatIkeQuery(newFact, 'Spike Hughes was born in')).toBe(
      'New Fact: Spike Hughes originates from Philadelphia\nPrompt: Spike Hughes was born in',
    );
  });

  it('joins demonstrations and the query with blank lines, so query + " " + target is a demo', () => {
    const demo = formatIkeDemo({ prompt: 'A is in', target: 'B' }, { prompt: 'A is in', target: 'B' });
    const prompt = formatIkePrompt([demo, demo], newFact, newFact.prompt);
    expect(prompt).toBe(`${demo}\n\n${demo}\n\n${formatIkeQuery(newFact, newFact.prompt)}`);
    expect(`${formatIkeQuery(newFact, newFact.prompt)} ${newFact.target}`).toBe(
      formatIkeDemo(newFact, newFact),
    );
    expect(formatIkePrompt([], newFact, 'X')).toBe(formatIkeQuery(newFact, 'X'));
  });
});
