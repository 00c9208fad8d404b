import type { CounterFactRecord } from '@llmedit/datasets';
import { describe, expect, it } from 'vitest';
import { fillTemplate, poolRelationTemplates, splitParaphrasePrompt, templateOf } from './templates.js';

function record(caseId: number, template: string, subject: string, paraphrases: string[]): CounterFactRecord {
  return {
    caseId,
    relationId: 'P19',
    promptTemplate: template,
    prompt: fillTemplate(template, subject),
    subject,
    targetNew: { str: 'Philadelphia' },
    targetTrue: { str: 'London' },
    paraphrasePrompts: paraphrases,
    neighborhoodPrompts: [],
    attributePrompts: [],
    generationPrompts: [],
  };
}

describe('splitParaphrasePrompt', () => {
  const templates = ['{} originates from', '{} was born in', '{} is native to'];

  it('cuts at a known template of the relation', () => {
    expect(
      splitParaphrasePrompt(
        'Incumbent Mayor Jim Suttle sought a second term in office. Spike Hughes is native to',
        'Spike Hughes',
        templates,
      ),
    ).toEqual({
      prefix: 'Incumbent Mayor Jim Suttle sought a second term in office.',
      statement: 'Spike Hughes is native to',
    });
    // No sentence boundary before the statement: the template still finds it.
    expect(
      splitParaphrasePrompt(
        'References\n\nCategory:Moths described in 1968\nCategory:Cochylini Spike Hughes was born in',
        'Spike Hughes',
        templates,
      ).prefix,
    ).toBe('References\n\nCategory:Moths described in 1968\nCategory:Cochylini');
    expect(splitParaphrasePrompt('Spike Hughes was born in', 'Spike Hughes', templates)).toEqual({
      prefix: '',
      statement: 'Spike Hughes was born in',
    });
  });

  it('falls back to the subject, taking a short question lead-in with it', () => {
    expect(
      splitParaphrasePrompt('Connection fees. What sport does Grant Hill play? They play', 'Grant Hill', []),
    ).toEqual({ prefix: 'Connection fees.', statement: 'What sport does Grant Hill play? They play' });
    expect(splitParaphrasePrompt('He has brown hair. Michael Jordan, the', 'Michael Jordan', [])).toEqual({
      prefix: 'He has brown hair.',
      statement: 'Michael Jordan, the',
    });
    expect(
      splitParaphrasePrompt('Category:Cochylini Bundesautobahn 5 is owned by', 'Bundesautobahn 5', []),
    ).toEqual({
      prefix: 'Category:Cochylini',
      statement: 'Bundesautobahn 5 is owned by',
    });
  });
});

describe('poolRelationTemplates', () => {
  it('pools rewrite templates per relation and adds phrasings of the given paraphrase sources', () => {
    const a = record(1, '{} originates from', 'Spike Hughes', ['Some text. Spike Hughes used to live in']);
    const b = record(2, '{} was born in', 'Max Mosley', ['Other text. Max Mosley is originally from']);
    const pools = poolRelationTemplates([a, b], [b]);
    expect(pools.get('P19')).toEqual(['{} originates from', '{} was born in', '{} is originally from']);
  });

  it('templateOf refuses statements where the subject is missing or repeated', () => {
    expect(templateOf('Spike Hughes was born in', 'Spike Hughes')).toBe('{} was born in');
    expect(templateOf('Max was born in', 'Spike Hughes')).toBeUndefined();
    expect(templateOf('Max, son of Max, was born in', 'Max')).toBeUndefined();
  });
});
