import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointError, initBackend, LlmeditError, tf } from '@llmedit/core';
import { sceneImageId, sceneSeeds } from '@llmedit/datasets';
import { scoreTargets } from '@llmedit/models';
import { loadPretrained } from '@llmedit/pretrained/node';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultVlmDir, loadDefaultVlm, vqaExamples } from './node.js';

beforeAll(async () => {
  await initBackend({ prefer: ['wasm', 'cpu'] });
});

describe('the committed default VLM', () => {
  it('loads in front of the unchanged default language model and reads its images', () => {
    const vlm = loadDefaultVlm();
    const lm = loadPretrained('default');
    expect(vlm.languageModel.modelId).toBe(lm.modelId);
    lm.dispose();
    expect(vlm.config.vision).toMatchObject({ imageSize: 64, patchSize: 16 });
    const seed = sceneSeeds('eval', 1)[0]!;
    const before = tf.memory().numTensors;
    // Two renderings of one scene give the same questions; the model's scores depend on the image.
    const [question] = vqaExamples(seed);
    const a = scoreTargets(vlm.withImage(sceneImageId(seed, 0)), [question!]);
    const b = scoreTargets(vlm.withImage(sceneImageId(seed + 1, 0)), [question!]);
    expect(a[0]!.logProbs).not.toEqual(b[0]!.logProbs);
    expect(tf.memory().numTensors).toBe(before);
    vlm.dispose();
  });

  it('refuses a folder whose language model is not the installed one, and a missing folder, with typed errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'default-vlm-'));
    try {
      cpSync(defaultVlmDir(), dir, { recursive: true });
      writeFileSync(
        join(dir, 'language-model.json'),
        JSON.stringify({ checkpoint: 'default', modelId: '0000000000000000' }),
      );
      expect(() => loadDefaultVlm(dir)).toThrow(CheckpointError);
      expect(() => loadDefaultVlm(join(dir, 'missing'))).toThrow(LlmeditError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
