import { CapabilityError, EditError, edit, InvalidRequestError, initBackend, tf } from '@llmedit/core';
import { loadSplit } from '@llmedit/datasets';
import { scoreTargets } from '@llmedit/models';
import {
  describeEditMethod,
  differingWeights,
  loadMicroModel,
  MICRO_REQUEST,
  weightBytes,
} from '@llmedit/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { MendArtifactError, MendModelMismatchError, mendArtifact } from './artifact.js';
import { mend } from './method.js';
import { mendPreset } from './presets.js';
import { microHparams, trainMicroEditor } from './test-fixture.js';

// One micro editor, meta-trained here on the CounterFact training split (seconds), serves every test below.
await initBackend({ prefer: ['wasm'] });
const trainer = loadMicroModel();
const artifact = await trainMicroEditor(trainer);
trainer.dispose();

describeEditMethod(mend, { hparams: mendPreset('micro'), artifact, timeout: 600_000 });

/** Probability of each request's first target token after its prompt. */
function targetProbabilities(
  model: ReturnType<typeof loadMicroModel>,
  requests: readonly { prompt: string; targetNew: string }[],
) {
  return scoreTargets(
    model,
    requests.map((r) => ({ prompt: r.prompt, target: r.targetNew })),
  ).map((s) => Math.exp(s.logProbs[0]!));
}

describe('mend on the micro model', () => {
  const model = loadMicroModel();
  afterAll(() => {
    model.dispose();
    artifact.dispose();
  });
  // Held out: the evaluation split is never meta-trained on.
  const heldOut = loadSplit('counterfact', 'eval').slice(0, 20);

  it('meta-training lowers the validation loss (L_MEND) of training-split edits it never trained on', () => {
    const { validationBefore, validationAfter } = artifact.config.report;
    expect(validationAfter.loss).toBeLessThan(validationBefore.loss);
  });

  it('raises the target probability of held-out evaluation-split edits', { timeout: 900_000 }, async () => {
    const before = targetProbabilities(model, heldOut);
    const after: number[] = [];
    for (const request of heldOut) {
      const result = await edit({
        method: mend,
        model,
        requests: request,
        hparams: mendPreset('micro'),
        context: { artifact },
      });
      after.push(targetProbabilities(model, [request])[0]!);
      result.revert();
      result.dispose();
    }
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const raised = after.filter((p, i) => p > before[i]!).length;
    expect(raised / heldOut.length).toBeGreaterThanOrEqual(0.9);
    expect(mean(after)).toBeGreaterThan(1.5 * mean(before));
  });

  it('edits a batch in one update (factors of both requests summed) and sequential edits stack and revert', {
    timeout: 600_000,
  }, async () => {
    const [a, b] = heldOut;
    const before = targetProbabilities(model, [a!, b!]);
    const weights = weightBytes(model);
    const batch = await edit({
      method: mend,
      model,
      requests: [a!, b!],
      mode: 'batch',
      hparams: mendPreset('micro'),
      context: { artifact },
    });
    const batched = targetProbabilities(model, [a!, b!]);
    expect(batched[0]).toBeGreaterThan(before[0]!);
    expect(batched[1]).toBeGreaterThan(before[1]!);
    batch.revert();
    batch.dispose();
    const sequence = await edit({
      method: mend,
      model,
      requests: [a!, b!],
      mode: 'sequential',
      hparams: mendPreset('micro'),
      context: { artifact },
    });
    const sequential = targetProbabilities(model, [a!, b!]);
    expect(sequential[0]).toBeGreaterThan(before[0]!);
    expect(sequential[1]).toBeGreaterThan(before[1]!);
    expect(sequence.outcomes).toHaveLength(2);
    sequence.revert();
    sequence.dispose();
    expect(differingWeights(weights, weightBytes(model))).toEqual([]);
  });

  it('refuses an artifact of another model, a missing artifact and a missing folder with typed errors, leaving the model untouched', async () => {
    const weights = weightBytes(model);
    const tensors = tf.memory().numTensors;
    const foreign = mendArtifact({ ...artifact.config, baseModelId: 'some-other-model' }, artifact.editor);
    const attempt = (value: unknown) =>
      edit({
        method: mend,
        model,
        requests: MICRO_REQUEST,
        hparams: mendPreset('micro'),
        context: { artifact: value },
      });
    const causeOf = async (value: unknown) => {
      const error = await attempt(value).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EditError);
      return (error as EditError).cause;
    };
    expect(await causeOf(foreign)).toBeInstanceOf(MendModelMismatchError);
    // core refuses a trained method without an artifact before the method runs.
    await expect(attempt(undefined)).rejects.toThrow(CapabilityError);
    expect(await causeOf({ dir: 'no format' })).toBeInstanceOf(InvalidRequestError);
    expect(await causeOf({ format: 'llmedit-mend', dir: '/nonexistent/mend-artifact' })).toBeInstanceOf(
      MendArtifactError,
    );
    expect(differingWeights(weights, weightBytes(model))).toEqual([]);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('refuses hparams whose layers differ from the artifact', async () => {
    const error = await edit({
      method: mend,
      model,
      requests: MICRO_REQUEST,
      hparams: microHparams({ layers: [1] }),
      context: { artifact },
    }).catch((e: unknown) => e);
    expect(String((error as Error).message) + String((error as EditError).cause)).toMatch(/layers/);
  });
});
