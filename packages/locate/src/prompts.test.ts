import { InvalidRequestError } from '@llmedit/core';
import type { CausalLM } from '@llmedit/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { microModel } from '../test/micro.js';
import { factTokenIndex, fillSubject, locatePrompt, locateTargetPrompt, subjectTemplate } from './prompts.js';
import { inContext, prepareRequests } from './requests.js';

let model: CausalLM;
beforeAll(async () => {
  model = await microModel();
});

const decode = (ids: readonly number[]) => model.requireTokenizer().decode(ids);

describe('prompt location', () => {
  it('turns the first occurrence of the subject into the template slot, or keeps a given one', () => {
    expect(
      subjectTemplate({ prompt: 'Paris is in France, Paris', subject: 'Paris', targetNew: 'x' }),
    ).toEqual({
      template: '{} is in France, Paris',
      subject: 'Paris',
    });
    expect(subjectTemplate({ prompt: '{} plays', subject: 'Messi', targetNew: 'x' }).template).toBe(
      '{} plays',
    );
    expect(() => subjectTemplate({ prompt: 'Paris is', targetNew: 'x' }, 'case 7')).toThrow(
      InvalidRequestError,
    );
    expect(() => subjectTemplate({ prompt: 'Paris is', subject: 'Rome', targetNew: 'x' })).toThrow(
      /does not occur in the prompt/,
    );
    expect(fillSubject('A {} B', 'xy')).toEqual({ text: 'A xy B', start: 2, end: 4 });
    // '$&' in a prompt must not be expanded by String.replace.
    expect(inContext('I. {}', 'costs $& {}')).toBe('I. costs $& {}');
  });

  it('keeps a literal {} of a filled prompt as text (the subject is the slot)', () => {
    const request = { prompt: 'In set {} notation, Messi', subject: 'Messi', targetNew: 'x' };
    const { template } = subjectTemplate(request);
    expect(template).toBe('In set {{}} notation, {}');
    expect(fillSubject(template, 'Messi')).toEqual({ text: request.prompt, start: 20, end: 25 });
    expect(fillSubject(inContext('I. {}', template), 'Messi').text).toBe(`I. ${request.prompt}`);
    const [prepared] = prepareRequests(model, [request], [['{}'], ['I. {}']], 'subject_last');
    const bare = prepared?.keyPrompts[0]?.[0];
    expect(decode(bare?.ids ?? [])).toBe(request.prompt);
    expect(decode(bare?.ids.slice(0, (bare?.position ?? 0) + 1) ?? [])).toBe(request.prompt);
    const rewrite = prepared?.value.rewrite[1];
    expect(decode(rewrite?.promptIds ?? [])).toBe(`I. ${request.prompt}`);
    // Braces next to the subject, and a brace that is not doubled.
    for (const prompt of ['x{Messi}', '{}} Messi {', 'a { b } Messi']) {
      expect(
        fillSubject(subjectTemplate({ prompt, subject: 'Messi', targetNew: 'x' }).template, 'Messi').text,
      ).toBe(prompt);
    }
    expect(() => fillSubject('{} and {}', 'Messi')).toThrow(/more than one '\{\}' slot/);
  });

  it('finds the subject tokens in a context prompt', () => {
    const template = inContext('Because I like it. {}', '{} speaks');
    const last = locatePrompt(model, template, 'Satyajit Ray', 'subject_last');
    const first = locatePrompt(model, template, 'Satyajit Ray', 'subject_first');
    const end = locatePrompt(model, template, 'Satyajit Ray', 'last');
    expect(decode(last.ids.slice(0, last.position + 1))).toBe('Because I like it. Satyajit Ray');
    expect(decode(last.ids.slice(first.position, last.position + 1)).trim()).toBe('Satyajit Ray');
    expect(decode(first.ids.slice(0, first.position))).toBe('Because I like it.');
    expect(end.position).toBe(end.ids.length - 1);
  });

  it('locates the subject in a prompt followed by its target, as scoring tokenizes them', () => {
    const located = locateTargetPrompt(model, '{} speaks', 'Satyajit Ray', 'French', 'subject_last');
    expect(decode(located.targetIds).trim()).toBe('French');
    expect(decode(located.promptIds)).toBe('Satyajit Ray speaks');
    expect(decode(located.promptIds.slice(0, located.position + 1))).toBe('Satyajit Ray');
    expect(() => locateTargetPrompt(model, '{} speaks', 'Satyajit Ray', '', 'last')).toThrow(/targetNew/);
  });

  it('falls back to decoded spans when a token straddles the subject boundary', () => {
    // 'Ray' inside 'Rays': tokenizing the text up to the subject end is not a prefix of the whole.
    const text = 'Satyajit Rays speak';
    const ids = model.requireTokenizer().encode(text);
    const index = factTokenIndex(model, text, 0, 'Satyajit Ray'.length, ids, 'subject_last');
    expect(decode(ids.slice(0, index + 1)).length).toBeGreaterThanOrEqual('Satyajit Ray'.length);
    expect(decode(ids.slice(0, index)).length).toBeLessThan('Satyajit Ray'.length);
  });
});
