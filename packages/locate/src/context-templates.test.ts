import type { CausalLM } from '@llmedit/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { microModel } from '../test/micro.js';
import { clearContextTemplateCache, contextTemplates, ROME_CONTEXT_LENGTHS } from './context-templates.js';

let model: CausalLM;
beforeAll(async () => {
  model = await microModel();
});

describe('context templates', () => {
  it("samples ROME's groups: the bare slot, then n prefixes per length from the five seed words", () => {
    clearContextTemplateCache();
    const groups = contextTemplates(model, ROME_CONTEXT_LENGTHS, 3);
    expect(groups.map((g) => g.length)).toEqual([1, 10, 10]);
    expect(groups[0]).toEqual(['{}']);
    const starts = ['The', 'The', 'Therefore', 'Therefore', 'Because', 'Because', 'I', 'I', 'You', 'You'];
    for (const group of groups.slice(1)) {
      group.forEach((template, i) => {
        expect(template.startsWith(starts[i] as string)).toBe(true);
        expect(template.endsWith('. {}')).toBe(true);
        expect(template.split('{}').length).toBe(2);
      });
    }
    // Longer prefixes for the 10-token group than for the 5-token group.
    const tokens = (group: string[]) =>
      group.reduce((s, t) => s + model.requireTokenizer().encode(t.slice(0, -4)).length, 0);
    expect(tokens(groups[2] as string[])).toBeGreaterThan(tokens(groups[1] as string[]));
  });

  it('is deterministic for a seed (also after the cache is cleared) and returns copies', () => {
    clearContextTemplateCache();
    const a = contextTemplates(model, [[6, 5]], 11);
    (a[1] as string[])[0] = 'changed';
    const b = contextTemplates(model, [[6, 5]], 11);
    clearContextTemplateCache();
    const c = contextTemplates(model, [[6, 5]], 11);
    expect(b).toEqual(c);
    expect(b[1]?.[0]).not.toBe('changed');
    const others = [12, 13, 14].map((seed) => contextTemplates(model, [[6, 5]], seed));
    expect(others.some((other) => JSON.stringify(other) !== JSON.stringify(c))).toBe(true);
  });

  it('rejects a bad length pair', () => {
    expect(() => contextTemplates(model, [[0, 5]], 1)).toThrow(/contextTemplateLengthParams\[0\]/);
  });
});
