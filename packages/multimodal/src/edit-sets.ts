// E-VQA and E-IC on procedural scenes, built the way MMEdit built its sets (Cheng et al. 2023, section 3):
// held-out cases the VLM gets wrong, with the correct answer (caption) as the edit target, one textual and one
// image rephrase, a Natural Questions text-locality probe and a VQA probe on another image.
import { InvalidRequestError } from '@llmedit/core';
import { generateScene, sceneCaption, sceneImageId, sceneQuestions } from '@llmedit/datasets';
import { generate, scoreTargets } from '@llmedit/models';
import { CAPTION_PROMPT, CAPTION_PROMPT_REPHRASES, vqaPrompt } from './scene-tasks.js';
import type { VisionLanguageModel } from './vlm.js';

/** E-VQA (questions) or E-IC (captions). */
export type SceneEditTask = 'evqa' | 'eic';
export const SCENE_EDIT_TASKS: readonly SceneEditTask[] = ['evqa', 'eic'];

/**
 * One record with MMEdit's field names (vqa_eval.json, caption_eval_edit.json), so the MMEdit parser of
 * @llmedit/datasets and any MMEdit tooling read the files unchanged.
 */
export interface SceneEditJson {
  src: string;
  pred: string;
  rephrase: string;
  alt: string;
  image: string;
  image_rephrase: string;
  loc: string;
  loc_ans: string;
  m_loc: string;
  m_loc_q: string;
  m_loc_a: string;
}

/** A text-only locality probe (an NQ question of ZsRE, "nq question: ...") and its answer. */
export interface TextLocalityProbe {
  loc: string;
  locAns: string;
}

export interface BuildSceneEditsOptions {
  task: SceneEditTask;
  /** Scenes to scan, in order (e.g. `sceneSeeds('eval')`); scanning stops once `count` records are found. */
  seeds: readonly number[];
  /** Records wanted; fewer come back when the scenes run out (see `scannedScenes`). */
  count: number;
  /** T-Locality probes, used round-robin in record order. */
  textLocality: readonly TextLocalityProbe[];
  /** Scenes of the M-Locality probes (e.g. `sceneSeeds('locality')`), used round-robin in record order. */
  localitySeeds: readonly number[];
  /** Tokens the greedy `pred` may take (default 4 for answers, 32 for captions). */
  maxNewTokens?: number;
  /** Called after each scanned scene. */
  onProgress?: (progress: { scenes: number; records: number }) => void;
}

export interface SceneEditSet {
  records: SceneEditJson[];
  /** Scenes looked at (a prefix of `seeds`). */
  scannedScenes: number;
  /** Questions (captions) checked in those scenes. */
  checked: number;
  /** Wrong cases dropped because the greedy answer was empty after trimming (MMEdit drops empty fields). */
  droppedEmptyPred: number;
}

/** The scenes' canonical view is the edit image; view 1 (an answer-preserving re-rendering) is its rephrase. */
const EDIT_VIEW = 0;
const REPHRASE_VIEW = 1;

interface Candidate {
  src: string;
  prompt: string;
  rephrase: string;
  alt: string;
}

/**
 * The cases of one scene in canonical phrasing. The textual rephrase is picked by (seed + question index) so
 * every phrasing is used across scenes, and the pick does not depend on which other cases were wrong.
 */
function candidates(task: SceneEditTask, seed: number): Candidate[] {
  const scene = generateScene(seed);
  if (task === 'eic') {
    return [
      {
        src: CAPTION_PROMPT,
        prompt: CAPTION_PROMPT,
        rephrase: CAPTION_PROMPT_REPHRASES[seed % CAPTION_PROMPT_REPHRASES.length]!,
        alt: sceneCaption(scene),
      },
    ];
  }
  return sceneQuestions(scene).map((q, i) => ({
    src: q.question,
    prompt: vqaPrompt(q.question),
    rephrase: q.rephrases.length === 0 ? q.question : q.rephrases[(seed + i) % q.rephrases.length]!,
    alt: q.answer,
  }));
}

/** The greedy answer's first line, trimmed: the model may go on after the answer, MMEdit's `pred` is the answer. */
function greedyAnswer(vlm: VisionLanguageModel, image: string, prompt: string, maxNewTokens: number): string {
  const [generation] = generate(vlm.withImage(image), [prompt], { maxNewTokens, strategy: 'greedy' });
  return (generation?.text ?? '').split('\n')[0]!.trim();
}

