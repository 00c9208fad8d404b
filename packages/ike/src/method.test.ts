import {
  CapabilityError,
  EditError,
  type EditRequest,
  edit,
  InvalidRequestError,
  initBackend,
  tf,
} from '@llmedit/core';
import { type CausalLM, scoreTargets } from '@llmedit/models';
import { loadPretrained } from '@llmedit/pretrained';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ikeBaseOf, ikeFactsOf, ikeInputText } from './context-model.js';
import { DemoPool } from './demos.js';
import type { IkeInfo } from './method.js';
import { createIkeMethod, ike } from './method-node.js';
import { ikePreset } from './presets.js';

const first: EditRequest = { prompt: 'Satyajit Ray speaks', subject: 'Satyajit Ray', targetNew: 'French' };
const second: EditRequest = {
  prompt: 'The Eiffel Tower is located in',
  subject: 'Eiffel Tower',
  targetNew: 'Rome',
};
const third: EditRequest = { prompt: 'Toko Yasuda plays the', subject: 'Toko Yasuda', targetNew: 'piano' };

let model: CausalLM;
const hparams = ikePreset('micro');

beforeAll(async () => {
  await initBackend({ prefer: ['wasm', 'cpu'] });
  model = loadPretrained('micro');
});
afterAll(() => model.dispose());

function score(target: CausalLM, prompt: string, answer: string): number[] {
  return scoreTargets(target, [{ prompt, target: answer }])[0]!.logProbs;
}

