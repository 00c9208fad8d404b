import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidRequestError, initBackend, tf } from '@llmedit/core';
import {
  generateScene,
  loadMMEdit,
  renderSceneImage,
  sceneCaption,
  sceneImageId,
  sceneQuestions,
  sceneSeeds,
} from '@llmedit/datasets';
import { scoreTargets } from '@llmedit/models';
import { loadMicroModel } from '@llmedit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyVlmConfig } from './config.js';
import { createRandomVlm } from './create.js';
import { buildSceneEdits, type SceneEditJson, type TextLocalityProbe } from './edit-sets.js';
import { writeSceneEditSets } from './edit-sets-files.js';
import { CAPTION_PROMPT_REPHRASES, vqaPrompt } from './scene-tasks.js';
import type { VisionLanguageModel } from './vlm.js';

const PROBES: TextLocalityProbe[] = [
  { loc: 'nq question: who wrote the origin of species', locAns: 'Charles Darwin' },
  { loc: 'nq question: what is the capital of france', locAns: 'Paris' },
  { loc: 'nq question: how many legs does a spider have', locAns: 'eight' },
];
const EVAL = sceneSeeds('eval', 4);
const LOCALITY = sceneSeeds('locality', 3);

let vlm: VisionLanguageModel;

beforeAll(async () => {
  await initBackend({ prefer: ['wasm', 'cpu'] });
  const lm = loadMicroModel();
  // A tiny random VLM at the scenes' 64x64 size: it gets almost every question wrong.
  vlm = createRandomVlm(tinyVlmConfig(lm.config, 64), lm, { seed: 5, resolveImage: renderSceneImage });
});
afterAll(() => vlm.dispose());

/** Whether the VLM reproduces the answer under teacher forcing (every answer token is the argmax). */
function isRight(image: string, prompt: string, target: string): boolean {
  const [score] = scoreTargets(vlm.withImage(image), [{ prompt, target }]);
  return score!.targetIds.every((id, k) => score!.argmaxIds[k] === id);
}

