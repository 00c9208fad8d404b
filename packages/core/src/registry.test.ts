import { describe, expect, expectTypeOf, it } from 'vitest';
import { UnknownMethodError } from './errors/index.js';
import { defineHparams, field } from './hparams.js';
import { defineEditMethod, type EditMethodV1, InvalidMethodError } from './method.js';
import { createMethodRegistry } from './registry.js';

function method<H extends object>(id: string, defaults: H, batch = false): EditMethodV1<H> {
  const fields = Object.fromEntries(Object.keys(defaults).map((key) => [key, field.number()]));
  return defineEditMethod<H>({
    specificationVersion: 'v1',
    id,
    displayName: id.toUpperCase(),
    capabilities: {
      batch,
      sequential: true,
      multimodal: false,
      requiresTraining: false,
      modifiesWeights: true,
    },
    hparams: defineHparams<H>(defaults, fields as never),
    async doEdit(_context, model) {
      return { model, deltas: new Map(), restore() {}, dispose() {} };
    },
  });
}

const rome = method('rome', { vLr: 0.5 });
const memit = method('memit', { mom2UpdateWeight: 20000 }, true);
const ftL = method('ft-l', { lr: 5e-4 }, true);

describe('createMethodRegistry', () => {
  const registry = createMethodRegistry({ rome, memit, 'ft-l': ftL });

  it('looks methods up by id, with their own types', () => {
    expect(registry.get('rome')).toBe(rome);
    expect(registry.get('ft-l')).toBe(ftL);
    expectTypeOf(registry.get('memit')).toEqualTypeOf<EditMethodV1<{ mom2UpdateWeight: number }>>();
    expect(registry.get('memit').hparams.parse({}).mom2UpdateWeight).toBe(20000);
  });

  it('lists ids and methods in registration order', () => {
    expect(registry.ids()).toEqual(['rome', 'memit', 'ft-l']);
    expect(registry.list()).toEqual([rome, memit, ftL]);
    expect(
      registry
        .list()
        .filter((m) => m.capabilities.batch)
        .map((m) => m.id),
    ).toEqual(['memit', 'ft-l']);
  });

  it('answers has() and narrows the id', () => {
    const id: string = 'memit';
    expect(registry.has(id)).toBe(true);
    expect(registry.has('alphaedit')).toBe(false);
    expect(registry.has('toString')).toBe(false);
    if (registry.has(id)) expectTypeOf(id).toEqualTypeOf<'rome' | 'memit' | 'ft-l'>();
  });

  it('throws UnknownMethodError listing the known ids', () => {
    const id: string = 'romee';
    expect(() => registry.get(id)).toThrow(UnknownMethodError);
    expect(() => registry.get(id)).toThrow(
      "Unknown editing method 'romee'. Known methods: rome, memit, ft-l",
    );
    let caught: unknown;
    try {
      registry.get('toString');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UnknownMethodError);
    expect((caught as UnknownMethodError).known).toEqual(['rome', 'memit', 'ft-l']);
    expect((caught as UnknownMethodError).code).toBe('UNKNOWN_METHOD');
    expect(() => createMethodRegistry({}).get('rome')).toThrow('Known methods: (none)');
  });

  it('rejects a key that differs from the method id', () => {
    expect(() => createMethodRegistry({ rome, ftL })).toThrow(InvalidMethodError);
    expect(() => createMethodRegistry({ rome, ftL })).toThrow(
      "Invalid editing method 'ft-l': registered under key 'ftL'; the key must equal the method id (write { 'ft-l': ... })",
    );
    expect(() => createMethodRegistry({ memit: rome })).toThrow("registered under key 'memit'");
  });

  it('rejects values that are not methods', () => {
    expect(() => createMethodRegistry({ rome: { id: 'rome' } as never })).toThrow(
      "Invalid editing method 'rome': specificationVersion must be 'v1'",
    );
    expect(() => createMethodRegistry([rome] as never)).toThrow('expects an object { id: method }');
  });

  it('extends into a new registry and rejects duplicate ids', () => {
    const more = registry.extend({ 'ft-m': method('ft-m', { lr: 1e-4 }) });
    expect(more.ids()).toEqual(['rome', 'memit', 'ft-l', 'ft-m']);
    expect(more.get('ft-m').id).toBe('ft-m');
    expect(registry.has('ft-m')).toBe(false);
    expect(() => registry.extend({ rome: method('rome', { vLr: 0.1 }) })).toThrow(
      "Invalid editing method 'rome': registered twice; method ids must be unique in a registry",
    );
  });
});
