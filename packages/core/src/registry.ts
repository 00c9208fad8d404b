import { UnknownMethodError } from './errors/index.js';
import { type AnyEditMethod, assertEditMethod, InvalidMethodError } from './method.js';

/** A fixed set of editing methods, looked up by id. Build one with `createMethodRegistry`. */
export interface MethodRegistry<T extends Readonly<Record<string, AnyEditMethod>>> {
  /** The method registered under `id`; throws `UnknownMethodError` (listing the known ids) otherwise. */
  get<K extends keyof T & string>(id: K): T[K];
  get(id: string): AnyEditMethod;
  has(id: string): id is keyof T & string;
  /** The registered ids, in registration order. */
  ids(): (keyof T & string)[];
  /** The registered methods, in registration order. */
  list(): T[keyof T][];
  /** A new registry with `more` added (for third-party methods); duplicate ids throw `InvalidMethodError`. */
  extend<U extends Readonly<Record<string, AnyEditMethod>>>(more: U): MethodRegistry<T & U>;
}

/**
 * Build a registry from an explicit object of methods; nothing registers itself on import. Each key must
 * equal its method's `id` (so `registry.get(key)` and `method.id` never disagree); ids with a dash need
 * a quoted key.
 *
 * @example
 * const methods = createMethodRegistry({ rome, memit, 'ft-l': ftL });
 * methods.get('rome').capabilities.batch; // false
 * methods.get('romee'); // UnknownMethodError: Unknown editing method 'romee'. Known methods: rome, memit, ft-l
 */
export function createMethodRegistry<T extends Readonly<Record<string, AnyEditMethod>>>(
  methods: T,
): MethodRegistry<T> {
  const byId = new Map<string, AnyEditMethod>();
  addAll(byId, methods);
  return registryOver<T>(byId);
}

function addAll(byId: Map<string, AnyEditMethod>, methods: Readonly<Record<string, unknown>>): void {
  if (typeof methods !== 'object' || methods === null || Array.isArray(methods)) {
    throw new InvalidMethodError(String(methods), 'createMethodRegistry expects an object { id: method }');
  }
  for (const [key, method] of Object.entries(methods)) {
    assertEditMethod(method);
    if (method.id !== key) {
      throw new InvalidMethodError(
        method.id,
        `registered under key '${key}'; the key must equal the method id (write { '${method.id}': ... })`,
      );
    }
    if (byId.has(key)) {
      throw new InvalidMethodError(key, 'registered twice; method ids must be unique in a registry');
    }
    byId.set(key, method);
  }
}

function registryOver<T extends Readonly<Record<string, AnyEditMethod>>>(
  byId: ReadonlyMap<string, AnyEditMethod>,
): MethodRegistry<T> {
  return {
    get(id: string) {
      const method = byId.get(id);
      if (method === undefined) throw new UnknownMethodError(id, [...byId.keys()]);
      // biome-ignore lint/suspicious/noExplicitAny: the overloads give callers the precise type.
      return method as any;
    },
    has(id: string): id is keyof T & string {
      return byId.has(id);
    },
    ids() {
      return [...byId.keys()] as (keyof T & string)[];
    },
    list() {
      return [...byId.values()] as T[keyof T][];
    },
    extend<U extends Readonly<Record<string, AnyEditMethod>>>(more: U) {
      const next = new Map(byId);
      addAll(next, more);
      return registryOver<T & U>(next);
    },
  };
}