describe('scene E-VQA / E-IC edit sets (built as MMEdit built its sets)', () => {
  let evqa: ReturnType<typeof buildSceneEdits>;
  beforeAll(() => {
    // A count above what the scenes hold: every scene is scanned and every wrong case kept.
    evqa = buildSceneEdits(vlm, {
      task: 'evqa',
      seeds: EVAL,
      count: 1000,
      textLocality: PROBES,
      localitySeeds: LOCALITY,
    });
  });

  it('keeps exactly the questions the VLM gets wrong, with the correct answer as the target', () => {
    expect(evqa.scannedScenes).toBe(EVAL.length);
    const all = EVAL.flatMap((seed) => sceneQuestions(generateScene(seed)).map((q) => ({ seed, q })));
    expect(evqa.checked).toBe(all.length);
    const wrong = all.filter(
      ({ seed, q }) => !isRight(sceneImageId(seed, 0), vqaPrompt(q.question), q.answer),
    );
    expect(wrong.length).toBeGreaterThan(0);
    expect(evqa.records.length + evqa.droppedEmptyPred).toBe(wrong.length);
    for (const record of evqa.records) {
      const seed = Number(record.image.split('/')[1]);
      const question = sceneQuestions(generateScene(seed)).find((q) => q.question === record.src)!;
      expect(record.image).toBe(sceneImageId(seed, 0));
      expect(record.image_rephrase).toBe(sceneImageId(seed, 1));
      expect(record.alt).toBe(question.answer);
      expect(question.rephrases).toContain(record.rephrase);
      expect(record.pred).toBe(record.pred.trim());
      expect(record.pred).not.toBe('');
    }
  });

  it('uses the probes round-robin: NQ probe k mod n, a question of locality scene k mod m with its answer', () => {
    evqa.records.forEach((record, k) => {
      expect(record.loc).toBe(PROBES[k % PROBES.length]!.loc);
      expect(record.loc_ans).toBe(PROBES[k % PROBES.length]!.locAns);
      const seed = LOCALITY[k % LOCALITY.length]!;
      expect(record.m_loc).toBe(sceneImageId(seed, 0));
      const question = sceneQuestions(generateScene(seed)).find((q) => q.question === record.m_loc_q);
      expect(question?.answer).toBe(record.m_loc_a);
    });
  });

  it('is deterministic, stops at the count, and writes records the MMEdit parser reads unchanged', () => {
    const before = tf.memory().numTensors;
    const again = buildSceneEdits(vlm, {
      task: 'evqa',
      seeds: EVAL,
      count: 3,
      textLocality: PROBES,
      localitySeeds: LOCALITY,
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(again.records).toEqual(evqa.records.slice(0, 3));
    expect(again.scannedScenes).toBeLessThanOrEqual(EVAL.length);
    const { records, skipped } = loadMMEdit(JSON.parse(JSON.stringify(evqa.records)));
    expect(skipped).toEqual([]);
    expect(records[0]).toMatchObject({
      src: evqa.records[0]!.src,
      imageRephrase: evqa.records[0]!.image_rephrase,
      multimodalLocality: { image: evqa.records[0]!.m_loc, groundTruth: evqa.records[0]!.m_loc_a },
    });
  });

  it('builds E-IC from the captions that are not reproduced', () => {
    const eic = buildSceneEdits(vlm, {
      task: 'eic',
      seeds: EVAL,
      count: 2,
      textLocality: PROBES,
      localitySeeds: LOCALITY,
      maxNewTokens: 6,
    });
    expect(eic.records).toHaveLength(2);
    for (const record of eic.records) {
      const seed = Number(record.image.split('/')[1]);
      expect(record.src).toBe('a photo of');
      expect(CAPTION_PROMPT_REPHRASES as readonly string[]).toContain(record.rephrase);
      expect(record.alt).toBe(sceneCaption(generateScene(seed)));
      expect(isRight(record.image, 'a photo of', record.alt)).toBe(false);
    }
  });

  it('refuses bad options with typed errors', () => {
    const base = {
      task: 'evqa' as const,
      seeds: EVAL,
      count: 1,
      textLocality: PROBES,
      localitySeeds: LOCALITY,
    };
    expect(() => buildSceneEdits(vlm, { ...base, localitySeeds: [EVAL[0]!] })).toThrow(/shares scene/);
    expect(() => buildSceneEdits(vlm, { ...base, textLocality: [] })).toThrow(InvalidRequestError);
    expect(() => buildSceneEdits(vlm, { ...base, count: -1 })).toThrow(/field 'count'/);
    expect(() => buildSceneEdits(vlm, { ...base, task: 'ocr' as never })).toThrow(/field 'task'/);
    expect(() =>
      buildSceneEdits(vlm, { ...base, textLocality: [{ loc: 'nq question: x', locAns: ' ' }] }),
    ).toThrow(/text locality probe 0: field 'locAns'/);
  });

  it('writes plain MMEdit arrays and a manifest with the VLM, the command and each file hash', () => {
    const out = mkdtempSync(join(tmpdir(), 'scene-edits-'));
    try {
      const manifest = writeSceneEditSets(vlm, {
        out,
        command: 'test command',
        files: [
          { task: 'evqa', split: 'eval', count: 2, maxScenes: 3 },
          { task: 'eic', split: 'train', count: 1, maxScenes: 3 },
        ],
      });
      expect(manifest.vlmModelId).toBe(vlm.modelId);
      expect(manifest.command).toBe('test command');
      expect(JSON.parse(readFileSync(join(out, 'MANIFEST.json'), 'utf8'))).toEqual(manifest);
      for (const entry of manifest.files) {
        const text = readFileSync(join(out, entry.file), 'utf8');
        expect(createHash('sha256').update(text).digest('hex')).toBe(entry.sha256);
        const records = JSON.parse(text) as SceneEditJson[];
        expect(Array.isArray(records)).toBe(true);
        expect(records).toHaveLength(entry.records);
        // The training file scans training scenes and takes its NQ probes from the ZsRE training split.
        const split = entry.split === 'eval' ? sceneSeeds('eval', 3) : sceneSeeds('train', 3);
        for (const r of records) {
          expect(split).toContain(Number(r.image.split('/')[1]));
          expect(r.loc.startsWith('nq question:')).toBe(true);
          expect(Object.keys(r).sort()).toEqual(
            [
              'alt',
              'image',
              'image_rephrase',
              'loc',
              'loc_ans',
              'm_loc',
              'm_loc_a',
              'm_loc_q',
              'pred',
              'rephrase',
              'src',
            ].sort(),
          );
        }
      }
      expect(manifest.files.map((f) => f.file)).toEqual(['evqa_eval.json', 'eic_train.json']);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
