import { describe, expect, it } from 'vitest';
import { generateScene } from './generate.js';
import type { Scene, SceneObject } from './layout.js';
import { type SceneQuestion, type SceneQuestionType, sceneCaption, sceneQuestions } from './questions.js';
import { sceneView } from './view.js';
import { SCENE_COLOURS, SCENE_SHAPES } from './vocabulary.js';

const SEEDS = Array.from({ length: 300 }, (_, i) => 1_000_000 + i);
const COLOUR = `(${SCENE_COLOURS.join('|')})`;
const SHAPE = `(${SCENE_SHAPES.join('|')})`;
const NUMBERS = ['one', 'two', 'three', 'four'];

/**
 * An independent oracle: parses the canonical question text and recomputes its answer from the objects,
 * returning undefined when the question is not well-posed (the name does not pick exactly one object).
 */
function oracle(objects: readonly SceneObject[], q: SceneQuestion): string | undefined {
  const only = (hits: SceneObject[]) => (hits.length === 1 ? hits[0] : undefined);
  const find = (colour: string, shape: string) =>
    only(objects.filter((o) => o.colour === colour && o.shape === shape));
  let m = new RegExp(`^What colour is the ${SHAPE}\\?$`).exec(q.question);
  if (m !== null) return only(objects.filter((o) => o.shape === m![1]))?.colour;
  m = new RegExp(`^What shape is the ${COLOUR} object\\?$`).exec(q.question);
  if (m !== null) return only(objects.filter((o) => o.colour === m![1]))?.shape;
  if (q.question === 'How many objects are there?') return NUMBERS[objects.length - 1];
  m = new RegExp(`^Is the ${COLOUR} ${SHAPE} left or right of the ${COLOUR} ${SHAPE}\\?$`).exec(q.question);
  if (m !== null) {
    const a = find(m[1]!, m[2]!);
    const b = find(m[3]!, m[4]!);
    if (a === undefined || b === undefined || a === b || Math.abs(a.x - b.x) < 10) return undefined;
    return a.x < b.x ? 'left' : 'right';
  }
  m = new RegExp(`^Is there a ${COLOUR} ${SHAPE}\\?$`).exec(q.question);
  if (m !== null) return objects.some((o) => o.colour === m![1] && o.shape === m![2]) ? 'yes' : 'no';
  return undefined;
}

/** Answers per question type over the seeds, as fractions. */
function balance(scenes: readonly Scene[]): Record<SceneQuestionType, Record<string, number>> {
  const counts: Record<string, Record<string, number>> = {};
  for (const scene of scenes) {
    for (const q of sceneQuestions(scene)) {
      counts[q.type] ??= {};
      const byAnswer = counts[q.type]!;
      byAnswer[q.answer] = (byAnswer[q.answer] ?? 0) + 1;
    }
  }
  const out: Record<string, Record<string, number>> = {};
  for (const [type, byAnswer] of Object.entries(counts)) {
    const total = Object.values(byAnswer).reduce((a, b) => a + b, 0);
    out[type] = Object.fromEntries(
      Object.entries(byAnswer).map(([k, v]) => [k, Number((v / total).toFixed(3))]),
    );
  }
  return out as Record<SceneQuestionType, Record<string, number>>;
}

