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
import { KeArtifactError, KeModelMismatchError, keArtifact } from './artifact.js';
import { ke } from './method.js';
import { kePreset } from './presets.js';
import { microHparams, trainMicroEditor } from './test-fixture.js';

// One micro hypernetwork, trained here on the CounterFact training split (seconds), serves every test below.
await initBackend({ prefer: ['wasm'] });
const trainer = loadMicroModel();
const artifact = await trainMicroEditor(trainer);
trainer.dispose();

describeEditMethod(ke, { hparams: kePreset('micro'), artifact, timeout: 600_000 });

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

describe('ke on the micro model', () => {
  const model = loadMicroModel();
  afterAll(() => {
    model.dispose();
    artifact.dispose();
  });
  // Held out: the evaluation split is never meta-trained on.
  const heldOut = loadSplit('counterfact', 'eval').slice(0, 20);

  it('training lowers the validation loss (target NLL + KL) of training-split edits it never trained on', () => {
    const { validationBefore, validationAfter } = artifact.config.report;
    expect(validationAfter.loss).toBeLessThan(validationBefore.loss);
  });

  it('raises the target probability of held-out evaluation-split edits', { timeout: 900_000 }, async () => {
    const before = targetProbabilities(model, heldOut);
    const after: number[] = [];
    for (const request of heldOut) {
      const result = await edit({
        method: ke,
        model,
        requests: request,
        hparams: kePreset('micro'),
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

  it('edits a batch in one update (gradients summed, conditions pooled) and sequential edits stack and revert', {
    timeout: 600_000,
  }, async () => {
    const [a, b] = heldOut;
    const before = targetProbabilities(model, [a!, b!]);
    const weights = weightBytes(model);
    const batch = await edit({
      method: ke,
      model,
      requests: [a!, b!],
      mode: 'batch',
      hparams: kePreset('micro'),
      context: { artifact },
    });
    const batched = targetProbabilities(model, [a!, b!]);
    expect(batched[0]).toBeGreaterThan(before[0]!);
    expect(batched[1]).toBeGreaterThan(before[1]!);
    batch.revert();
    batch.dispose();
    const sequence = await edit({
      method: ke,
      model,
      requests: [a!, b!],
      mode: 'sequential',
      hparams: kePreset('micro'),
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
    const foreign = keArtifact({ ...artifact.config, baseModelId: 'some-other-model' }, artifact.editor);
    const attempt = (value: unknown) =>
      edit({
        method: ke,
        model,
        requests: MICRO_REQUEST,
        hparams: kePreset('micro'),
        context: { artifact: value },
      });
    const causeOf = async (value: unknown) => {
      const error = await attempt(value).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EditError);
      return (error as EditError).cause;
    };
    expect(await causeOf(foreign)).toBeInstanceOf(KeModelMismatchError);
    // core refuses a trained method without an artifact before the method runs.
    await expect(attempt(undefined)).rejects.toThrow(CapabilityError);
    expect(await causeOf({ dir: 'no format' })).toBeInstanceOf(InvalidRequestError);
    expect(await causeOf({ format: 'llmedit-ke', dir: '/nonexistent/ke-artifact' })).toBeInstanceOf(
      KeArtifactError,
    );
    expect(differingWeights(weights, weightBytes(model))).toEqual([]);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('refuses hparams whose layers differ from the artifact', async () => {
    const error = await edit({
      method: ke,
      model,
      requests: MICRO_REQUEST,
      hparams: microHparams({ layers: [1] }),
      context: { artifact },
    }).catch((e: unknown) => e);
    expect(String((error as Error).message) + String((error as EditError).cause)).toMatch(/layers/);
  });
});
