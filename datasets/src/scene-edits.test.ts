import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidRequestError } from '@llmedit/core';
import { afterAll, describe, expect, it } from 'vitest';
import { DatasetError } from './errors.js';
import { dataDir, loadSceneEdits, sceneEditsPath } from './node.js';

// The shape `pnpm --filter @llmedit/multimodal build-edit-sets` writes: MMEdit's snake_case fields, one array.
const record = {
  src: 'What colour is the circle?',
  pred: 'blue',
  rephrase: 'Which colour does the circle have?',
  alt: 'red',
  image: 'scene/1000000/0',
  image_rephrase: 'scene/1000000/1',
  loc: 'nq question: who wrote the origin of species',
  loc_ans: 'Charles Darwin',
  m_loc: 'scene/2000000/0',
  m_loc_q: 'How many shapes are there?',
  m_loc_a: 'two',
};

const dir = mkdtempSync(join(tmpdir(), 'scene-edits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadSceneEdits (scene E-VQA / E-IC through the MMEdit parser)', () => {
  it('reads data/scenes/{task}_{split}.json by default and a given folder on request', () => {
    expect(sceneEditsPath('evqa', 'eval')).toBe(join(dataDir(), 'scenes', 'evqa_eval.json'));
    expect(sceneEditsPath('eic', 'train', dir)).toBe(join(dir, 'eic_train.json'));
    writeFileSync(join(dir, 'evqa_eval.json'), JSON.stringify([record, { ...record, alt: 'green' }]));
    const { records, requests, skipped } = loadSceneEdits('evqa', 'eval', { dir });
    expect(skipped).toEqual([]);
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({
      index: 0,
      imageRephrase: 'scene/1000000/1',
      locAns: 'Charles Darwin',
      multimodalLocality: {
        image: 'scene/2000000/0',
        prompt: 'How many shapes are there?',
        groundTruth: 'two',
      },
    });
    expect(requests[1]).toMatchObject({ id: '1', targetNew: 'green', image: 'scene/1000000/0' });
  });

  it('names the file and the field of a bad record, and says how to build a missing file', () => {
    const { loc_ans: _, ...noLocAns } = record;
    writeFileSync(join(dir, 'eic_eval.json'), JSON.stringify([record, noLocAns]));
    expect(() => loadSceneEdits('eic', 'eval', { dir })).toThrow(InvalidRequestError);
    expect(() => loadSceneEdits('eic', 'eval', { dir })).toThrow(/eic_eval\.json.*loc_ans/);
    expect(loadSceneEdits('eic', 'eval', { dir, lenient: true }).skipped).toHaveLength(1);
    expect(() => loadSceneEdits('evqa', 'train', { dir })).toThrow(/build-edit-sets/);
    expect(() => loadSceneEdits('ocr' as never, 'eval')).toThrow(DatasetError);
    expect(() => loadSceneEdits('evqa', 'test' as never)).toThrow(DatasetError);
  });
});