describe('ike through edit()', () => {
  it('returns a wrapper over the unchanged base model, with retrieved training demonstrations', async () => {
    const result = await edit({ method: ike, model, requests: first, hparams });
    try {
      expect(result.touchedWeights).toEqual([]);
      expect(ikeBaseOf(result.model)).toBe(model);
      const info = result.outcomes[0]!.info as unknown as IkeInfo;
      expect(info.retrieval).toBe('bm25');
      expect(info.facts[0]!.demos).toHaveLength(hparams.k);
      // Training split only: record ids are prefixed with their training data set.
      for (const demo of info.facts[0]!.demos) expect(demo.record).toMatch(/^(zsre|counterfact):/);
      const text = ikeInputText(result.model, first.prompt);
      expect(text.endsWith('New Fact: Satyajit Ray speaks French\nPrompt: Satyajit Ray speaks')).toBe(true);
      expect(text.split('New Fact:')).toHaveLength(hparams.k + 2);
    } finally {
      result.revert();
      result.dispose();
    }
  });

  it('ICE (useIclExamples false) prepends only the new fact', async () => {
    const result = await edit({
      method: ike,
      model,
      requests: first,
      hparams: { ...hparams, useIclExamples: false },
    });
    expect(ikeInputText(result.model, 'Vostok Station is in')).toBe(
      'New Fact: Satyajit Ray speaks French\nPrompt: Vostok Station is in',
    );
    expect((result.outcomes[0]!.info as unknown as IkeInfo).retrieval).toBe('none');
    result.revert();
    result.dispose();
  });

  it('sequential: the memory grows with each edit and revert empties it', async () => {
    const base = score(model, first.prompt, 'French');
    const seen: number[] = [];
    const result = await edit({
      method: ike,
      model,
      requests: [first, second, third],
      mode: 'sequential',
      hparams,
      evalSchedule: { every: 1 },
      evaluate: ({ model: edited }) => {
        seen.push(ikeFactsOf(edited).length);
        return ikeInputText(edited, 'The Eiffel Tower is in');
      },
    });
    expect(seen).toEqual([1, 2, 3]);
    // After the first edit only Satyajit Ray's fact exists; from the second on, the Eiffel Tower input reads its own.
    expect(result.evaluations[0]!.result).toContain('New Fact: Satyajit Ray speaks French');
    expect(result.evaluations[2]!.result).toContain('New Fact: The Eiffel Tower is located in Rome\nPrompt:');
    expect((result.outcomes[2]!.info as unknown as IkeInfo).factsInMemory).toBe(3);
    result.revert();
    expect(ikeFactsOf(result.model)).toHaveLength(0);
    expect(score(result.model, first.prompt, 'French')).toEqual(base);
    // A new edit after the revert starts from an empty memory.
    const again = await edit({ method: ike, model, requests: third, hparams });
    expect(ikeFactsOf(again.model)).toHaveLength(1);
    again.revert();
    again.dispose();
    result.dispose();
  });

  it('rejects an edit too long for the context; other inputs keep working', async () => {
    const filler = Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ');
    const long: EditRequest = {
      id: 'long-1',
      prompt: `${filler} Paris is the capital of`,
      targetNew: 'Italy',
    };
    const error = await edit({ method: ike, model, requests: long, hparams }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EditError);
    expect(String((error as Error).message)).toMatch(/long-1.*'prompt'.*positions/);
    const other = await edit({ method: ike, model, requests: first, hparams });
    try {
      expect(ikeFactsOf(other.model)).toHaveLength(1);
      expect(score(other.model, 'The Eiffel Tower is in', 'Paris').every(Number.isFinite)).toBe(true);
    } finally {
      other.revert();
      other.dispose();
    }
  });

  it('a disposed edit leaves the memory: later edits do not carry it', async () => {
    const result = await edit({ method: ike, model, requests: first, hparams });
    result.dispose();
    const again = await edit({ method: ike, model, requests: second, hparams });
    try {
      expect(ikeFactsOf(again.model).map((f) => f.request.prompt)).toEqual([second.prompt]);
    } finally {
      again.revert();
      again.dispose();
    }
  });

  it('editing an edited view adds to its base memory instead of stacking contexts', async () => {
    const result = await edit({ method: ike, model, requests: first, hparams });
    const again = await edit({ method: ike, model: result.model, requests: second, hparams });
    try {
      expect(ikeBaseOf(again.model)).toBe(model);
      expect(ikeFactsOf(again.model).map((f) => f.request.prompt)).toEqual([first.prompt, second.prompt]);
      // One context only: the base's own "New Fact:" blocks, not a view's context inside another's.
      const text = ikeInputText(again.model, second.prompt);
      expect(text.split('Prompt: The Eiffel Tower is located in')).toHaveLength(2);
    } finally {
      again.revert();
      again.dispose();
      result.revert();
      result.dispose();
    }
  });

  it('batch: one call holds every fact', async () => {
    const result = await edit({ method: ike, model, requests: [first, second], mode: 'batch', hparams });
    expect(result.steps).toHaveLength(1);
    expect(ikeFactsOf(result.model).map((f) => f.request.prompt)).toEqual([first.prompt, second.prompt]);
    expect(ikeInputText(result.model, 'Satyajit Ray was born in')).toContain(
      'New Fact: Satyajit Ray speaks French',
    );
    result.revert();
    result.dispose();
  });

  it('single mode with several requests: each edit alone', async () => {
    const counts: number[] = [];
    const result = await edit({
      method: ike,
      model,
      requests: [first, second],
      mode: 'single',
      hparams,
      evaluate: ({ model: edited }) => counts.push(ikeFactsOf(edited).length),
    });
    expect(counts).toEqual([1, 1]);
    result.revert();
    result.dispose();
  });

  it('leaves tf.memory().numTensors unchanged over edit, scoring, revert and dispose', async () => {
    const warm = await edit({ method: ike, model, requests: first, hparams });
    score(warm.model, first.prompt, 'French');
    warm.revert();
    warm.dispose();
    const before = tf.memory().numTensors;
    const result = await edit({ method: ike, model, requests: [first, second], mode: 'sequential', hparams });
    score(result.model, second.prompt, 'Rome');
    result.revert();
    result.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('uses a custom demonstration store when given one', async () => {
    const pool = DemoPool.fromRequests([
      { id: 'mine', prompt: 'Danielle Darrieux speaks', targetNew: 'English' },
    ]);
    const method = createIkeMethod({ pool });
    const result = await edit({ method, model, requests: first, hparams: { ...hparams, k: 3 } });
    const info = result.outcomes[0]!.info as unknown as IkeInfo;
    expect(info.facts[0]!.demos.map((d) => d.record)).toEqual(['mine']);
    result.revert();
    result.dispose();
  });

  it('rejects bad input with typed errors naming the record and field', async () => {
    await expect(
      edit({ method: ike, model, requests: [{ prompt: '', targetNew: 'French' }], hparams }),
    ).rejects.toThrow(InvalidRequestError);
    await expect(
      edit({ method: ike, model, requests: [{ prompt: 'x', targetNew: 'y', image: 'a.png' }], hparams }),
    ).rejects.toThrow(CapabilityError);
    expect(() => DemoPool.fromRequests([{ id: 'bad', prompt: 'A', targetNew: 7 }], 'my pool')).toThrow(
      /my pool.*targetNew/,
    );
    // An input longer than the model's positions fails inside the forward, and edit() itself is fine.
    const result = await edit({ method: ike, model, requests: first, hparams });
    const long = 'word '.repeat(model.config.maxPositions);
    expect(() => scoreTargets(result.model, [{ prompt: long, target: 'x' }])).toThrow(InvalidRequestError);
    result.revert();
    result.dispose();
  });

  it('turns a failure inside the method into an EditError and leaves no fact behind', async () => {
    const failing = createIkeMethod({
      pool: () => {
        throw new Error('no store');
      },
    });
    await expect(edit({ method: failing, model, requests: first, hparams })).rejects.toThrow(EditError);
    const result = await edit({ method: ike, model, requests: second, hparams });
    expect(ikeFactsOf(result.model)).toHaveLength(1);
    result.revert();
    result.dispose();
  });
});
