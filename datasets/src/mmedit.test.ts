import { InvalidRequestError } from '@llmedit/core';
import { describe, expect, it } from 'vitest';
import { loadMMEdit } from './mmedit.js';
import { datasetPath, loadMMEditFile } from './node.js';

function goodRecord(): Record<string, unknown> {
  return {
    src: 'Is it sunny?',
    pred: 'no',
    alt: 'yes',
    image: 'val2014/COCO_val2014_000000393513.jpg',
    rephrase: 'Is the current weather condition clear and bright?',
    image_rephrase: 'val2014_image_rephrase/393513.png',
    loc: 'nq question: where is the pause key on a dell laptop',
    loc_ans: 'Ctrl+Fn+F11',
    m_loc: 'val2014/COCO_val2014_000000028343.jpg',
    m_loc_q: 'How is this made?',
    m_loc_a: 'fried',
  };
}

describe('MMEdit', () => {
  it('loads the 2093 E-VQA eval records, keeping image paths and both locality kinds', () => {
    const { records, requests, skipped } = loadMMEditFile(datasetPath('mmeditVqa'));
    expect(records).toHaveLength(2093);
    expect(skipped).toEqual([]);
    expect(requests[0]).toEqual({
      id: '0',
      prompt: 'How many tennis balls are in the picture?',
      targetNew: '2',
      groundTruth: 'no',
      rephrasePrompts: ['What is the number of tennis balls depicted in the image?'],
      image: 'val2014/COCO_val2014_000000451435.jpg',
      locality: {
        nq: [
          {
            prompt: 'nq question: what purpose did seasonal monsoon winds have on trade',
            groundTruth:
              'enabled European empire expansion into the Americas and trade routes to become established across the Atlantic and Pacific oceans',
          },
        ],
      },
    });
    expect(records[0]!.imageRephrase).toBe('val2014_image_rephrase/451435003_COCO_val2014_000000451435.png');
    expect(records[0]!.multimodalLocality).toEqual({
      image: 'val2014/COCO_val2014_000000297147.jpg',
      prompt: 'What sport can you use this for?',
      groundTruth: 'riding',
    });
    // The one record whose m_loc_a is empty in the source keeps everything but the image probe.
    const noImageProbe = records.filter((r) => r.multimodalLocality === undefined).map((r) => r.index);
    expect(noImageProbe).toEqual([1574]);
  });

  it('loads the 1000 E-IC eval records with captions kept verbatim', () => {
    const { records, requests } = loadMMEditFile(datasetPath('mmeditCaption'));
    expect(records).toHaveLength(1000);
    expect(requests[0]!.prompt).toBe('a photo of');
    expect(requests[0]!.targetNew).toBe('A couple trays of cookies on a counter.');
    expect(records.every((r) => r.multimodalLocality !== undefined)).toBe(true);
    expect(records.some((r) => r.alt !== r.alt.trim())).toBe(true);
  });

  it.each([
    ['src', ''],
    ['alt', undefined],
    ['image', ''],
    ['image_rephrase', 3],
    ['loc_ans', ''],
    ['m_loc', ''],
    ['m_loc_q', undefined],
    ['m_loc_a', undefined],
  ])('rejects a bad %s naming file, index and field', (field, value) => {
    const bad = goodRecord();
    if (value === undefined) delete bad[field];
    else bad[field] = value;
    let error: unknown;
    try {
      loadMMEdit([goodRecord(), goodRecord(), bad], { file: 'vqa_eval.json' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as Error).message).toBe(
      `vqa_eval.json record 2: field '${field}' must be a non-empty string`,
    );
  });

  it('lenient mode skips bad records', () => {
    const bad = goodRecord();
    bad.pred = '';
    const { requests, skipped } = loadMMEdit([bad, goodRecord()], { lenient: true });
    expect(requests.map((r) => r.id)).toEqual(['1']);
    expect(skipped.map((s) => [s.index, s.field])).toEqual([[0, 'pred']]);
  });
});
