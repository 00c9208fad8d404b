/**
 * Table D, multimodal editing (MMEdit, Cheng et al. 2023, in its layout): each multimodal method edits the
 * default VLM on E-VQA and E-IC records (built from the scenes the VLM gets wrong), one record at a time from
 * the original weights, and is scored with MMEdit's five metrics: Reliability, T-Generality, M-Generality,
 * T-Locality and M-Locality (reference/easyedit.md section 2.10).
 */
import { type AnyEditMethod, type EditRequest, edit } from '@llmedit/core';
import type { MMEditRecord } from '@llmedit/datasets';
import { loadSceneEdits } from '@llmedit/datasets';
import {
  type ImageConditionedModel,
  type MultimodalPreEdit,
  type MultimodalScores,
  type MultimodalTask,
  multimodalPreEdit,
  multimodalScores,
  multimodalVqaPrompt,
} from '@llmedit/evaluate';
import { encodeTargetPair, generate } from '@llmedit/models';
import type { VisionLanguageModel } from '@llmedit/multimodal';
import type { MethodRun } from './results.js';

/** Table D's two data sets, as MMEdit names them, and the task each is. */
export const MULTIMODAL_DATASETS = ['e-vqa', 'e-ic'] as const;
export type MultimodalDataset = (typeof MULTIMODAL_DATASETS)[number];
const TASK: Record<MultimodalDataset, MultimodalTask> = { 'e-vqa': 'vqa', 'e-ic': 'caption' };

/** The five metrics, in MMEdit's column order. */
export const MULTIMODAL_METRICS = [
  'reliability',
  'tGenerality',
  'mGenerality',
  'tLocality',
  'mLocality',
] as const;
export type MultimodalMetric = (typeof MULTIMODAL_METRICS)[number];
export const MULTIMODAL_METRIC_LABELS: Record<MultimodalMetric, string> = {
  reliability: 'Rel.',
  tGenerality: 'T-Gen.',
  mGenerality: 'M-Gen.',
  tLocality: 'T-Loc.',
  mLocality: 'M-Loc.',
};

/** Records per data set in a default run (the n = 30), and in `--smoke`. */
export const DEFAULT_MULTIMODAL_N = 30;
export const SMOKE_MULTIMODAL_N = 2;
/** The most records a data set's evaluation split holds for Table D. */
export const MAX_MULTIMODAL_N = 500;
/** Edits per run whose answers before and after are generated for the report. */
const EXAMPLES_PER_RUN = 3;

/** One multimodal method of Table D: its hyperparameters for the default VLM and its one-time cost. */
export interface MultimodalBenchMethod {
  method: AnyEditMethod;
  /** The method's column name in MMEdit's published M-Generality block (KE, IKE, SERAC, MEND), if any. */
  published?: string;
  hparams(): Readonly<Record<string, unknown>>;
  /** Load what the method needs (a trained artifact) once per run; `release` frees it. */
  prepare?(vlm: VisionLanguageModel): Promise<{ label: string; artifact: unknown; release(): void }>;
}

/** One edited record of Table D. */
export interface MultimodalRecord {
  index: number;
  scores: MultimodalScores;
  editMs: number;
  error?: string;
}

/** An edit shown in the report: the image, the prompt and greedy answers before and after. */
export interface MultimodalExample {
  index: number;
  image: string;
  prompt: string;
  target: string;
  before: string;
  after: string;
}

/** One (method, data set) run of Table D. */
export interface MultimodalRun {
  method: string;
  dataset: MultimodalDataset;
  status: MethodRun['status'];
  reason?: string;
  hparams?: unknown;
  prepare?: { label: string; wallMs: number };
  records: MultimodalRecord[];
  examples: MultimodalExample[];
  wallMs: number;
}

/** Table D's part of results.json. */
export interface MultimodalResults {
  n: number;
  vlm: { name: string; hash: string; languageModel: string };
  /** The methods of Table D, with their column in MMEdit's published block. */
  methods: { id: string; displayName: string; published?: string }[];
  /** The unedited VLM's Reliability / Generality on the records (its wrong answers: near 0 by construction). */
  pre: Partial<Record<MultimodalDataset, Partial<Record<MultimodalMetric, number[]>>>>;
  runs: MultimodalRun[];
}

/** What a method edits for an MMEdit record: the EasyEdit multimodal request (VQA prompts templated). */
export function multimodalRequest(record: MMEditRecord, dataset: MultimodalDataset): EditRequest {
  // The template the metrics score with, so that the edit and its evaluation read the same prompt.
  const phrase = (text: string) => (TASK[dataset] === 'vqa' ? multimodalVqaPrompt(text) : text);
  return {
    id: String(record.index),
    prompt: phrase(record.src),
    targetNew: record.alt,
    groundTruth: record.pred,
    rephrasePrompts: [phrase(record.rephrase)],
    image: record.image,
    locality: { nq: [{ prompt: record.loc, groundTruth: record.locAns }] },
  };
}

