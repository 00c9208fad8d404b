import { InvalidRequestError, type Tensor, type Tensor1D, type Tensor3D, tf } from '@llmedit/core';
import type { CausalLM, ForwardOptions, TokenBatch } from '@llmedit/models';
import { loadPretrained } from '@llmedit/pretrained';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useWasm } from '../test/toy-model.js';
import {
  type ImageConditionedModel,
  type MultimodalEditRecord,
  multimodalMetricValues,
  multimodalPreEdit,
  multimodalScores,
  multimodalVqaPrompt,
  topKAgreement,
} from './multimodal.js';
import { MissingPreEditError, PROTOCOL_TAGS } from './protocol.js';

/**
 * A tiny stand-in VLM over the random micro language model: an image is a fixed random vector added to every
 * text embedding, so different images give different outputs and `withImage(undefined)` is the LM itself.
 * (@llmedit/multimodal's VisionLanguageModel has the same `withImage`, but this package must not depend on it.)
 */
class TinyVlm implements ImageConditionedModel {
  private readonly vectors = new Map<string, Tensor1D>();
  constructor(readonly lm: CausalLM) {}

  private vector(image: string): Tensor1D {
    let v = this.vectors.get(image);
    if (v === undefined) {
      let seed = 7;
      for (const c of image) seed = (seed * 31 + c.charCodeAt(0)) % 100_003;
      v = tf.randomNormal([this.lm.config.hiddenSize], 0, 1, 'float32', seed) as Tensor1D;
      this.vectors.set(image, v);
    }
    return v;
  }

  withImage(image: string | undefined): CausalLM {
    if (image === undefined) return this.lm;
    const v = this.vector(image);
    const view = Object.create(this.lm) as CausalLM;
    view.forward = (batch: TokenBatch, options: ForwardOptions = {}) =>
      this.lm.forward(batch, {
        ...options,
        hooks: [
          ...(options.hooks ?? []),
          { point: this.lm.layout.embed(), replace: (x: Tensor3D) => tf.add(x, v) as Tensor3D },
        ],
      });
    return view;
  }

  dispose(): void {
    for (const v of this.vectors.values()) v.dispose();
  }
}

const record: MultimodalEditRecord = {
  index: 3,
  src: 'What colour is the circle?',
  rephrase: 'Which colour does the circle have?',
  alt: 'red and blue',
  image: 'scene/1/0',
  imageRephrase: 'scene/1/1',
  loc: 'nq question: who wrote the origin of species',
  locAns: 'Charles Darwin',
  multimodalLocality: { image: 'scene/2/0', prompt: 'How many squares are there?', groundTruth: 'two' },
};
const IMAGES = ['scene/1/0', 'scene/1/1', 'scene/2/0'];

let lm: CausalLM;
let vlm: TinyVlm;

beforeAll(async () => {
  await useWasm();
  lm = loadPretrained('micro');
  vlm = new TinyVlm(lm);
  for (const image of IMAGES) vlm.withImage(image); // create the image vectors before counting tensors
});
afterAll(() => {
  vlm.dispose();
  lm.dispose();
});

/** Reliability by hand: one forward with every logit, argmax at the positions that predict the answer. */
function handAccuracy(view: CausalLM, prompt: string, target: string): number {
  const tokenizer = view.requireTokenizer();
  const { promptIds, targetIds } = tokenizer.encodePair(prompt, target);
  const bos = tokenizer.bosTokenId ?? view.config.bosTokenId;
  const prefix = view.config.architecture === 'llama' && bos !== undefined ? [bos, ...promptIds] : promptIds;
  const ids = [...prefix, ...targetIds];
  const argmax = tf.tidy(() => {
    const { logits } = view.forward({ ids: [ids], attentionMask: [ids.map(() => 1)] }, { logits: 'all' });
    return tf.argMax(logits as Tensor, -1).arraySync() as number[][];
  });
  const hits = targetIds.filter((id, j) => argmax[0]![prefix.length - 1 + j] === id).length;
  return hits / targetIds.length;
}

/** Perturb one MLP matrix of the language model for the length of `run` (an "edit"), then restore it. */
function withPerturbedWeight<T>(run: () => T): T {
  const name = lm.weightNames().find((n) => /mlp/.test(n) && lm.weight(n).shape.length === 2)!;
  const snapshot = lm.snapshotWeights([name]);
  try {
    const w = lm.weight(name);
    tf.tidy(() => lm.setWeight(name, tf.add(w, tf.randomNormal(w.shape, 0, 0.5, 'float32', 11))));
    return run();
  } finally {
    snapshot.restore();
    snapshot.dispose();
  }
}

