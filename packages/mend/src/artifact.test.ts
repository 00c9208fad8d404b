import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, tf } from '@llmedit/core';
import { loadMicroModel } from '@llmedit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadMendArtifact,
  MEND_ARTIFACT_FORMAT,
  MEND_ARTIFACT_VERSION,
  type MendArtifactConfig,
  MendArtifactError,
  MendModelMismatchError,
  mendArtifact,
  saveMendArtifact,
} from './artifact.js';
import { MendEditor } from './editor.js';
import { microHparams } from './test-fixture.js';

const validation = { loss: 1, editNll: 1, editAccuracy: 0, localityKl: 0 };

describe('MEND artifact', () => {
  let model: ReturnType<typeof loadMicroModel>;
  let dir: string;
  beforeAll(async () => {
    await initBackend({ prefer: ['wasm'] });
    model = loadMicroModel();
    dir = mkdtempSync(join(tmpdir(), 'mend-artifact-'));
  });
  afterAll(() => {
    model.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  function config(baseModelId: string): MendArtifactConfig {
    return {
      format: MEND_ARTIFACT_FORMAT,
      version: MEND_ARTIFACT_VERSION,
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
        stepSizes: [],
      },
    };
  }

  it('round-trips the editor bit for bit (network, step sizes, normalisation statistics)', () => {
    const editor = MendEditor.create(model, microHparams(), 3);
    editor.norms
      .values()
      .next()
      .value!.update(Float32Array.from({ length: 160 * 3 }, (_, i) => Math.sin(i)));
    const saved = mendArtifact(config(model.modelId), editor);
    const ref = saveMendArtifact(saved, join(dir, 'ok'));
    const tensors = tf.memory().numTensors;
    const loaded = loadMendArtifact(ref.dir, model);
    const a = saved.editor.toHost();
    const b = loaded.editor.toHost();
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [name, t] of a)
      expect(Buffer.from(b.get(name)!.data.buffer).equals(Buffer.from(t.data.buffer))).toBe(true);
    loaded.dispose();
    saved.dispose();
    expect(tf.memory().numTensors).toBe(tensors - [...a.keys()].filter((n) => !n.endsWith('.norm')).length);
  });

  it('refuses another model, another version and a damaged editor file with typed errors', () => {
    const saved = mendArtifact(config('another-model'), MendEditor.create(model, microHparams(), 0));
    saveMendArtifact(saved, join(dir, 'foreign'));
    expect(() => loadMendArtifact(join(dir, 'foreign'), model)).toThrow(MendModelMismatchError);
    const old = mendArtifact({ ...config(model.modelId), version: 0 }, saved.editor);
    saveMendArtifact(old, join(dir, 'old'));
    expect(() => loadMendArtifact(join(dir, 'old'), model)).toThrow(/version 0/);
    const wrongRank = mendArtifact(
      { ...config(model.modelId), hparams: microHparams({ rank: 4 }) },
      saved.editor,
    );
    saveMendArtifact(wrongRank, join(dir, 'rank'));
    expect(() => loadMendArtifact(join(dir, 'rank'), model)).toThrow(MendArtifactError);
    writeFileSync(join(dir, 'rank', 'mend.json'), '{');
    expect(() => loadMendArtifact(join(dir, 'rank'), model)).toThrow(/not JSON/);
    expect(() => loadMendArtifact(join(dir, 'missing'), model)).toThrow(MendArtifactError);
    saved.dispose();
  });
});
