// MMEdit's five metrics (Cheng et al. 2023, "Can We Edit Multimodal Large Language Models?"), as EasyEdit's
// multimodal_evaluate.py computes them (reference/easyedit.md section 2.10). Everything is teacher forced on
// prompt + " " + target.
import { InvalidRequestError, type Tensor2D, tf } from '@llmedit/core';
import { type CausalLM, encodeTargetPair, type IdPair, scoreIdPairs } from '@llmedit/models';
import { type MetricValue, MissingPreEditError, PROTOCOL_TAGS } from './protocol.js';
import { argmaxAgreement, tokenAccuracy } from './token-metrics.js';

/**
 * A model that reads an image before the text: `withImage(undefined)` is the language model alone.
 * Structural, so that `@llmedit/multimodal`'s VisionLanguageModel and any edited wrapper of it fit without this
 * package depending on it.
 */
export interface ImageConditionedModel {
  withImage(image: string | undefined): CausalLM;
}

/** E-VQA (the question goes in EasyEdit's VQA template) or E-IC (the source text is the caption prompt). */
export type MultimodalTask = 'vqa' | 'caption';

/**
 * The fields of one MMEdit record the metrics read (`@llmedit/datasets`' MMEditRecord has them). Declared
 * here rather than imported so the evaluation does not pull the data loaders in.
 */
export interface MultimodalEditRecord {
  /** Position in its file; names the record in errors. */
  index?: number;
  src: string;
  rephrase: string;
  alt: string;
  image: string;
  imageRephrase: string;
  loc: string;
  locAns: string;
  /** Absent when the source record has no M-Locality answer: M-Locality is then not scored. */
  multimodalLocality?: { image: string; prompt: string; groundTruth: string };
}

/** The pre-edit values the locality metrics compare against (computed once on the unedited model). */
export interface MultimodalPreEdit {
  /** Argmax ids at the NQ answer positions, text only. */
  textLocality: number[];
  /** The 10 most likely ids, best first, at each M-Locality answer position; undefined without a probe. */
  imageLocality: number[][] | undefined;
}

/** MMEdit's numbers for one record, each in [0, 1]. */
export interface MultimodalScores {
  /** Image + src -> alt, token accuracy. */
  reliability: number;
  /** Same image + rephrase -> alt. */
  tGenerality: number;
  /** The rephrased image + src -> alt. */
  mGenerality: number;
  /** Text only NQ probe: pre/post argmax agreement over the answer positions. */
  tLocality: number;
  /** Other image + VQA probe: pre/post top-10 agreement; undefined when the record has no probe. */
  mLocality: number | undefined;
}

/** How many ranks M-Locality compares at each position (EasyEdit's `topk(..., k=10)`). */
export const MULTIMODAL_LOCALITY_TOP_K = 10;

/** EasyEdit's VQA template, the same string as `vqaPrompt` of @llmedit/multimodal. */
export function multimodalVqaPrompt(question: string): string {
  return `Question: ${question} Short answer:`;
}

function recordName(record: MultimodalEditRecord): string {
  return record.index === undefined ? 'MMEdit record' : `MMEdit record ${record.index}`;
}

/** JavaScript callers can hand over parsed JSON: a missing field must fail here, not as a tokenizer crash. */
function requireText(record: MultimodalEditRecord, field: keyof MultimodalEditRecord): string {
  const value = record[field];
  if (typeof value !== 'string' || value.trim() === '')
    throw new InvalidRequestError(recordName(record), field, 'must be a non-empty string');
  return value;
}

function checkTask(task: MultimodalTask): void {
  if (task !== 'vqa' && task !== 'caption')
    throw new InvalidRequestError(
      'multimodal evaluation',
      'task',
      `is '${String(task)}', not 'vqa' or 'caption'`,
    );
}

function checkRecord(record: MultimodalEditRecord): void {
  if (record === null || typeof record !== 'object')
    throw new InvalidRequestError('MMEdit record', '(record)', 'must be an object');
  for (const field of ['src', 'rephrase', 'alt', 'image', 'imageRephrase', 'loc', 'locAns'] as const)
    requireText(record, field);
  const probe = record.multimodalLocality;
  if (probe === undefined) return;
  for (const field of ['image', 'prompt', 'groundTruth'] as const) {
    if (typeof probe[field] !== 'string' || probe[field].trim() === '') {
      throw new InvalidRequestError(
        recordName(record),
        `multimodalLocality.${field}`,
        'must be a non-empty string',
      );
    }
  }
}

/** The edit prompt of a source text: E-VQA wraps the question in the template, E-IC uses it as is. */
function editPrompt(text: string, task: MultimodalTask): string {
  return task === 'vqa' ? multimodalVqaPrompt(text) : text;
}

function textLocalityPair(model: ImageConditionedModel, record: MultimodalEditRecord): IdPair {
  return encodeTargetPair(model.withImage(undefined), record.loc, record.locAns);
}

function argmaxIds(model: CausalLM, pair: IdPair): number[] {
  return scoreIdPairs(model, [pair])[0]!.argmaxIds;
}

/**
 * The `k` most likely ids at each answer position of `pair` (teacher forced), best first. One forward with
 * logits only at the answer positions, as scoreIdPairs builds them: position promptLength - 1 + j predicts
 * answer token j.
 */
