import {
  EditError,
  edit,
  InvalidHparamsError,
  InvalidRequestError,
  initBackend,
  type Tensor,
  tf,
} from '@llmedit/core';
import { ftM } from '@llmedit/ft';
import { DemoPool, ikePreset, ike as textIke } from '@llmedit/ike';
import { kePreset } from '@llmedit/ke';
import { mendPreset } from '@llmedit/mend';
import type { VisionLanguageModel } from '@llmedit/multimodal';
import { seracPreset } from '@llmedit/serac';
import { differingWeights, maxAbsDifference, weightBytes } from '@llmedit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multimodalAdapter } from './adapter.js';
import { ftVision, ftVisionWeightNames } from './ft-vision.js';
import { createMultimodalIke, ftLlm, ike } from './methods.js';
import { mmeditPreset, mmeditPresets } from './presets.js';
import {
  checkContract,
  createMicroVlm,
  IMAGE_REQUEST,
  SECOND_IMAGE_REQUEST,
  targetLogProb,
} from './test-fixture.js';

let vlm: VisionLanguageModel;
beforeAll(async () => {
  await initBackend({ prefer: ['wasm', 'cpu'] });
  vlm = createMicroVlm();
});
afterAll(() => vlm.dispose());

/** Last-position logits of `prompt` read through `model` (a CausalLM view). */
function lastLogits(model: ReturnType<VisionLanguageModel['withImage']>, prompt: string): Float32Array {
  const ids = model.requireTokenizer().encode(prompt);
  return tf.tidy(() => {
    const out = model.forward({ ids: [ids], attentionMask: [ids.map(() => 1)] }, { logits: 'last' });
    return (out.logits as Tensor).dataSync() as Float32Array;
  });
}

