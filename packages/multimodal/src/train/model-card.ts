import { writeFileSync } from 'node:fs';
import type { VlmConfig } from '../config.js';
import type { SceneAccuracy } from './evaluate-vlm.js';

export interface VlmTrainingReport {
  backend: string;
  config: VlmConfig;
  seconds: number;
  lossCurve: { step: number; loss: number }[];
  languageModelId: string;
  heldOut: SceneAccuracy;
  heldOutImageRephrase: SceneAccuracy;
  trainingScenes: SceneAccuracy;
  options: Record<string, unknown>;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** Accuracy of always giving one of the type's answers at random: 6 colours, 4 shapes, 4 counts, 2 and 2. */
const CHANCE = { colour: 1 / 6, shape: 1 / 4, count: 1 / 4, position: 1 / 2, existence: 1 / 2 } as const;

/** Which question types the model answers from the image and which at about chance (within 10 points). */
function readsTheImage(a: SceneAccuracy): string {
  const types = Object.keys(CHANCE) as (keyof typeof CHANCE)[];
  const near = types.filter((t) => a.vqa[t] !== undefined && a.vqa[t].accuracy - CHANCE[t] < 0.1);
  const above = types.filter((t) => !near.includes(t));
  return (
    `Above chance (by 10 points or more) on held-out scenes: ${above.length === 0 ? 'none' : above.join(', ')}. ` +
    `At about chance: ${near.length === 0 ? 'none' : near.map((t) => `${t} (chance ${pct(CHANCE[t])})`).join(', ')}.`
  );
}

function accuracyRows(label: string, a: SceneAccuracy): string[] {
  const types = ['colour', 'shape', 'count', 'position', 'existence', 'all'] as const;
  return [
    `| ${label} | ${types.map((t) => (a.vqa[t] === undefined ? 'n/a' : `${pct(a.vqa[t].accuracy)} (${a.vqa[t].count})`)).join(' | ')} | ${pct(a.caption.tokenAccuracy)} | ${pct(a.caption.exactMatch)} |`,
  ];
}

/** MODEL.md of the default VLM, from the numbers the training command measured. */
export function writeModelCard(file: string, r: VlmTrainingReport): void {
  const v = r.config.vision;
  const last = r.lossCurve.at(-1);
  const text = `# default-vlm

A small vision-language model in Hugging Face's LLaVA layout, the multimodal counterpart of the \`default\`
language model: a CLIP-style vision tower and LLaVA's two-layer MLP projector trained on procedural scenes
(\`@llmedit/datasets\` scenes: 1-4 coloured shapes on 64x64 images) in front of the **frozen** default
language model (content hash \`${r.languageModelId}\`; its weights are not in this folder and did not change,
so its text knowledge and every text probe of its own card are exactly as before).

Written by \`pnpm --filter @llmedit/multimodal train\`; every number below was measured by that command.

## Shape
- Vision tower: ${v.imageSize}x${v.imageSize} images, ${v.patchSize}x${v.patchSize} patches (${(v.imageSize / v.patchSize) ** 2} image tokens, class token dropped), ${v.numLayers} pre-norm blocks of width ${v.hiddenSize}, ${v.numHeads} heads, MLP ${v.intermediateSize}, quick-GELU; features of block ${r.config.visionFeatureLayer}.
- Projector: Linear(${v.hiddenSize} -> ${r.config.text.hiddenSize}), tanh-GELU, Linear(${r.config.text.hiddenSize} -> ${r.config.text.hiddenSize}).
- Image tokens go before the text; placeholder token id ${r.config.imageTokenIndex} (its embedding row is replaced by the projected feature; position embeddings are kept).

## Training
- Objective: teacher-forced cross-entropy of the answer tokens after the image and the prompt ("Question: {q} Short answer:" for VQA, "a photo of" and its rephrases for captions), ${pct(Number(r.options.captionShare))} captions; question phrasings drawn from each question's templates; ${String(r.options.views)} renderings per training scene.
- Auxiliary loss (weight ${String(r.options.auxiliaryWeight ?? 0)}): a linear head on the tower's mean-pooled features predicts which colour-shape pairs the scene holds, the object count and each object's horizontal position (the tower starts from random weights, where BLIP-2 and MiniGPT-4 start from a pretrained one); the head is discarded.
- ${String(r.options.steps)} AdamW steps of ${String(r.options.batchSize)} examples, peak learning rate ${String(r.options.learningRate)}, warm-up ${String(r.options.warmup)}, cosine decay; ${(r.seconds / 60).toFixed(1)} min on ${r.backend}.
- Final training loss (mean of the last 25 steps): ${last === undefined ? 'n/a' : last.loss.toFixed(4)}.

## Accuracy
Teacher-forced exact match per question (every answer token is the argmax: what greedy decoding answers), count
of questions in brackets; captions: mean token accuracy and whole-caption exact match.

| scenes | colour | shape | count | position | existence | all VQA | caption tokens | caption exact |
|---|---|---|---|---|---|---|---|---|
${[
  ...accuracyRows(`held-out (${r.heldOut.scenes}, view 0)`, r.heldOut),
  ...accuracyRows(`held-out image rephrases (view 1)`, r.heldOutImageRephrase),
  ...accuracyRows(`training (${r.trainingScenes.scenes}, view 0)`, r.trainingScenes),
].join('\n')}

${readsTheImage(r.heldOut)} Our reading (not measured further): the frozen language model is steered by the
image positions for what needs no binding (how many objects there are), not yet for what does (the colour of
*the* circle, which of two objects is left), which needs its attention to match a word of the question with
one image position; its weights were never trained for that. The edit sets are built from its mistakes
either way; M-Generality and M-Locality are about the image only where the model reads it.

The held-out scenes are the evaluation seed range from which the E-VQA and E-IC edit sets are built, as MMEdit
built its sets: from the cases this model gets wrong.
`;
  writeFileSync(file, text);
}
