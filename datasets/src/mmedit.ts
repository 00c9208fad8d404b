import type { EditRequest } from '@llmedit/core';
import {
  asObject,
  type LoadOptions,
  type LoadResult,
  nonEmptyString,
  parseRecords,
  type RecordContext,
} from './validate.js';

/** An image question/prompt whose answer the edit must not change (MMEdit M-Locality, from OK-VQA). */
export interface MultimodalLocality {
  /** Image path relative to the COCO/MMEdit image root, exactly as given. */
  image: string;
  prompt: string;
  groundTruth: string;
}

/**
 * One MMEdit record (E-VQA `vqa_{train,eval}.json`, E-IC `caption_{train,eval}_edit.json`). Image paths
 * are kept exactly as stored; images are not shipped. `index` (position in the file) is the stable id.
 */
export interface MMEditRecord {
  index: number;
  /** Question (E-VQA) or caption prompt (E-IC). */
  src: string;
  /** The model's answer before editing. */
  pred: string;
  rephrase: string;
  /** The new answer or caption; kept verbatim (some E-IC captions have surrounding spaces). */
  alt: string;
  image: string;
  /** A generated variant of `image` for M-Generality. */
  imageRephrase: string;
  /** Text-only Natural Questions locality probe and its answer. */
  loc: string;
  locAns: string;
  /**
   * Absent when the source leaves `m_loc_a` empty (one E-VQA eval record): the multimodal probe then has
   * no answer positions to compare, so it cannot be scored.
   */
  multimodalLocality?: MultimodalLocality;
}

export function parseMMEditRecord(raw: unknown, ctx: RecordContext): MMEditRecord {
  const rec = asObject(ctx, raw, '(record)');
  const out: MMEditRecord = {
    index: ctx.index,
    src: nonEmptyString(ctx, rec.src, 'src'),
    pred: nonEmptyString(ctx, rec.pred, 'pred'),
    rephrase: nonEmptyString(ctx, rec.rephrase, 'rephrase'),
    alt: nonEmptyString(ctx, rec.alt, 'alt'),
    image: nonEmptyString(ctx, rec.image, 'image'),
    imageRephrase: nonEmptyString(ctx, rec.image_rephrase, 'image_rephrase'),
    loc: nonEmptyString(ctx, rec.loc, 'loc'),
    locAns: nonEmptyString(ctx, rec.loc_ans, 'loc_ans'),
  };
  const mImage = nonEmptyString(ctx, rec.m_loc, 'm_loc');
  const mQuestion = nonEmptyString(ctx, rec.m_loc_q, 'm_loc_q');
  if (rec.m_loc_a !== '') {
    out.multimodalLocality = {
      image: mImage,
      prompt: mQuestion,
      groundTruth: nonEmptyString(ctx, rec.m_loc_a, 'm_loc_a'),
    };
  }
  return out;
}

/** Text locality goes in `locality.nq`; the image probe stays on the record (EditRequest has no slot for it). */
export function mmeditToRequest(rec: MMEditRecord): EditRequest {
  return {
    id: String(rec.index),
    prompt: rec.src,
    targetNew: rec.alt,
    groundTruth: rec.pred,
    rephrasePrompts: [rec.rephrase],
    image: rec.image,
    locality: { nq: [{ prompt: rec.loc, groundTruth: rec.locAns }] },
  };
}

/** Loads MMEdit E-VQA or E-IC records. */
export function loadMMEdit(data: unknown, options: LoadOptions = {}): LoadResult<MMEditRecord> {
  const file = options.file ?? 'MMEdit data';
  const { records, skipped } = parseRecords(
    data,
    file,
    options.lenient ?? false,
    undefined,
    parseMMEditRecord,
  );
  return { records, requests: records.map(mmeditToRequest), skipped };
}
