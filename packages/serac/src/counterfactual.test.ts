import { createRng, type EditRequest, initBackend, tf } from '@llmedit/core';
import { loadSplit } from '@llmedit/datasets';
import type { CausalLM } from '@llmedit/models';
import { loadPretrained } from '@llmedit/pretrained';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  copyProposal,
  counterfactualExamples,
  editStatement,
  mixCopy,
  trainCounterfactual,
} from './counterfactual.js';

let micro: CausalLM;
const training: EditRequest[] = [
  {
    prompt: 'Danielle Darrieux speaks',
    targetNew: 'English',
    rephrasePrompts: ['The mother tongue of Danielle Darrieux is'],
    locality: {
      neighborhood: [{ prompt: 'Michel Rocard speaks', groundTruth: 'French' }],
      nq: [{ prompt: 'nq question: who wrote hamlet', groundTruth: 'Shakespeare' }],
    },
  },
  {
    prompt: 'Toko Yasuda plays the',
    targetNew: 'piano',
    rephrasePrompts: ['Toko Yasuda is known for playing the'],
  },
];

beforeAll(async () => {
  await initBackend({ prefer: ['wasm', 'cpu'] });
  micro = loadPretrained('micro');
});
afterAll(() => micro.dispose());

describe('counterfactual model', () => {
  it("keeps the query's own tokens after the statement (the tokenizer never merges across its newline)", () => {
    const model = loadPretrained('default');
    try {
      const tokenizer = model.requireTokenizer();
      const requests = [
        ...loadSplit('counterfact', 'train').slice(0, 40),
        ...loadSplit('zsre', 'train').slice(0, 40),
      ];
      for (const [i, request] of requests.entries()) {
        const statement = editStatement(request);
        const query =
          (requests[(i + 1) % requests.length] as EditRequest).rephrasePrompts?.[0] ?? request.prompt;
        expect([...tokenizer.encode(statement), ...tokenizer.encode(query)]).toEqual(
          tokenizer.encode(statement + query),
        );
      }
    } finally {
      model.dispose();
    }
  });

  it('answers each prompt and rephrase with the target, and locality prompts with their own answer (no NQ)', () => {
    const tokenizer = micro.requireTokenizer();
    const plain = counterfactualExamples(
      micro,
      training,
      { randomTargetFraction: 0, outOfScopePerEdit: 0 },
      createRng(0),
    );
    expect(plain).toHaveLength(4);
    const decoded = plain.map((e) => [
      tokenizer.decode(e.ids.slice(0, e.answerStart)),
      tokenizer.decode(e.ids.slice(e.answerStart)),
    ]);
    expect(decoded[0]).toEqual([
      ' English\nDanielle Darrieux speaks English\nDanielle Darrieux speaks',
      ' English',
    ]);
    expect(decoded[1]).toEqual([
      ' English\nDanielle Darrieux speaks English\nThe mother tongue of Danielle Darrieux is',
      ' English',
    ]);
    expect(decoded[3]?.[1]).toBe(' piano');

    const withLocality = counterfactualExamples(
      micro,
      training,
      { randomTargetFraction: 0, outOfScopePerEdit: 3 },
      createRng(0),
    );
    const answers = withLocality.map((e) => tokenizer.decode(e.ids.slice(e.answerStart)));
    // One usable locality prompt (the NQ one is left out): at most one example however many are asked for.
    expect(answers.filter((a) => a === ' French')).toHaveLength(1);
    expect(answers).not.toContain(' Shakespeare');
  });

  it('ends every answer with the end-of-text token when asked, which is trained on but not part of the answer', () => {
    const eos = micro.requireTokenizer().eosTokenId ?? micro.config.eosTokenId;
    const plain = counterfactualExamples(
      micro,
      training,
      { randomTargetFraction: 0, outOfScopePerEdit: 0 },
      createRng(0),
    );
    const ended = counterfactualExamples(
      micro,
      training,
      { randomTargetFraction: 0, outOfScopePerEdit: 0, endOfText: true },
      createRng(0),
    );
    ended.forEach((e, i) => {
      expect(e.ids).toEqual([...(plain[i]?.ids ?? []), eos]);
      expect(e.answerEnd).toBe(e.ids.length - 1);
      expect(plain[i]?.answerEnd).toBe(plain[i]?.ids.length);
    });
  });

  it('swaps in other targets for the given fraction, answering with the swapped target', () => {
    const tokenizer = micro.requireTokenizer();
    const swapped = counterfactualExamples(
      micro,
      training,
      { randomTargetFraction: 1, outOfScopePerEdit: 0 },
      createRng(5),
    );
    for (const e of swapped) {
      const [first = '', statement = '', query = ''] = tokenizer
        .decode(e.ids.slice(0, e.answerStart))
        .split('\n');
      const answer = tokenizer.decode(e.ids.slice(e.answerStart));
      expect(first).toBe(answer);
      expect(statement.endsWith(answer)).toBe(true);
      expect(query.length).toBeGreaterThan(0);
    }
  });

  it('composes swapped targets of two training targets for the given fraction', () => {
    const tokenizer = micro.requireTokenizer();
    const targets = training.map((r) => r.targetNew);
    const pairsOfTargets = targets.flatMap((a) => targets.map((b) => ` ${a} ${b}`));
    const composed = counterfactualExamples(
      micro,
      training,
      { randomTargetFraction: 1, outOfScopePerEdit: 0, composedTargetFraction: 1 },
      createRng(2),
    );
    for (const e of composed) expect(pairsOfTargets).toContain(tokenizer.decode(e.ids.slice(e.answerStart)));
  });

  it('proposes the next answer token after the longest run of its first tokens, and the first before any', () => {
    const answer = [7, 8, 7, 9];
    // ids: [context 0 1 | query 5 6 ...]; queryStart = 2.
    expect(copyProposal([0, 1, 5, 6], 2, 3, answer)).toEqual({ token: 7, first: true });
    expect(copyProposal([0, 1, 5, 7], 2, 3, answer)).toEqual({ token: 8, first: false });
    expect(copyProposal([0, 1, 5, 7, 8, 7], 2, 5, answer)).toEqual({ token: 9, first: false });
    // The whole answer is there: nothing to copy, and no first token either.
    expect(copyProposal([0, 1, 7, 8, 7, 9], 2, 5, answer)).toBeUndefined();
    expect(copyProposal([0, 1, 7, 8, 7, 9, 5], 2, 6, answer)).toBeUndefined();
    // The context's own tokens never count: the run must lie in the query.
    expect(copyProposal([7, 8, 5], 2, 2, answer)).toEqual({ token: 7, first: true });
  });

  it('mixes proposals into the logits by kind and leaves other positions untouched', () => {
    const logits = tf.tensor2d([
      [0, 1, 2],
      [2, 1, 0],
      [0, 0, 0],
    ]);
    const mixed = mixCopy(logits, [{ token: 0, first: false }, { token: 2, first: true }, undefined], {
      next: 0.9,
      first: 0.5,
    });
    const probs = tf.softmax(mixed);
    const [a, b, c] = probs.arraySync() as number[][];
    const softmax = (row: number[]) => row.map((x) => Math.exp(x) / row.reduce((s, y) => s + Math.exp(y), 0));
    const [p0 = 0, p1 = 0, p2 = 0] = softmax([0, 1, 2]);
    expect(a?.[0]).toBeCloseTo(0.1 * p0 + 0.9, 5);
    expect(a?.[1]).toBeCloseTo(0.1 * p1, 5);
    expect(b?.[2]).toBeCloseTo(0.5 * (softmax([2, 1, 0])[2] as number) + 0.5, 5);
    expect(c).toEqual([1 / 3, 1 / 3, 1 / 3].map((x) => expect.closeTo(x, 6)));
    expect(p2).toBeGreaterThan(0);
    tf.dispose([logits, mixed, probs]);
  });

  it('lowers the answer loss when fine-tuned, and leaks no tensor', async () => {
    const model = loadPretrained('micro');
    const tensors = tf.memory().numTensors;
    const losses: number[] = [];
    const report = await trainCounterfactual(model, training, {
      epochs: 30,
      learningRate: 3e-3,
      batchTokens: 256,
      randomTargetFraction: 0,
      outOfScopePerEdit: 0,
      seed: 0,
      onStep: (_, loss) => losses.push(loss),
    });
    expect(tf.memory().numTensors).toBe(tensors);
    expect(report.steps).toBe(losses.length);
    expect(report.finalLoss).toBeLessThan((losses[0] as number) / 2);
    model.dispose();
  });

  it('trains data-parallel on two threads to the same weights up to float summation order', async () => {
    const options = {
      epochs: 2,
      learningRate: 3e-3,
      batchTokens: 256,
      randomTargetFraction: 0,
      outOfScopePerEdit: 0,
      seed: 0,
    };
    const one = loadPretrained('micro');
    const two = loadPretrained('micro');
    const single = await trainCounterfactual(one, training, options);
    const tensors = tf.memory().numTensors;
    const parallel = await trainCounterfactual(two, training, { ...options, threads: 2 });
    expect(tf.memory().numTensors).toBe(tensors);
    expect(parallel.steps).toBe(single.steps);
    expect(parallel.finalLoss).toBeCloseTo(single.finalLoss, 3);
    let largest = 0;
    for (const name of one.weightNames()) {
      const a = one.weight(name).dataSync();
      const b = two.weight(name).dataSync();
      for (let i = 0; i < a.length; i++)
        largest = Math.max(largest, Math.abs((a[i] as number) - (b[i] as number)));
    }
    expect(largest).toBeLessThan(1e-3);
    one.dispose();
    two.dispose();
  });
});