function topKIds(model: CausalLM, pair: IdPair, k: number): number[][] {
  const ids = [...pair.promptIds, ...pair.targetIds];
  const start = pair.promptIds.length - 1;
  const positions = pair.targetIds.map((_, j) => [0, start + j] as const);
  const { logits } = model.forward(
    { ids: [ids], attentionMask: [ids.map(() => 1)] },
    { logits: { positions } },
  );
  if (logits === undefined) throw new InvalidRequestError(model.modelId, 'forward', 'returned no logits');
  const indices = tf.tidy(() => tf.topk(logits as Tensor2D, Math.min(k, logits.shape[1]!)).indices);
  logits.dispose();
  const rows = indices.arraySync() as number[][];
  indices.dispose();
  return rows;
}

function imageLocalityIds(
  model: ImageConditionedModel,
  record: MultimodalEditRecord,
): number[][] | undefined {
  const probe = record.multimodalLocality;
  if (probe === undefined) return undefined;
  // M-Locality is always a VQA probe (OK-VQA in MMEdit), whatever the edit's task.
  const view = model.withImage(probe.image);
  return topKIds(
    view,
    encodeTargetPair(view, multimodalVqaPrompt(probe.prompt), probe.groundTruth),
    MULTIMODAL_LOCALITY_TOP_K,
  );
}

/** The unedited model's locality outputs for one record; pass them to `multimodalScores` after the edit. */
export function multimodalPreEdit(
  model: ImageConditionedModel,
  record: MultimodalEditRecord,
  task: MultimodalTask,
): MultimodalPreEdit {
  checkTask(task);
  checkRecord(record);
  const text = model.withImage(undefined);
  return {
    textLocality: argmaxIds(text, textLocalityPair(model, record)),
    imageLocality: imageLocalityIds(model, record),
  };
}

/**
 * Fraction of equal entries over positions x ranks: rank order matters, so a swap of the two best ids at one
 * position costs two entries (EasyEdit compares the top-k index tensors elementwise).
 */
export function topKAgreement(
  pre: readonly (readonly number[])[],
  post: readonly (readonly number[])[],
): number {
  if (pre.length === 0) throw new InvalidRequestError('top-k agreement', 'pre', 'has no positions');
  if (pre.length !== post.length)
    throw new InvalidRequestError(
      'top-k agreement',
      'post',
      `has ${post.length} positions for ${pre.length}`,
    );
  let same = 0;
  let total = 0;
  pre.forEach((row, p) => {
    const other = post[p]!;
    if (row.length !== other.length) {
      throw new InvalidRequestError(
        'top-k agreement',
        'post',
        `has ${other.length} ranks at position ${p}, pre ${row.length}`,
      );
    }
    row.forEach((id, r) => {
      if (other[r] === id) same++;
    });
    total += row.length;
  });
  return same / total;
}

function editAccuracy(view: CausalLM, prompt: string, alt: string): number {
  return tokenAccuracy(scoreIdPairs(view, [encodeTargetPair(view, prompt, alt)])[0]!);
}

/** MMEdit's five metrics of the edited model on one record, locality against `pre` of the same record. */
export function multimodalScores(
  edited: ImageConditionedModel,
  record: MultimodalEditRecord,
  task: MultimodalTask,
  pre: MultimodalPreEdit,
): MultimodalScores {
  checkTask(task);
  checkRecord(record);
  const name = recordName(record);
  if (pre === undefined || !Array.isArray(pre.textLocality))
    throw new MissingPreEditError(name, 'no pre-edit text locality was supplied');
  if ((pre.imageLocality === undefined) !== (record.multimodalLocality === undefined)) {
    throw new MissingPreEditError(
      name,
      record.multimodalLocality === undefined
        ? 'the pre-edit values have an M-Locality probe this record does not'
        : 'no pre-edit M-Locality values were supplied for its probe',
    );
  }
  const view = edited.withImage(record.image);
  const postText = argmaxIds(edited.withImage(undefined), textLocalityPair(edited, record));
  if (postText.length !== pre.textLocality.length) {
    throw new MissingPreEditError(
      name,
      `pre-edit text locality has ${pre.textLocality.length} positions, the probe has ${postText.length}`,
    );
  }
  const postImage = imageLocalityIds(edited, record);
  return {
    reliability: editAccuracy(view, editPrompt(record.src, task), record.alt),
    tGenerality: editAccuracy(view, editPrompt(record.rephrase, task), record.alt),
    mGenerality: editAccuracy(
      edited.withImage(record.imageRephrase),
      editPrompt(record.src, task),
      record.alt,
    ),
    tLocality: argmaxAgreement(pre.textLocality, postText),
    mLocality:
      postImage === undefined || pre.imageLocality === undefined
        ? undefined
        : topKAgreement(pre.imageLocality, postImage),
  };
}

/** The scores as tagged metric values (for `aggregate`); M-Locality is left out when it was not scored. */
export function multimodalMetricValues(scores: MultimodalScores): Record<string, MetricValue> {
  const accuracy = (value: number): MetricValue => ({ value, tag: PROTOCOL_TAGS.tokenAccuracy, count: 1 });
  const out: Record<string, MetricValue> = {
    reliability: accuracy(scores.reliability),
    tGenerality: accuracy(scores.tGenerality),
    mGenerality: accuracy(scores.mGenerality),
    tLocality: { value: scores.tLocality, tag: PROTOCOL_TAGS.argmaxAgreement, count: 1 },
  };
  if (scores.mLocality !== undefined)
    out.mLocality = { value: scores.mLocality, tag: PROTOCOL_TAGS.topKAgreement, count: 1 };
  return out;
}