describe('sceneQuestions', () => {
  it('asks only well-posed questions, with the answer an independent oracle computes', () => {
    for (const seed of SEEDS) {
      const scene = generateScene(seed);
      for (const q of sceneQuestions(scene)) {
        expect(oracle(scene.objects, q), `${seed}: ${q.question}`).toBe(q.answer);
        expect(q.rephrases.length).toBeGreaterThanOrEqual(2);
        expect(new Set([q.question, ...q.rephrases]).size).toBe(1 + q.rephrases.length);
        expect(q.answer).toMatch(/^[a-z]+$/);
      }
    }
  });

  it('asks every well-posed colour, shape and count question, and position for every pair >= 10 px apart', () => {
    for (const seed of SEEDS) {
      const { objects } = generateScene(seed);
      const qs = sceneQuestions({ seed, objects });
      const of = (t: SceneQuestionType) => qs.filter((q) => q.type === t).length;
      expect(of('colour')).toBe(
        SCENE_SHAPES.filter((s) => objects.filter((o) => o.shape === s).length === 1).length,
      );
      expect(of('shape')).toBe(
        SCENE_COLOURS.filter((c) => objects.filter((o) => o.colour === c).length === 1).length,
      );
      expect(of('count')).toBe(1);
      let far = 0;
      for (let i = 0; i < objects.length; i++) {
        for (let j = i + 1; j < objects.length; j++) if (Math.abs(objects[i]!.x - objects[j]!.x) >= 10) far++;
      }
      expect(of('position')).toBe(far);
      expect(of('existence')).toBe(2 * objects.length);
    }
  });

  it('is deterministic', () => {
    const scene = generateScene(1_000_007);
    expect(sceneQuestions(scene)).toEqual(sceneQuestions(generateScene(1_000_007)));
  });

  it('balances the answers (no class above 70% for existence and position)', () => {
    const result = balance(SEEDS.map(generateScene));
    console.info('scene answer balance over 300 eval seeds:', JSON.stringify(result));
    for (const share of Object.values(result.existence)) expect(share).toBeLessThanOrEqual(0.7);
    for (const share of Object.values(result.position)) expect(share).toBeLessThanOrEqual(0.7);
    expect(Object.keys(result.position).sort()).toEqual(['left', 'right']);
    expect(Object.keys(result.count).sort()).toEqual(['four', 'one', 'three', 'two']);
    expect(Object.keys(result.colour).sort()).toEqual([...SCENE_COLOURS].sort());
    expect(Object.keys(result.shape).sort()).toEqual([...SCENE_SHAPES].sort());
  });
});

describe('sceneCaption', () => {
  it('names the objects left to right, marking large ones', () => {
    const scene: Scene = {
      seed: 0,
      objects: [
        { colour: 'blue', shape: 'square', size: 'large', x: 44, y: 30 },
        { colour: 'red', shape: 'circle', size: 'small', x: 12, y: 30 },
      ],
    };
    expect(sceneCaption(scene)).toBe('a red circle and a large blue square');
    expect(sceneCaption({ seed: 0, objects: [scene.objects[1]!] })).toBe('a red circle');
    const three = {
      seed: 0,
      objects: [...scene.objects, { ...scene.objects[1]!, colour: 'white' as const, x: 60 }],
    };
    expect(sceneCaption(three)).toBe('a red circle, a large blue square and a white circle');
  });
});

describe('image rephrases (views)', () => {
  it('keep every question, answer and the caption, while moving objects in most views', () => {
    let moved = 0;
    let views = 0;
    for (const seed of SEEDS) {
      const scene = generateScene(seed);
      const questions = sceneQuestions(scene);
      const caption = sceneCaption(scene);
      for (const view of [1, 2, 3]) {
        const layout = sceneView(scene, view);
        expect(layout.view).toBe(view);
        expect(sceneQuestions(layout)).toEqual(questions);
        expect(sceneCaption(layout)).toBe(caption);
        // The oracle agrees on the moved layout too, so the answers hold for what is actually drawn.
        for (const q of questions) expect(oracle(layout.objects, q)).toBe(q.answer);
        views++;
        if (layout.objects.some((o, i) => o.x !== scene.objects[i]!.x || o.y !== scene.objects[i]!.y))
          moved++;
      }
    }
    console.info(`image rephrases that move objects: ${moved}/${views}`);
    expect(moved / views).toBeGreaterThan(0.95);
  });

  it('view 0 is the scene at canonical radii; other views are deterministic and differ', () => {
    const scene = generateScene(1_000_003);
    const canonical = sceneView(scene, 0);
    expect(canonical.objects.map(({ radius: _r, ...o }) => o)).toEqual(scene.objects);
    expect(sceneView(scene, 4)).toEqual(sceneView(scene, 4));
    expect(sceneView(scene, 4)).not.toEqual(sceneView(scene, 5));
  });
});
