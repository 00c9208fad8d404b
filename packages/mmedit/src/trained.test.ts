// SERAC, MEND and KE on a VLM use the text methods' committed artifacts, trained on the default language
// model: here a random vision side before that model, with the artifacts loaded once (loading is not part of
// an edit's tensors).
import { EditError, edit, initBackend } from '@llmedit/core';
import { keArtifactRef, loadKeArtifact, ke as textKe } from '@llmedit/ke';
import { loadMendArtifact, mendArtifactRef, mend as textMend } from '@llmedit/mend';
import type { VisionLanguageModel } from '@llmedit/multimodal';
import { loadPretrained } from '@llmedit/pretrained';
import { loadSeracArtifact, seracArtifactRef } from '@llmedit/serac';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageView } from './image-view.js';
import { ke, mend, serac } from './methods.js';
import { mmeditPreset } from './presets.js';
import { checkContract, createMicroVlm, IMAGE_REQUEST, targetLogProb } from './test-fixture.js';

let vlm: VisionLanguageModel;
let artifacts: { serac: { dispose(): void }; mend: { dispose(): void }; ke: { dispose(): void } };
beforeAll(async () => {
  await initBackend({ prefer: ['wasm', 'cpu'] });
  vlm = createMicroVlm(loadPretrained('default'));
  artifacts = {
    serac: loadSeracArtifact(seracArtifactRef('default').dir),
    mend: loadMendArtifact(mendArtifactRef('default').dir, vlm.languageModel),
    ke: loadKeArtifact(keArtifactRef('default').dir, vlm.languageModel),
  };
});
afterAll(() => {
  for (const artifact of Object.values(artifacts)) artifact.dispose();
  vlm.dispose();
});

describe('trained methods on a VLM over the default language model', () => {
  it('the view the methods edit keeps the language model id (the artifacts check it)', () => {
    expect(imageView(vlm).modelId).toBe(vlm.languageModel.modelId);
    expect(vlm.withImage('img:1').modelId).not.toBe(vlm.languageModel.modelId);
  });

  it('declares training like the text methods (doPrepare trains on the language model, text only)', () => {
    for (const method of [serac, mend, ke]) {
      expect(method.capabilities.requiresTraining).toBe(true);
      expect(typeof method.doPrepare).toBe('function');
      expect(method.capabilities.multimodal).toBe(true);
    }
  });

  it('a text method on a plain withImage view is refused by its artifact check, as the adapter avoids', async () => {
    const view = vlm.withImage('img:1');
    const { image: _image, ...textRequest } = IMAGE_REQUEST;
    const failure = await edit({
      method: textMend,
      model: view,
      requests: textRequest,
      hparams: mmeditPreset('mend', 'default'),
      context: { artifact: artifacts.mend },
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EditError);
    expect(String((failure as Error).message)).toMatch(/trained for model/);
  });

  it('mend: contract (edit, revert bit for bit, no tensor left, typed error without an image)', {
    timeout: 300_000,
  }, async () => {
    const gain = await checkContract({
      method: mend,
      vlm,
      hparams: mmeditPreset('mend', 'default'),
      context: { artifact: artifacts.mend },
    });
    expect(gain).toBeGreaterThan(0);
  });

  it('ke: contract', { timeout: 300_000 }, async () => {
    await checkContract({
      method: ke,
      vlm,
      hparams: mmeditPreset('ke', 'default'),
      context: { artifact: artifacts.ke },
    });
    expect(textKe.capabilities.modifiesWeights).toBe(true);
  });

  it('serac: contract, and the edited model answers for other images and text only', {
    timeout: 300_000,
  }, async () => {
    const hparams = mmeditPreset('serac', 'default');
    const context = { artifact: artifacts.serac };
    await checkContract({ method: serac, vlm, hparams, context });
    const result = await edit({ method: serac, model: vlm, requests: IMAGE_REQUEST, hparams, context });
    for (const image of ['img:1', 'img:2', undefined]) {
      expect(Number.isFinite(targetLogProb(result.model, IMAGE_REQUEST, image))).toBe(true);
    }
    // In scope with its own image: the counterfactual model answers, so the edited target is likelier.
    expect(targetLogProb(result.model, IMAGE_REQUEST)).toBeGreaterThan(targetLogProb(vlm, IMAGE_REQUEST));
    result.revert();
    result.dispose();
  });
});