describe("MMEdit's five metrics (EasyEdit multimodal_evaluate.py)", () => {
  it('gives T- and M-Locality exactly 1 on the unedited model, and leaves no tensor behind', () => {
    const before = tf.memory().numTensors;
    for (const task of ['vqa', 'caption'] as const) {
      const pre = multimodalPreEdit(vlm, record, task);
      expect(pre.imageLocality).toHaveLength(lm.requireTokenizer().encodePair('x', 'two').targetIds.length);
      expect(pre.imageLocality!.every((row) => row.length === 10 && new Set(row).size === 10)).toBe(true);
      const scores = multimodalScores(vlm, record, task, pre);
      expect(scores.tLocality).toBe(1);
      expect(scores.mLocality).toBe(1);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('computes reliability and both generalities as hand-computed token accuracies', () => {
    const pre = multimodalPreEdit(vlm, record, 'vqa');
    const scores = multimodalScores(vlm, record, 'vqa', pre);
    const view = vlm.withImage(record.image);
    expect(scores.reliability).toBe(handAccuracy(view, multimodalVqaPrompt(record.src), record.alt));
    expect(scores.tGenerality).toBe(handAccuracy(view, multimodalVqaPrompt(record.rephrase), record.alt));
    expect(scores.mGenerality).toBe(
      handAccuracy(vlm.withImage(record.imageRephrase), multimodalVqaPrompt(record.src), record.alt),
    );
    // E-IC: the source text is the prompt itself.
    const caption = { ...record, src: 'a photo of', rephrase: 'a photograph of', alt: 'two red circles' };
    const ic = multimodalScores(vlm, caption, 'caption', multimodalPreEdit(vlm, caption, 'caption'));
    expect(ic.reliability).toBe(handAccuracy(view, 'a photo of', caption.alt));
    expect(ic.tGenerality).toBe(handAccuracy(view, 'a photograph of', caption.alt));
  });

  it('drops locality below 1 when a weight is perturbed, and the image changes what is measured', () => {
    const pre = multimodalPreEdit(vlm, record, 'vqa');
    const before = tf.memory().numTensors;
    const post = withPerturbedWeight(() => multimodalScores(vlm, record, 'vqa', pre));
    expect(tf.memory().numTensors).toBe(before);
    expect(post.tLocality).toBeLessThan(1);
    expect(post.mLocality).toBeLessThan(1);
    // Removing the M-Locality probe removes the metric (EasyEdit cannot score an empty m_loc_a either).
    const { multimodalLocality: _, ...noProbe } = record;
    const preNoProbe = multimodalPreEdit(vlm, noProbe, 'vqa');
    expect(preNoProbe.imageLocality).toBeUndefined();
    const scores = multimodalScores(vlm, noProbe, 'vqa', preNoProbe);
    expect(scores.mLocality).toBeUndefined();
    expect(Object.keys(multimodalMetricValues(scores))).toEqual([
      'reliability',
      'tGenerality',
      'mGenerality',
      'tLocality',
    ]);
    expect(multimodalMetricValues(post).mLocality?.tag).toBe(PROTOCOL_TAGS.topKAgreement);
    expect(multimodalMetricValues(post).tLocality?.tag).toBe(PROTOCOL_TAGS.argmaxAgreement);
  });

  it('compares top-10 lists rank by rank: a swap of two ranks costs two entries', () => {
    const a = [
      [1, 2, 3],
      [4, 5, 6],
    ];
    expect(topKAgreement(a, a)).toBe(1);
    expect(
      topKAgreement(a, [
        [2, 1, 3],
        [4, 5, 6],
      ]),
    ).toBeCloseTo(4 / 6, 12);
    expect(() => topKAgreement(a, [[1, 2, 3]])).toThrow(InvalidRequestError);
  });

  it('names the record and the field when a record is incomplete or its pre-edit values do not fit', () => {
    const { loc: _, ...noLoc } = record;
    expect(() => multimodalPreEdit(vlm, noLoc as MultimodalEditRecord, 'vqa')).toThrow(
      /MMEdit record 3: field 'loc'/,
    );
    expect(() => multimodalPreEdit(vlm, { ...record, imageRephrase: '' }, 'vqa')).toThrow(
      /field 'imageRephrase'/,
    );
    const badProbe = { ...record, multimodalLocality: { image: 'scene/2/0', prompt: 'q', groundTruth: '' } };
    expect(() => multimodalPreEdit(vlm, badProbe, 'vqa')).toThrow(/field 'multimodalLocality.groundTruth'/);
    expect(() => multimodalPreEdit(vlm, record, 'ocr' as never)).toThrow(/field 'task'/);
    const pre = multimodalPreEdit(vlm, record, 'vqa');
    expect(() => multimodalScores(vlm, record, 'vqa', { ...pre, imageLocality: undefined })).toThrow(
      MissingPreEditError,
    );
    expect(() => multimodalScores(vlm, record, 'vqa', { ...pre, textLocality: [1] })).toThrow(
      /record MMEdit record 3: pre-edit text locality has 1 positions/,
    );
  });
});
