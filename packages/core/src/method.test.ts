import { describe, expect, expectTypeOf, it } from 'vitest';
import { LlmeditError } from './errors/index.js';
import { defineHparams, field } from './hparams.js';
import {
  type AnyEditMethod,
  assertEditMethod,
  defineEditMethod,
  type EditMethodV1,
  type HparamsOf,
  InvalidMethodError,
  isKebabCase,
} from './method.js';
import type { EditableModel } from './model.js';

interface ToyHparams {
  scale: number;
}

function toyMethod(overrides: Record<string, unknown> = {}): EditMethodV1<ToyHparams> {
  return {
    specificationVersion: 'v1',
    id: 'toy-edit',
    displayName: 'Toy edit',
    capabilities: {
      batch: true,
      sequential: true,
      multimodal: false,
      requiresTraining: false,
      modifiesWeights: false,
    },
    hparams: defineHparams<ToyHparams>({ scale: 1 }, { scale: field.number() }),
    async doEdit(_context, model: EditableModel) {
      return { model, deltas: new Map(), restore() {}, dispose() {} };
    },
    ...overrides,
  } as EditMethodV1<ToyHparams>;
}

function errorOf(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('isKebabCase', () => {
  it('accepts method ids and rejects other spellings', () => {
    for (const id of ['rome', 'ft-l', 'r-rome', 'memit-fe', 'mend2']) expect(isKebabCase(id)).toBe(true);
    for (const id of ['', 'Rome', 'ft_l', 'ftL', 'rome-', '-rome', 'r--rome', '2rome', 'ro me']) {
      expect(isKebabCase(id)).toBe(false);
    }
  });
});

describe('defineEditMethod', () => {
  it('returns the very object it was given and keeps the hparams type', () => {
    const method = toyMethod();
    const defined = defineEditMethod(method);
    expect(defined).toBe(method);
    expectTypeOf<HparamsOf<typeof defined>>().toEqualTypeOf<ToyHparams>();
    expect(defined.hparams.parse({ scale: 3 })).toEqual({ scale: 3 });
  });

  it('runs doEdit through the contract types', async () => {
    const method = defineEditMethod(toyMethod());
    const model = { modelId: 'm' } as unknown as EditableModel;
    const outcome = await method.doEdit({ seed: 1 }, model, [{ prompt: 'p', targetNew: 't' }], { scale: 1 });
    expect(outcome.model).toBe(model);
    expect(outcome.deltas.size).toBe(0);
  });

  it.each([
    [{ id: 'Rome' }, "'Rome'", 'kebab-case'],
    [{ id: 'ft_l' }, "'ft_l'", 'kebab-case'],
    [{ id: 42 }, "'42'", 'kebab-case'],
    [{ specificationVersion: 'v2' }, "'toy-edit'", 'specificationVersion must be \'v1\', got "v2"'],
    [{ displayName: ' ' }, "'toy-edit'", 'displayName'],
    [{ capabilities: undefined }, "'toy-edit'", 'capabilities must be an object'],
    [
      {
        capabilities: {
          batch: 'yes',
          sequential: true,
          multimodal: false,
          requiresTraining: false,
          modifiesWeights: true,
        },
      },
      "'toy-edit'",
      'capabilities.batch must be a boolean',
    ],
    [
      { capabilities: { batch: true, sequential: true, multimodal: false, requiresTraining: false } },
      "'toy-edit'",
      'capabilities.modifiesWeights must be a boolean',
    ],
    [
      {
        capabilities: {
          batch: true,
          sequential: true,
          multimodal: false,
          requiresTraining: false,
          modifiesWeights: true,
          maxBatchSize: 0,
        },
      },
      "'toy-edit'",
      'maxBatchSize must be a positive integer',
    ],
    [
      {
        capabilities: {
          batch: false,
          sequential: true,
          multimodal: false,
          requiresTraining: false,
          modifiesWeights: true,
          maxBatchSize: 8,
        },
      },
      "'toy-edit'",
      'must be 1 (or absent) when capabilities.batch is false',
    ],
    [
      {
        capabilities: {
          batch: true,
          sequential: true,
          multimodal: false,
          requiresTraining: true,
          modifiesWeights: true,
        },
      },
      "'toy-edit'",
      'doPrepare is missing',
    ],
    [{ hparams: { defaults: {} } }, "'toy-edit'", 'hparams must be an HparamsSpec'],
    [{ doEdit: undefined }, "'toy-edit'", 'doEdit must be a function'],
    [{ doPrepare: 'train' }, "'toy-edit'", 'doPrepare must be a function'],
  ])('rejects %o', (overrides, namedId, message) => {
    const error = errorOf(() => defineEditMethod(toyMethod(overrides)));
    expect(error).toBeInstanceOf(InvalidMethodError);
    expect(LlmeditError.isInstance(error)).toBe(true);
    expect((error as InvalidMethodError).code).toBe('INVALID_METHOD');
    expect((error as Error).message).toContain(`Invalid editing method ${namedId}`);
    expect((error as Error).message).toContain(message);
  });

  it('accepts a trained method that has doPrepare, and a batch limit', () => {
    const method = toyMethod({
      capabilities: {
        batch: true,
        sequential: false,
        multimodal: false,
        requiresTraining: true,
        modifiesWeights: true,
        maxBatchSize: 16,
      },
      async doPrepare() {
        return { weights: [1, 2] };
      },
    });
    expect(defineEditMethod(method).capabilities.maxBatchSize).toBe(16);
  });
});

describe('assertEditMethod', () => {
  it('rejects non-objects', () => {
    expect(() => assertEditMethod(null)).toThrow(InvalidMethodError);
    expect(() => assertEditMethod('rome')).toThrow(/expected an object implementing EditMethodV1/);
  });

  it('narrows unknown values', () => {
    const value: unknown = toyMethod();
    assertEditMethod(value);
    expectTypeOf(value).toEqualTypeOf<AnyEditMethod>();
    expect(value.id).toBe('toy-edit');
  });
});