/**
 * Scan `seeds` in order and keep the cases `vlm` gets wrong under teacher forcing (some answer token is not the
 * argmax, so greedy decoding would not produce the answer). Deterministic: the same VLM, seeds and probes give
 * the same records.
 */
export function buildSceneEdits(vlm: VisionLanguageModel, options: BuildSceneEditsOptions): SceneEditSet {
  const { task, seeds, count, textLocality, localitySeeds } = options;
  if (!SCENE_EDIT_TASKS.includes(task))
    throw new InvalidRequestError('scene edit set', 'task', `is '${String(task)}', not 'evqa' or 'eic'`);
  if (!Number.isInteger(count) || count < 0)
    throw new InvalidRequestError('scene edit set', 'count', `is ${count}, not a non-negative integer`);
  if (textLocality.length === 0)
    throw new InvalidRequestError('scene edit set', 'textLocality', 'has no probes');
  if (localitySeeds.length === 0)
    throw new InvalidRequestError('scene edit set', 'localitySeeds', 'has no scenes');
  textLocality.forEach((probe, i) => {
    if (probe.loc.trim() === '' || probe.locAns.trim() === '')
      throw new InvalidRequestError(
        `text locality probe ${i}`,
        probe.loc.trim() === '' ? 'loc' : 'locAns',
        'is empty',
      );
  });
  const localityScenes = new Set(localitySeeds);
  const overlap = seeds.find((s) => localityScenes.has(s));
  if (overlap !== undefined) {
    // A locality image that is also an edit image would make the edit and its "unrelated" probe the same scene.
    throw new InvalidRequestError('scene edit set', 'localitySeeds', `shares scene ${overlap} with seeds`);
  }
  const maxNewTokens = options.maxNewTokens ?? (task === 'eic' ? 32 : 4);
  const records: SceneEditJson[] = [];
  let scannedScenes = 0;
  let checked = 0;
  let droppedEmptyPred = 0;
  for (const seed of seeds) {
    if (records.length >= count) break;
    scannedScenes++;
    const image = sceneImageId(seed, EDIT_VIEW);
    const cases = candidates(task, seed);
    const scores = scoreTargets(
      vlm.withImage(image),
      cases.map((c) => ({ prompt: c.prompt, target: c.alt })),
    );
    checked += cases.length;
    for (const [i, c] of cases.entries()) {
      if (records.length >= count) break;
      const score = scores[i]!;
      if (score.targetIds.every((id, k) => score.argmaxIds[k] === id)) continue;
      const pred = greedyAnswer(vlm, image, c.prompt, maxNewTokens);
      if (pred === '') {
        droppedEmptyPred++;
        continue;
      }
      records.push({
        src: c.src,
        pred,
        rephrase: c.rephrase,
        alt: c.alt,
        image,
        image_rephrase: sceneImageId(seed, REPHRASE_VIEW),
        ...localityFields(records.length, textLocality, localitySeeds),
      });
    }
    options.onProgress?.({ scenes: scannedScenes, records: records.length });
  }
  return { records, scannedScenes, checked, droppedEmptyPred };
}

/**
 * The probes of the k-th record: NQ probe k mod n; locality scene k mod m, and its question index advances
 * each time the scenes wrap around, so a scene's questions are all used before any repeats.
 */
function localityFields(
  k: number,
  textLocality: readonly TextLocalityProbe[],
  localitySeeds: readonly number[],
): Pick<SceneEditJson, 'loc' | 'loc_ans' | 'm_loc' | 'm_loc_q' | 'm_loc_a'> {
  const probe = textLocality[k % textLocality.length]!;
  const seed = localitySeeds[k % localitySeeds.length]!;
  const questions = sceneQuestions(generateScene(seed));
  const question = questions[Math.floor(k / localitySeeds.length) % questions.length]!;
  return {
    loc: probe.loc,
    loc_ans: probe.locAns,
    m_loc: sceneImageId(seed, EDIT_VIEW),
    m_loc_q: question.question,
    m_loc_a: question.answer,
  };
}
