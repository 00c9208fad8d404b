import { POSITION_MARGIN, type Scene, type SceneObject } from './layout.js';
import { RNG_SALT, randomInt, sceneRng, shuffled } from './prng.js';
import { COUNT_WORDS, SCENE_COLOURS, SCENE_SHAPES, type SceneColour, type SceneShape } from './vocabulary.js';

export type SceneQuestionType = 'colour' | 'shape' | 'count' | 'position' | 'existence';

/** One visual question (E-VQA style): `rephrases` are textual rephrases for T-Generality; `answer` is one word. */
export interface SceneQuestion {
  type: SceneQuestionType;
  question: string;
  rephrases: readonly string[];
  answer: string;
}

/** 'a' or 'an' before a word (all shipped words take 'a'; kept right if the word lists change). */
export function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}

const name = (o: { colour: SceneColour; shape: SceneShape }): string => `${o.colour} ${o.shape}`;

/** Question templates: the first is the canonical question, the rest are its rephrases. */
const TEMPLATES = {
  colour: (shape: string) => [
    `What colour is the ${shape}?`,
    `Which colour does the ${shape} have?`,
    `What is the colour of the ${shape}?`,
  ],
  shape: (colour: string) => [
    `What shape is the ${colour} object?`,
    `Which shape does the ${colour} object have?`,
    `What is the shape of the ${colour} object?`,
  ],
  count: () => [
    'How many objects are there?',
    'What is the number of objects?',
    'How many objects does the image show?',
  ],
  position: (a: string, b: string) => [
    `Is the ${a} left or right of the ${b}?`,
    `Is the ${a} to the left or to the right of the ${b}?`,
    `Relative to the ${b}, is the ${a} on the left or on the right?`,
  ],
  existence: (thing: string) => [
    `Is there ${article(thing)} ${thing}?`,
    `Does the image contain ${article(thing)} ${thing}?`,
    `Can you see ${article(thing)} ${thing} in the image?`,
  ],
} as const;

function make(type: SceneQuestionType, texts: readonly string[], answer: string): SceneQuestion {
  const [question, ...rephrases] = texts;
  return { type, question: question!, rephrases, answer };
}

/**
 * Absent (colour, shape) pairs for existence questions, one per object, so yes and no are exactly balanced.
 * Each is a near miss of a present object (its shape in another colour, or its colour in another shape,
 * alternately) so a model has to bind colour to shape, not just spot a colour.
 */
function absentPairs(scene: Scene): { colour: SceneColour; shape: SceneShape }[] {
  const rng = sceneRng(scene.seed, 0, RNG_SALT.questions);
  const taken = new Set(scene.objects.map(name));
  const out: { colour: SceneColour; shape: SceneShape }[] = [];
  scene.objects.forEach((o, i) => {
    const sameShape = SCENE_COLOURS.map((colour) => ({ colour, shape: o.shape }));
    const sameColour = SCENE_SHAPES.map((shape) => ({ colour: o.colour, shape }));
    const order = i % 2 === 0 ? [sameShape, sameColour] : [sameColour, sameShape];
    const all = SCENE_COLOURS.flatMap((colour) => SCENE_SHAPES.map((shape) => ({ colour, shape })));
    for (const pool of [...order, all]) {
      const free = shuffled(rng, pool).filter((p) => !taken.has(name(p)));
      if (free.length > 0) {
        taken.add(name(free[0]!));
        out.push(free[0]!);
        return;
      }
    }
  });
  return out;
}

/**
 * Every well-posed question of a scene, in a fixed order (colour, shape, count, position, existence). A
 * question names an object only when the name picks out exactly one: "the circle" when one circle exists,
 * "the red object" when one red object exists; position is asked only of pairs whose centres are at least
 * POSITION_MARGIN apart horizontally. Answers follow from the objects alone; the seed only picks which
 * object of a pair is the subject and which absent pairs are asked about, so every view of a scene (which
 * keeps the seed) gets the same questions.
 */
export function sceneQuestions(scene: Scene): SceneQuestion[] {
  const objects = scene.objects;
  const out: SceneQuestion[] = [];
  for (const shape of SCENE_SHAPES) {
    const hits = objects.filter((o) => o.shape === shape);
    if (hits.length === 1) out.push(make('colour', TEMPLATES.colour(shape), hits[0]!.colour));
  }
  for (const colour of SCENE_COLOURS) {
    const hits = objects.filter((o) => o.colour === colour);
    if (hits.length === 1) out.push(make('shape', TEMPLATES.shape(colour), hits[0]!.shape));
  }
  out.push(make('count', TEMPLATES.count(), COUNT_WORDS[objects.length - 1]!));
  const rng = sceneRng(scene.seed, 0, RNG_SALT.questions ^ 0xffff);
  for (let i = 0; i < objects.length; i++) {
    for (let j = i + 1; j < objects.length; j++) {
      // Drawn for every pair, asked or not, so the subject of one pair never depends on another pair's gap.
      const flip = randomInt(rng, 0, 1) === 1;
      const [a, b] = flip ? [objects[j]!, objects[i]!] : [objects[i]!, objects[j]!];
      if (Math.abs(a.x - b.x) < POSITION_MARGIN) continue;
      out.push(make('position', TEMPLATES.position(name(a), name(b)), a.x < b.x ? 'left' : 'right'));
    }
  }
  const absent = absentPairs(scene);
  objects.forEach((o, i) => {
    out.push(make('existence', TEMPLATES.existence(name(o)), 'yes'));
    const miss = absent[i];
    if (miss !== undefined) out.push(make('existence', TEMPLATES.existence(name(miss)), 'no'));
  });
  return out;
}

function phrase(o: SceneObject): string {
  const words = o.size === 'large' ? `large ${name(o)}` : name(o);
  return `${article(words)} ${words}`;
}

/**
 * Canonical caption (E-IC style): the objects left to right, large ones marked "large" (small is the
 * unmarked default), e.g. "a red circle and a large blue square". Views keep the left-to-right order, so
 * they keep the caption.
 */
export function sceneCaption(scene: Scene): string {
  const parts = [...scene.objects].sort((a, b) => a.x - b.x).map(phrase);
  if (parts.length <= 1) return parts.join('');
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}
