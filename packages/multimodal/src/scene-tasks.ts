// The visual tasks of the default VLM, phrased as MMEdit phrases them: E-VQA prompts
// "Question: {q} Short answer:" (EasyEdit's VQA template) and E-IC prompts "a photo of" followed by the caption.
import {
  generateScene,
  type SceneQuestionType,
  sceneCaption,
  sceneImageId,
  sceneQuestions,
} from '@llmedit/datasets';

/** EasyEdit's VQA prompt template (reference/easyedit.md section 2.10). */
export function vqaPrompt(question: string): string {
  return `Question: ${question} Short answer:`;
}

/** MMEdit's E-IC prompt and the rephrases its records use for T-Generality. */
export const CAPTION_PROMPT = 'a photo of';
export const CAPTION_PROMPT_REPHRASES = ['a photograph of', 'an image of', 'a picture of'] as const;

export type SceneTaskType = SceneQuestionType | 'caption';

/** One teacher-forced example: the image, the prompt after it and the answer the VLM should give. */
export interface SceneExample {
  image: string;
  prompt: string;
  target: string;
  type: SceneTaskType;
  /** The canonical question (or caption prompt), whatever phrasing `prompt` uses. */
  question: string;
  /** The textual rephrases of `question` (T-Generality). */
  rephrases: readonly string[];
}

/** Every VQA example of a scene (canonical phrasing), on the given rendering of it. */
export function vqaExamples(seed: number, view = 0): SceneExample[] {
  return sceneQuestions(generateScene(seed)).map((q) => ({
    image: sceneImageId(seed, view),
    prompt: vqaPrompt(q.question),
    target: q.answer,
    type: q.type,
    question: q.question,
    rephrases: q.rephrases.map(vqaPrompt),
  }));
}

/** The caption example of a scene, on the given rendering of it. */
export function captionExample(seed: number, view = 0): SceneExample {
  return {
    image: sceneImageId(seed, view),
    prompt: CAPTION_PROMPT,
    target: sceneCaption(generateScene(seed)),
    type: 'caption',
    question: CAPTION_PROMPT,
    rephrases: CAPTION_PROMPT_REPHRASES,
  };
}
