// The default VLM's card numbers: held-out VQA accuracy per question type (teacher-forced exact match: every
// answer token is the argmax, i.e. greedy decoding would produce the answer) and caption token accuracy.
import { sceneImageId } from '@llmedit/datasets';
import { scoreTargets } from '@llmedit/models';
import { captionExample, type SceneTaskType, vqaExamples } from '../scene-tasks.js';
import type { VisionLanguageModel } from '../vlm.js';

export interface SceneAccuracy {
  scenes: number;
  /** Exact-match accuracy and question count per question type, and over all questions. */
  vqa: Record<SceneTaskType | 'all', { accuracy: number; count: number }>;
  /** Mean per-caption token accuracy and exact match of the whole caption. */
  caption: { tokenAccuracy: number; exactMatch: number; count: number };
}

/** Accuracy of `vlm` on the scenes `seeds`, rendered as `view` (0 = canonical, k > 0 = an image rephrase). */
export function evaluateScenes(vlm: VisionLanguageModel, seeds: readonly number[], view = 0): SceneAccuracy {
  const tally = new Map<string, { correct: number; count: number }>();
  const add = (type: string, correct: boolean) => {
    const t = tally.get(type) ?? { correct: 0, count: 0 };
    t.count++;
    if (correct) t.correct++;
    tally.set(type, t);
  };
  let captionTokens = 0;
  let captionExact = 0;
  for (const seed of seeds) {
    const model = vlm.withImage(sceneImageId(seed, view));
    const examples = [...vqaExamples(seed, view), captionExample(seed, view)];
    const scores = scoreTargets(model, examples);
    scores.forEach((score, i) => {
      const hits = score.targetIds.map((id, j) => score.argmaxIds[j] === id);
      const exact = hits.every(Boolean);
      const type = examples[i]!.type;
      if (type === 'caption') {
        captionTokens += hits.filter(Boolean).length / hits.length;
        if (exact) captionExact++;
      } else {
        add(type, exact);
        add('all', exact);
      }
    });
  }
  const vqa = Object.fromEntries(
    [...tally].map(([type, t]) => [type, { accuracy: t.correct / t.count, count: t.count }]),
  ) as SceneAccuracy['vqa'];
  return {
    scenes: seeds.length,
    vqa,
    caption: {
      tokenAccuracy: captionTokens / seeds.length,
      exactMatch: captionExact / seeds.length,
      count: seeds.length,
    },
  };
}
