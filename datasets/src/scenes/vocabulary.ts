/** Side of every scene image in pixels (images are SCENE_SIZE x SCENE_SIZE RGB). */
export const SCENE_SIZE = 64;

/** Colour words. Hues are far apart (see SCENE_RGB) so that jitter and noise never make one look like another. */
export const SCENE_COLOURS = ['red', 'green', 'blue', 'yellow', 'purple', 'white'] as const;
/** Shape words; all four are drawn axis-aligned inside the same bounding square, so size is comparable. */
export const SCENE_SHAPES = ['circle', 'square', 'triangle', 'cross'] as const;
export const SCENE_OBJECT_SIZES = ['small', 'large'] as const;

export type SceneColour = (typeof SCENE_COLOURS)[number];
export type SceneShape = (typeof SCENE_SHAPES)[number];
export type SceneObjectSize = (typeof SCENE_OBJECT_SIZES)[number];

/** Canonical RGB in [0, 1] of each colour word (on a dark grey background, 0.2). */
export const SCENE_RGB: Readonly<Record<SceneColour, readonly [number, number, number]>> = {
  red: [0.9, 0.12, 0.12],
  green: [0.12, 0.78, 0.2],
  blue: [0.18, 0.32, 0.95],
  yellow: [0.95, 0.88, 0.12],
  purple: [0.62, 0.18, 0.82],
  white: [0.95, 0.95, 0.95],
};

/** Canonical background grey. */
export const SCENE_BACKGROUND = 0.2;

/**
 * Half-side of an object's bounding square ("radius") per size class: the canonical value and the range an
 * image rephrase may draw from. The classes are far apart (<= 8 vs >= 11) so size never becomes ambiguous.
 */
export const SCENE_RADIUS: Readonly<
  Record<SceneObjectSize, { canonical: number; min: number; max: number }>
> = {
  small: { canonical: 7, min: 6, max: 8 },
  large: { canonical: 12, min: 11, max: 14 },
};

/** The count answer words, indexed by count - 1. */
export const COUNT_WORDS = ['one', 'two', 'three', 'four'] as const;