describe('ft-llm', () => {
  it('edits the language model with the image before the prompt and reverts bit for bit', async () => {
    const gain = await checkContract({ method: ftLlm, vlm, hparams: mmeditPreset('ft-llm', 'micro') });
    expect(gain).toBeGreaterThan(0);
  });

  it('names its deltas language_model.* and touches no vision weight', async () => {
    const result = await edit({
      method: ftLlm,
      model: vlm,
      requests: IMAGE_REQUEST,
      hparams: mmeditPreset('ft-llm', 'micro'),
    });
    const names = [...result.outcomes[0]!.deltas.keys()];
    expect(names.sort()).toEqual([
      'language_model.transformer.h.1.mlp.c_proj.bias',
      'language_model.transformer.h.1.mlp.c_proj.weight',
    ]);
    expect(result.touchedWeights.every((n) => n.startsWith('language_model.'))).toBe(true);
    expect(result.outcomes[0]!.info?.image).toBe('img:1');
    result.revert();
    result.dispose();
  });

  it('fails mid-edit (aborted after the first epoch) with the model restored and no tensor left', async () => {
    const before = weightBytes(vlm);
    const tensors = tf.memory().numTensors;
    const controller = new AbortController();
    const failure = await edit({
      method: ftLlm,
      model: vlm,
      requests: IMAGE_REQUEST,
      hparams: mmeditPreset('ft-llm', 'micro'),
      context: { signal: controller.signal, onProgress: () => controller.abort() },
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EditError);
    expect(differingWeights(before, weightBytes(vlm))).toEqual([]);
    expect(tf.memory().numTensors).toBe(tensors);
  });
});

describe('ft-vision', () => {
  it('edits the projector and the feature block only, and reverts bit for bit', async () => {
    const gain = await checkContract({ method: ftVision, vlm, hparams: mmeditPreset('ft-vision', 'micro') });
    expect(gain).toBeGreaterThan(0);
    const result = await edit({
      method: ftVision,
      model: vlm,
      requests: IMAGE_REQUEST,
      hparams: mmeditPreset('ft-vision', 'micro'),
    });
    expect(result.touchedWeights.length).toBeGreaterThan(0);
    expect(
      result.touchedWeights.every(
        (n) =>
          n.startsWith('multi_modal_projector.') ||
          n.startsWith('vision_tower.vision_model.encoder.layers.1.'),
      ),
    ).toBe(true);
    result.revert();
    result.dispose();
  });

  it('edits several requests with their own images in one call', async () => {
    const before = weightBytes(vlm);
    const result = await edit({
      method: ftVision,
      model: vlm,
      requests: [IMAGE_REQUEST, SECOND_IMAGE_REQUEST],
      mode: 'batch',
      hparams: mmeditPreset('ft-vision', 'micro'),
    });
    expect(result.outcomes[0]!.info?.images).toEqual(['img:1', 'img:2']);
    result.revert();
    result.dispose();
    expect(differingWeights(before, weightBytes(vlm))).toEqual([]);
  });

  it('fails mid-edit with the model restored and no tensor left', async () => {
    const before = weightBytes(vlm);
    const tensors = tf.memory().numTensors;
    const controller = new AbortController();
    await expect(
      edit({
        method: ftVision,
        model: vlm,
        requests: IMAGE_REQUEST,
        hparams: mmeditPreset('ft-vision', 'micro'),
        context: { signal: controller.signal, onProgress: () => controller.abort() },
      }),
    ).rejects.toBeInstanceOf(EditError);
    expect(differingWeights(before, weightBytes(vlm))).toEqual([]);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('resolves negative vision layers from the feature block and refuses blocks that do not feed it', () => {
    const hparams = mmeditPreset('ft-vision', 'micro');
    const names = ftVisionWeightNames(vlm, { ...hparams, projector: false, visionLayers: [-2] });
    expect(names.length).toBeGreaterThan(0);
    expect(names.every((n) => n.startsWith('vision_tower.vision_model.encoder.layers.0.'))).toBe(true);
    expect(() => ftVisionWeightNames(vlm, { ...hparams, visionLayers: [2] })).toThrow(InvalidHparamsError);
    expect(() => ftVision.hparams.parse({ projector: false, visionLayers: [] })).toThrow(InvalidHparamsError);
  });

  it('rejects an unknown image with a typed error before training, leaving the model as it was', async () => {
    const before = weightBytes(vlm);
    const bad = { ...IMAGE_REQUEST, image: 'scene/x' };
    await expect(
      ftVision.doEdit({ seed: 0 }, vlm, [bad], mmeditPreset('ft-vision', 'micro')),
    ).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(
      ftLlm.doEdit({ seed: 0 }, vlm, [bad], mmeditPreset('ft-llm', 'micro')),
    ).rejects.toBeInstanceOf(InvalidRequestError);
    expect(differingWeights(before, weightBytes(vlm))).toEqual([]);
  });
});

describe('ike (multimodal adapter, a wrapper method)', () => {
  const hparams = () => mmeditPreset('ike', 'micro');

  it('passes the contract: the fact in context after the image, nothing in the weights', async () => {
    await checkContract({ method: ike, vlm, hparams: hparams() });
  });

  it("answers for any image and for text only through the edited model's withImage", async () => {
    const prompt = IMAGE_REQUEST.prompt;
    const plain = [lastLogits(vlm.withImage('img:1'), prompt), lastLogits(vlm.withImage('img:2'), prompt)];
    const plainText = lastLogits(vlm.withImage(undefined), prompt);
    const result = await edit({ method: ike, model: vlm, requests: IMAGE_REQUEST, hparams: hparams() });
    const edited = result.model;
    expect(edited).not.toBe(vlm);
    expect(edited.weightNames()).toEqual(vlm.weightNames());
    const one = edited.withImage('img:1');
    const two = edited.withImage('img:2');
    const text = edited.withImage(undefined);
    expect(edited.withImage('img:1')).toBe(one); // cached per image
    const [a, b, t] = [lastLogits(one, prompt), lastLogits(two, prompt), lastLogits(text, prompt)];
    // The edit is in effect for every image and for text only, and the image still matters.
    expect(maxAbsDifference(a, plain[0]!)).toBeGreaterThan(1e-5);
    expect(maxAbsDifference(b, plain[1]!)).toBeGreaterThan(1e-5);
    expect(maxAbsDifference(t, plainText)).toBeGreaterThan(1e-5);
    expect(maxAbsDifference(a, b)).toBeGreaterThan(1e-5);
    // The multimodal forward of the edited model reads through the same edit.
    const ids = vlm.languageModel.requireTokenizer().encode(prompt);
    const viaForward = tf.tidy(
      () =>
        (
          edited.forward(
            { images: ['img:1'], batch: { ids: [ids], attentionMask: [ids.map(() => 1)] } },
            { logits: 'last' },
          ).logits as Tensor
        ).dataSync() as Float32Array,
    );
    expect(maxAbsDifference(viaForward, a)).toBe(0);
    expect(() =>
      edited.forward({
        images: ['img:1', 'img:2'],
        batch: { ids: [ids, ids], attentionMask: [ids.map(() => 1), ids.map(() => 1)] },
      }),
    ).toThrow(InvalidRequestError);
    result.revert();
    result.dispose();
    expect(maxAbsDifference(lastLogits(vlm.withImage('img:1'), prompt), plain[0]!)).toBe(0);
  });

  it('accumulates sequential edits with different images in one memory, and reverts them all', async () => {
    const tensors = tf.memory().numTensors;
    const result = await edit({
      method: ike,
      model: vlm,
      requests: [IMAGE_REQUEST, SECOND_IMAGE_REQUEST],
      mode: 'sequential',
      hparams: hparams(),
    });
    expect(result.outcomes[1]!.info?.factsInMemory).toBe(2);
    expect(targetLogProb(result.model, SECOND_IMAGE_REQUEST)).not.toBe(
      targetLogProb(vlm, SECOND_IMAGE_REQUEST),
    );
    result.revert();
    result.dispose();
    const again = await edit({ method: ike, model: vlm, requests: IMAGE_REQUEST, hparams: hparams() });
    expect(again.outcomes[0]!.info?.factsInMemory).toBe(1);
    again.revert();
    again.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('retrieves its demonstrations from the pool it is given (createMultimodalIke)', async () => {
    const pool = DemoPool.fromRequests([
      { ...SECOND_IMAGE_REQUEST, id: 'pool-0' },
      { prompt: 'Question: What colour is the square? Short answer:', targetNew: 'red', id: 'pool-1' },
    ]);
    const withPool = createMultimodalIke(pool);
    const result = await edit({
      method: withPool,
      model: vlm,
      requests: IMAGE_REQUEST,
      hparams: { ...hparams(), k: 1 },
    });
    const facts = (result.outcomes[0]!.info as { facts: { demos: { record: string }[] }[] }).facts;
    expect(facts[0]!.demos.map((d) => d.record)).toHaveLength(1);
    expect(['pool-0', 'pool-1']).toContain(facts[0]!.demos[0]!.record);
    result.revert();
    result.dispose();
  });

  it('refuses several requests in one call (one image before the text)', async () => {
    expect(ike.capabilities.batch).toBe(false);
    await expect(
      edit({
        method: ike,
        model: vlm,
        requests: [IMAGE_REQUEST, SECOND_IMAGE_REQUEST],
        mode: 'batch',
        hparams: hparams(),
      }),
    ).rejects.toThrow(/capabilities.batch/);
  });
});

describe('multimodalAdapter', () => {
  it('keeps the text method hparams and sequential flag, and is multimodal with batch false', () => {
    const method = multimodalAdapter(ftM, { id: 'ft-m-mm', displayName: 'FT-M on a VLM' });
    expect(method.capabilities).toEqual({ ...ftM.capabilities, batch: false, multimodal: true });
    expect(method.hparams).toBe(ftM.hparams);
    expect(ike.capabilities.sequential).toBe(textIke.capabilities.sequential);
    expect(ike.capabilities.modifiesWeights).toBe(false);
  });

  it("uses the text packages' own presets for the trained methods (their artifacts were trained with them)", () => {
    for (const preset of ['default', 'micro'] as const) {
      expect(mmeditPreset('serac', preset)).toEqual(seracPreset(preset));
      expect(mmeditPreset('mend', preset)).toEqual(mendPreset(preset));
      expect(mmeditPreset('ke', preset)).toEqual(kePreset(preset));
    }
    expect(mmeditPreset('ike', 'default')).toEqual(ikePreset('default'));
  });

  it('has presets for every method in both files, parsed by the methods', () => {
    for (const preset of ['default', 'micro'] as const) {
      for (const id of Object.keys(mmeditPresets[preset])) {
        expect(() => mmeditPreset(id as 'ike', preset)).not.toThrow();
      }
    }
  });
});
