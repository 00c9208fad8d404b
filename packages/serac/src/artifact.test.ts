import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { edit, InvalidRequestError, initBackend, tf } from '@llmedit/core';
import { loadSplit } from '@llmedit/datasets';
import type { CausalLM } from '@llmedit/models';
import { loadPretrained } from '@llmedit/pretrained';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadSeracArtifact,
  SERAC_ARTIFACT_FORMAT,
  type SeracArtifact,
  SeracArtifactError,
  saveSeracArtifact,
} from './artifact.js';
import { seracHparams } from './hparams.js';
import { createSeracMethod } from './method.js';
import { trainSerac } from './train.js';

const quick = seracHparams.parse({
  classifierDim: 8,
  classifierEpochs: 1,
  counterfactualEpochs: 1,
  validationFraction: 0.2,
});
let micro: CausalLM;
let dir: string;
let trained: SeracArtifact;
const requests = [
  ...loadSplit('counterfact', 'train').slice(0, 12),
  ...loadSplit('zsre', 'train').slice(0, 12),
];

beforeAll(async () => {
  await initBackend({ prefer: ['wasm', 'cpu'] });
  micro = loadPretrained('micro');
  dir = mkdtempSync(join(tmpdir(), 'serac-artifact-'));
  trained = await trainSerac(micro, requests, quick, { seed: 0 });
});
afterAll(() => {
  trained.dispose();
  micro.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('SERAC artifact', () => {
  it('records what training measured, for the model it was trained on', () => {
    const { config } = trained;
    expect(config.baseModelId).toBe(micro.modelId);
    expect(config.report.trainingRequests + config.report.validationRequests).toBe(requests.length);
    expect(config.report.validationRequests).toBe(5);
    expect(config.report.counterfactual.steps).toBeGreaterThan(0);
    expect(config.report.classifier.validationRecall).toBeGreaterThanOrEqual(0);
    expect(config.hparams).toEqual(quick);
  });

  it('saves and loads bit for bit: config, classifier and counterfactual model', async () => {
    const ref = await saveSeracArtifact(trained, join(dir, 'a'));
    expect(ref).toEqual({ format: SERAC_ARTIFACT_FORMAT, dir: join(dir, 'a') });
    const loaded = loadSeracArtifact(ref.dir);
    try {
      expect(loaded.config).toEqual(JSON.parse(JSON.stringify(trained.config)));
      expect(loaded.classifier).toEqual(trained.classifier);
      for (const name of trained.counterfactual.weightNames()) {
        expect(loaded.counterfactual.weight(name).dataSync()).toEqual(
          trained.counterfactual.weight(name).dataSync(),
        );
      }
    } finally {
      loaded.dispose();
    }
  });

  it('refuses a missing folder, another version and a damaged config with a typed error', async () => {
    expect(() => loadSeracArtifact(join(dir, 'nothing'))).toThrow(SeracArtifactError);
    const ref = await saveSeracArtifact(trained, join(dir, 'b'));
    writeFileSync(join(ref.dir, 'serac.json'), JSON.stringify({ ...trained.config, version: 99 }));
    expect(() => loadSeracArtifact(ref.dir)).toThrow(/version 99/);
    writeFileSync(join(ref.dir, 'serac.json'), '{ not json');
    expect(() => loadSeracArtifact(ref.dir)).toThrow(/not JSON/);
  });

  it('trains through doPrepare into the folder the method names, and edits with what it saved', async () => {
    const method = createSeracMethod({ artifactDir: () => join(dir, 'prepared') });
    const ref = await method.doPrepare?.({ seed: 0 }, micro, requests, quick);
    expect(ref).toEqual({ format: SERAC_ARTIFACT_FORMAT, dir: join(dir, 'prepared') });
    const tensors = tf.memory().numTensors;
    const result = await edit({
      method,
      model: micro,
      requests: requests[0] as (typeof requests)[number],
      hparams: quick,
      context: { artifact: ref },
    });
    expect(result.model).not.toBe(micro);
    result.revert();
    result.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('refuses training input it cannot use, naming the field', async () => {
    await expect(trainSerac(micro, requests.slice(0, 1), quick, { seed: 0 })).rejects.toThrow(
      /trainingRequests/,
    );
    await expect(trainSerac(micro, requests, { ...quick, classifierLayer: 9 }, { seed: 0 })).rejects.toThrow(
      InvalidRequestError,
    );
  });
});
