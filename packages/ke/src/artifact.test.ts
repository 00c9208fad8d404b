import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, tf } from '@llmedit/core';
import { loadMicroModel } from '@llmedit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  KE_ARTIFACT_FORMAT,
  KE_ARTIFACT_VERSION,
  type KeArtifactConfig,
  KeArtifactError,
  KeModelMismatchError,
  keArtifact,
  loadKeArtifact,
  saveKeArtifact,
} from './artifact.js';
import { KeEditor } from './editor.js';
import { microHparams } from './test-fixture.js';

const validation = { loss: 1, editNll: 1, editAccuracy: 0, rephraseAccuracy: 0, localityKl: 0 };

describe('KE artifact', () => {
  let model: ReturnType<typeof loadMicroModel>;
  let dir: string;
  beforeAll(async () => {
    await initBackend({ prefer: ['wasm'] });
    model = loadMicroModel();
    dir = mkdtempSync(join(tmpdir(), 'ke-artifact-'));
  });
  afterAll(() => {
    model.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  function config(baseModelId: string): KeArtifactConfig {
    return {
      format: KE_ARTIFACT_FORMAT,
      version: KE_ARTIFACT_VERSION,
      baseModelId,
      hparams: microHparams(),
      report: {
        trainingRequests: 0,
        validationRequests: 0,
        seed: 0,
        steps: 0,
        bestStep: 0,
        seconds: 0,
        validationBefore: validation,
        validationAfter: validation,
        multiplier: 1,
        margin: 1e-3,
      },
    };
  }

  it('round-trips the hypernetwork bit for bit', () => {
    const saved = keArtifact(config(model.modelId), KeEditor.create(model, microHparams(), 3));
    const ref = saveKeArtifact(saved, join(dir, 'ok'));
    const tensors = tf.memory().numTensors;
    const loaded = loadKeArtifact(ref.dir, model);
    const a = saved.editor.toHost();
    const b = loaded.editor.toHost();
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [name, t] of a)
      expect(Buffer.from(b.get(name)!.data.buffer).equals(Buffer.from(t.data.buffer))).toBe(true);
    loaded.dispose();
    saved.dispose();
    expect(tf.memory().numTensors).toBe(tensors - a.size);
  });

  it('refuses another model, another version and a damaged file with typed errors', () => {
    const saved = keArtifact(config('another-model'), KeEditor.create(model, microHparams(), 0));
    saveKeArtifact(saved, join(dir, 'foreign'));
    expect(() => loadKeArtifact(join(dir, 'foreign'), model)).toThrow(KeModelMismatchError);
    saveKeArtifact(keArtifact({ ...config(model.modelId), version: 0 }, saved.editor), join(dir, 'old'));
    expect(() => loadKeArtifact(join(dir, 'old'), model)).toThrow(/version 0/);
    const wider = keArtifact(
      { ...config(model.modelId), hparams: microHparams({ hiddenSize: 4 }) },
      saved.editor,
    );
    saveKeArtifact(wider, join(dir, 'hidden'));
    expect(() => loadKeArtifact(join(dir, 'hidden'), model)).toThrow(KeArtifactError);
    writeFileSync(join(dir, 'hidden', 'ke.json'), '{');
    expect(() => loadKeArtifact(join(dir, 'hidden'), model)).toThrow(/not JSON/);
    expect(() => loadKeArtifact(join(dir, 'missing'), model)).toThrow(KeArtifactError);
    saved.dispose();
  });
});