/** A Table D data set's records and the unedited VLM's locality references on them (computed once per run). */
export interface MultimodalData {
  records: MMEditRecord[];
  pre: MultimodalPreEdit[];
}

/** The first `n` records of a Table D data set's evaluation split. */
export function multimodalRecords(dataset: MultimodalDataset, n: number): MMEditRecord[] {
  return loadSceneEdits(dataset === 'e-vqa' ? 'evqa' : 'eic', 'eval').records.slice(0, n);
}

/** The records and their pre-edit values, which every method's run of the data set compares against. */
export function multimodalData(
  vlm: VisionLanguageModel,
  dataset: MultimodalDataset,
  n: number,
): MultimodalData {
  const records = multimodalRecords(dataset, n);
  return { records, pre: records.map((r) => multimodalPreEdit(vlm, r, TASK[dataset])) };
}

/** The unedited VLM's scores on the records (Reliability and Generality; locality is 1 by definition). */
export function multimodalPre(
  vlm: VisionLanguageModel,
  dataset: MultimodalDataset,
  data: MultimodalData,
): Partial<Record<MultimodalMetric, number[]>> {
  const scores = data.records.map((r, i) => multimodalScores(vlm, r, TASK[dataset], data.pre[i]!));
  return Object.fromEntries(
    (['reliability', 'tGenerality', 'mGenerality'] as const).map((m) => [m, scores.map((s) => s[m])]),
  );
}

/**
 * The greedy answer of a model after the image and the prompt (the report's "before" and "after"), as many
 * tokens as the target has: what the metrics score, without the run-on text a small model adds after it.
 */
function greedyAnswer(model: ImageConditionedModel, image: string, prompt: string, target: string): string {
  const view = model.withImage(image);
  const tokens = encodeTargetPair(view, prompt, target).targetIds.length;
  return generate(view, [prompt], { maxNewTokens: tokens, stopAtEos: true })[0]!.text.trim();
}

/** Which records of a run show their answers in the report: three spread over the run (not one scene's). */
function isExample(position: number, count: number): boolean {
  return Array.from({ length: EXAMPLES_PER_RUN }, (_, k) =>
    Math.floor((k * count) / EXAMPLES_PER_RUN),
  ).includes(position);
}

/**
 * One multimodal method on one data set: each record edited from the original weights (single mode), scored,
 * and reverted; the VLM's weights are bit for bit the same afterwards (core's `edit()` restores them).
 */
export async function runMultimodalUnit(
  entry: MultimodalBenchMethod,
  dataset: MultimodalDataset,
  vlm: VisionLanguageModel,
  data: MultimodalData,
  options: { seed: number; signal?: AbortSignal; onEdited(): void },
): Promise<MultimodalRun> {
  const t0 = performance.now();
  const run: MultimodalRun = {
    method: entry.method.id,
    dataset,
    status: 'done',
    records: [],
    examples: [],
    wallMs: 0,
  };
  const task = TASK[dataset];
  let release: (() => void) | undefined;
  try {
    run.hparams = entry.method.hparams.parse(entry.hparams());
    let artifact: unknown;
    if (entry.prepare !== undefined) {
      const p0 = performance.now();
      const prepared = await entry.prepare(vlm);
      artifact = prepared.artifact;
      release = prepared.release;
      run.prepare = { label: prepared.label, wallMs: performance.now() - p0 };
    }
    const { records } = data;
    for (const [position, record] of records.entries()) {
      if (options.signal?.aborted) {
        run.status = 'partial';
        break;
      }
      const request = multimodalRequest(record, dataset);
      const pre = data.pre[position]!;
      const before = isExample(position, records.length)
        ? greedyAnswer(vlm, record.image, request.prompt, record.alt)
        : undefined;
      const e0 = performance.now();
      try {
        const result = await edit({
          method: entry.method,
          model: vlm,
          requests: [request],
          hparams: run.hparams as Readonly<Record<string, unknown>>,
          context: { seed: options.seed, ...(artifact === undefined ? {} : { artifact }) },
        });
        const editMs = performance.now() - e0;
        try {
          const edited = result.model as VisionLanguageModel;
          run.records.push({
            index: record.index,
            scores: multimodalScores(edited, record, task, pre),
            editMs,
          });
          if (before !== undefined) {
            run.examples.push({
              index: record.index,
              image: record.image,
              prompt: request.prompt,
              target: record.alt,
              before,
              after: greedyAnswer(edited, record.image, request.prompt, record.alt),
            });
          }
        } finally {
          result.revert();
          result.dispose?.();
        }
      } catch (error) {
        run.records.push({
          index: record.index,
          scores: {
            reliability: Number.NaN,
            tGenerality: Number.NaN,
            mGenerality: Number.NaN,
            tLocality: Number.NaN,
            mLocality: undefined,
          },
          editMs: performance.now() - e0,
          error: error instanceof Error ? error.message : String(error),
        });
      }
      options.onEdited();
    }
  } catch (error) {
    run.status = 'failed';
    run.reason = error instanceof Error ? error.message : String(error);
  } finally {
    release?.();
    run.wallMs = performance.now() - t0;
  }
  return run;
}
