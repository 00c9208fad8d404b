// Test-only: a tiny random VLM over the micro model (the layout of @llmedit/multimodal's own tests), and the
// contract checks every multimodal method of this package must pass (the conformance suite of
// @llmedit/testing assumes a CausalLM, so the VLM equivalents are here).
import {
  type EditContext,
  EditError,
  type EditMethodV1,
  type EditRequest,
  edit,
  InvalidRequestError,
  tf,
} from '@llmedit/core';
import { type CausalLM, scoreTargets } from '@llmedit/models';
import { createRandomVlm, tinyVlmConfig, type VisionLanguageModel } from '@llmedit/multimodal';
import { differingWeights, loadMicroModel, MICRO_REQUEST, weightBytes } from '@llmedit/testing';
import { expect } from 'vitest';

const SIZE = 16;

/** A deterministic image per seed: distinct seeds give distinct features. */
export function testImage(seed: number) {
  const pixels = new Float32Array(SIZE * SIZE * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = ((i * 7 + seed * 13) % 17) / 17;
  return { width: SIZE, height: SIZE, pixels };
}

/** A random VLM (two 16-wide vision blocks, four image tokens) over the micro model; images 'img:<n>'. */
export function createMicroVlm(languageModel: CausalLM = loadMicroModel()): VisionLanguageModel {
  return createRandomVlm(tinyVlmConfig(languageModel.config), languageModel, {
    seed: 3,
    resolveImage: (id) => {
      const match = /^img:(\d+)$/.exec(id);
      if (match === null) throw new InvalidRequestError(`image '${id}'`, 'image', 'is not img:<n>');
      return testImage(Number(match[1]));
    },
  });
}

/** The micro model's edit with an image (E-VQA-style requests carry the image identifier). */
export const IMAGE_REQUEST: EditRequest = Object.freeze({ ...MICRO_REQUEST, image: 'img:1' });
export const SECOND_IMAGE_REQUEST: EditRequest = Object.freeze({
  id: 'micro-second',
  prompt: 'The mother tongue of Danielle Darrieux is',
  targetNew: 'London',
  image: 'img:2',
});

/** Log-probability of the request's target after image + prompt, on `model.withImage(image)`. */
export function targetLogProb(
  model: VisionLanguageModel,
  request: EditRequest,
  image = request.image,
): number {
  const [score] = scoreTargets(model.withImage(image), [
    { prompt: request.prompt, target: request.targetNew },
  ]);
  return (score?.logProbs ?? []).reduce((a, b) => a + b, 0);
}

export interface ContractOptions<H> {
  readonly method: EditMethodV1<H, VisionLanguageModel>;
  readonly vlm: VisionLanguageModel;
  readonly hparams: H;
  readonly context?: Partial<EditContext>;
}

/**
 * Edit then revert leaves every VLM weight bit for bit and no tensor behind; the edit does something (a
 * weight changes, or the wrapper's answer does); a request without an image is a typed error naming it that
 * leaves the model and the tensor count untouched. Returns the edited log-probability gain.
 */
export async function checkContract<H>({
  method,
  vlm,
  hparams,
  context,
}: ContractOptions<H>): Promise<number> {
  expect(method.capabilities.multimodal).toBe(true);
  const before = weightBytes(vlm);
  const tensors = tf.memory().numTensors;
  const baseline = targetLogProb(vlm, IMAGE_REQUEST);
  const result = await edit({ method, model: vlm, requests: IMAGE_REQUEST, hparams, context: context ?? {} });
  const gain = targetLogProb(result.model, IMAGE_REQUEST) - baseline;
  const outcome = result.outcomes[0]!;
  if (method.capabilities.modifiesWeights) {
    expect(result.model).toBe(vlm);
    expect(result.touchedWeights.length).toBeGreaterThan(0);
    for (const name of outcome.deltas.keys()) expect(vlm.weightNames()).toContain(name);
  } else {
    expect(result.touchedWeights).toEqual([]);
    expect(outcome.deltas.size).toBe(0);
  }
  expect(Math.abs(gain)).toBeGreaterThan(1e-6);
  result.revert();
  result.dispose();
  expect(differingWeights(before, weightBytes(vlm))).toEqual([]);
  expect(tf.memory().numTensors).toBe(tensors);
  expect(targetLogProb(vlm, IMAGE_REQUEST)).toBe(baseline);

  // No image: a typed error naming the request and the field, through edit() and from doEdit itself.
  const { image: _image, ...textOnly } = IMAGE_REQUEST;
  const failure = await edit({
    method,
    model: vlm,
    requests: textOnly,
    hparams,
    context: context ?? {},
  }).catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(EditError);
  const cause = (failure as EditError).cause;
  expect(cause).toBeInstanceOf(InvalidRequestError);
  expect((cause as InvalidRequestError).field).toBe('image');
  expect((cause as InvalidRequestError).record).toContain(MICRO_REQUEST.id);
  await expect(method.doEdit({ seed: 0, ...context }, vlm, [textOnly], hparams)).rejects.toBeInstanceOf(
    InvalidRequestError,
  );
  expect(differingWeights(before, weightBytes(vlm))).toEqual([]);
  expect(tf.memory().numTensors).toBe(tensors);
  return gain;
}
