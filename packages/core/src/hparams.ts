import { parse as parseYaml } from 'yaml';
import { InvalidHparamsError, LlmeditError } from './errors/index.js';
import type { HparamsSpec } from './method.js';

/**
 * Validates one hyperparameter value. `check` returns the value (arrays copied, so the result never aliases
 * the input) or throws `InvalidHparamsError` naming `path` ('layers[2]') and what was expected.
 */
export interface FieldValidator<T> {
  /** What is accepted, in words, for messages: 'an integer >= 0', 'a list of numbers'. */
  readonly expected: string;
  check(value: unknown, path: string): T;
}

export interface NumberOptions {
  readonly min?: number;
  readonly max?: number;
  /** Exclude `min` itself (learning rates: > 0). */
  readonly exclusiveMin?: boolean;
  readonly integer?: boolean;
}

export interface LengthOptions {
  readonly minLength?: number;
  readonly maxLength?: number;
}

/** Short, safe rendering of a rejected value for error messages. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list (${truncate(safeJson(value))})`;
  if (typeof value === 'string') return `string ${truncate(JSON.stringify(value))}`;
  if (typeof value === 'object') return `an object (${truncate(safeJson(value))})`;
  return `${typeof value} ${String(value)}`;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function truncate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function reject(path: string, expected: string, value: unknown): never {
  throw new InvalidHparamsError(path, `expected ${expected}, got ${describe(value)}`);
}

function numberValidator(options: NumberOptions = {}): FieldValidator<number> {
  const { min, max, exclusiveMin = false, integer = false } = options;
  const bounds: string[] = [];
  if (min !== undefined) bounds.push(`${exclusiveMin ? '>' : '>='} ${min}`);
  if (max !== undefined) bounds.push(`<= ${max}`);
  const expected = `${integer ? 'an integer' : 'a number'}${bounds.length > 0 ? ` ${bounds.join(' and ')}` : ''}`;
  return {
    expected,
    check(value, path) {
      if (typeof value !== 'number' || !Number.isFinite(value)) return reject(path, expected, value);
      if (integer && !Number.isInteger(value)) return reject(path, expected, value);
      if (min !== undefined && (exclusiveMin ? value <= min : value < min))
        return reject(path, expected, value);
      if (max !== undefined && value > max) return reject(path, expected, value);
      return value;
    },
  };
}

function booleanValidator(): FieldValidator<boolean> {
  const expected = 'a boolean';
  return {
    expected,
    check: (value, path) => (typeof value === 'boolean' ? value : reject(path, expected, value)),
  };
}

function stringValidator(options: { readonly nonEmpty?: boolean } = {}): FieldValidator<string> {
  const expected = options.nonEmpty === true ? 'a non-empty string' : 'a string';
  return {
    expected,
    check(value, path) {
      if (typeof value !== 'string' || (options.nonEmpty === true && value === '')) {
        return reject(path, expected, value);
      }
      return value;
    },
  };
}

type Literal = string | number | boolean | null;

function oneOfValidator<const T extends readonly Literal[]>(values: T): FieldValidator<T[number]> {
  const expected = `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
  return {
    expected,
    check(value, path) {
      return values.includes(value as Literal) ? (value as T[number]) : reject(path, expected, value);
    },
  };
}

function arrayValidator<T>(item: FieldValidator<T>, options: LengthOptions = {}): FieldValidator<T[]> {
  const { minLength, maxLength } = options;
  const sizes: string[] = [];
  if (minLength !== undefined) sizes.push(`at least ${minLength}`);
  if (maxLength !== undefined) sizes.push(`at most ${maxLength}`);
  const expected = `a list${sizes.length > 0 ? ` of ${sizes.join(' and ')}` : ''} of ${item.expected}`;
  return {
    expected,
    check(value, path) {
      if (!Array.isArray(value)) return reject(path, expected, value);
      if (minLength !== undefined && value.length < minLength) return reject(path, expected, value);
      if (maxLength !== undefined && value.length > maxLength) return reject(path, expected, value);
      return value.map((element, index) => item.check(element, `${path}[${index}]`));
    },
  };
}

type Validated<V> = V extends FieldValidator<infer T> ? T : never;

function unionValidator<const V extends readonly FieldValidator<unknown>[]>(
  ...options: V
): FieldValidator<Validated<V[number]>> {
  const expected = options.map((option) => option.expected).join(' or ');
  return {
    expected,
    check(value, path) {
      for (const option of options) {
        try {
          return option.check(value, path) as Validated<V[number]>;
        } catch (error) {
          if (!(error instanceof InvalidHparamsError)) throw error;
        }
      }
      return reject(path, expected, value);
    },
  };
}

/**
 * Field validators for `defineHparams`; each names the field and the expected type when it rejects.
 *
 * @example
 * field.number({ min: 0, exclusiveMin: true }); // a learning rate
 * field.numberArray({ integer: true, min: 0, minLength: 1 }); // layers
 * field.oneOf(['subject_last', 'last']);
 * field.union(field.number({ min: 0 }), field.oneOf([false])); // EasyEdit's `norm_constraint: false`
 */
export const field = {
  number: numberValidator,
  /** `number({ ...options, integer: true })`. */
  integer: (options: Omit<NumberOptions, 'integer'> = {}) => numberValidator({ ...options, integer: true }),
  boolean: booleanValidator,
  string: stringValidator,
  oneOf: oneOfValidator,
  array: arrayValidator,
  numberArray: (options: NumberOptions & LengthOptions = {}) =>
    arrayValidator(numberValidator(options), options),
  union: unionValidator,
} as const;

/** One validator per key of `H` (optional keys included). */
export type HparamsFields<H> = { readonly [K in keyof H]-?: FieldValidator<Exclude<H[K], undefined>> };

export interface DefineHparamsOptions<H> {
  /**
   * Keys accepted and dropped: EasyEdit fields this implementation has no use for (for example
   * `rewriteModuleTmp`, since our models locate modules through their layout), so existing YAML loads.
   */
  readonly ignoredKeys?: readonly string[];
  /** Checks across fields, run after each field is valid; throw `InvalidHparamsError` naming a field. */
  readonly refine?: (hparams: H) => void;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** Plain assignment would treat a '__proto__' key from parsed input as the prototype; define it instead. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** Levenshtein distance, for 'did you mean' hints on misspelt keys. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function suggestKey(key: string, valid: readonly string[]): string | undefined {
  const camel = snakeToCamelKey(key);
  const lower = key.toLowerCase();
  const exact = valid.find((candidate) => candidate === camel || candidate.toLowerCase() === lower);
  if (exact !== undefined) return exact;
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of valid) {
    const distance = editDistance(camel, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * Build a method's `HparamsSpec` from its defaults and one validator per key, without a schema library.
 * `parse(input)` takes an object (or `undefined` for all defaults), rejects unknown keys and wrongly typed
 * values with an `InvalidHparamsError` that names the key, and returns a fresh object: defaults for every
 * key the input leaves out or sets to `undefined`, validated input values for the rest. The defaults are
 * validated once here, so a bad default fails at import rather than at the first edit.
 *
 * @example
 * interface RomeHparams { layers: number[]; vLr: number; mom2Adjustment: boolean }
 * const spec = defineHparams<RomeHparams>(
 *   { layers: [5], vLr: 0.5, mom2Adjustment: false },
 *   { layers: field.numberArray({ integer: true, min: 0, minLength: 1 }), vLr: field.number({ min: 0 }),
 *     mom2Adjustment: field.boolean() },
 * );
 * spec.parse({ vLr: 0.1 }); // { layers: [5], vLr: 0.1, mom2Adjustment: false }
 * spec.parse({ v_lr: 0.1 }); // InvalidHparamsError: Invalid hyperparameter 'v_lr': unknown key (did you mean 'vLr'?) ...
 */
export function defineHparams<H extends object>(
  defaults: H,
  fields: HparamsFields<H>,
  options: DefineHparamsOptions<H> = {},
): HparamsSpec<H> {
  const validators = fields as Readonly<Record<string, FieldValidator<unknown>>>;
  const keys = Object.keys(validators);
  const ignored = new Set(options.ignoredKeys ?? []);
  if (!isPlainObject(defaults)) throw new InvalidHparamsError('defaults', 'expected a plain object');
  for (const key of Object.keys(defaults)) {
    if (!Object.hasOwn(validators, key)) throw new InvalidHparamsError(key, 'has a default but no validator');
  }
  const defaultValues = defaults as Record<string, unknown>;
  const frozenDefaults: Record<string, unknown> = {};
  for (const key of keys) {
    const value = defaultValues[key];
    if (value === undefined) continue;
    frozenDefaults[key] = validators[key]?.check(value, `defaults.${key}`);
  }
  deepFreeze(frozenDefaults);

  return {
    defaults: frozenDefaults as H,
    parse(input: unknown): H {
      const given = input === undefined ? {} : input;
      if (!isPlainObject(given)) {
        throw new InvalidHparamsError(
          '(hparams)',
          `expected an object of hyperparameters, got ${describe(input)}`,
        );
      }
      for (const key of Object.keys(given)) {
        if (Object.hasOwn(validators, key) || ignored.has(key)) continue;
        const suggestion = suggestKey(key, keys);
        throw new InvalidHparamsError(
          key,
          `unknown key${suggestion === undefined ? '' : ` (did you mean '${suggestion}'?)`}. ` +
            `Valid keys: ${keys.join(', ') || '(none)'}`,
        );
      }
      const result: Record<string, unknown> = {};
      for (const key of keys) {
        const value = given[key];
        if (value !== undefined) {
          result[key] = validators[key]?.check(value, key);
        } else if (frozenDefaults[key] !== undefined) {
          result[key] = structuredClone(frozenDefaults[key]);
        }
      }
      options.refine?.(result as H);
      return result as H;
    },
  };
}

/** 'v_lr' -> 'vLr', 'mom2_n_samples' -> 'mom2NSamples'; keys without underscores are returned unchanged. */
export function snakeToCamelKey(key: string): string {
  const leading = /^_*/.exec(key)?.[0] ?? '';
  const body = key.slice(leading.length);
  return leading + body.replace(/_+([a-zA-Z0-9])/g, (_, next: string) => next.toUpperCase());
}

/**
 * Convert every key of every plain object inside `value` (arrays included) from snake_case to camelCase.
 * Throws `InvalidHparamsError` when two keys of one object convert to the same name ('v_lr' and 'vLr').
 */
export function snakeToCamel(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeToCamel);
  if (!isPlainObject(value)) return value;
  const result: Record<string, unknown> = {};
  const origin = new Map<string, string>();
  for (const [key, inner] of Object.entries(value)) {
    const camel = snakeToCamelKey(key);
    const previous = origin.get(camel);
    if (previous !== undefined) {
      throw new InvalidHparamsError(
        key,
        `both '${previous}' and '${key}' are given; they name the same key '${camel}'`,
      );
    }
    origin.set(camel, key);
    setOwn(result, camel, snakeToCamel(inner));
  }
  return result;
}

/** A hyperparameter file could not be read or is not YAML describing a mapping. */
export class HparamsFileError extends LlmeditError {
  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('HPARAMS_FILE', `${file}: ${message}`, options);
  }
}

// Decimal numbers only: PyYAML (YAML 1.1) leaves '5e-4' and '1e-5' as strings and EasyEdit turns them into
// floats; names, module templates and 'inf'-like words must stay strings.
const numericString = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;

function numbersFromStrings(value: unknown): unknown {
  if (typeof value === 'string') return numericString.test(value.trim()) ? Number(value) : value;
  if (Array.isArray(value)) return value.map(numbersFromStrings);
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, numbersFromStrings(inner)]));
  }
  return value;
}

// EasyEdit keys that say where and how to run, not what to compute; kept apart so a method's `parse` only
// sees its algorithm's hyperparameters.
const runtimeKeys = new Set(['device', 'modelParallel', 'fp16', 'bf16', 'statsDir', 'resultsDir']);

/** An EasyEdit hparams YAML, read and converted to llmedit conventions. */
export interface EasyEditHparamsFile {
  /** `alg_name` as written ('ROME', 'MEMIT', 'R-ROME'). */
  readonly algName?: string;
  /** `model_name` as written (a path or hub id; llmedit takes the model from the caller instead). */
  readonly modelName?: string;
  /** Every other algorithm key, camelCase, numeric strings as numbers; ready for `method.hparams.parse`. */
  readonly hparams: Record<string, unknown>;
  /** Execution settings EasyEdit keeps in the same file: device, modelParallel, fp16, bf16, statsDir, resultsDir. */
  readonly runtime: Record<string, unknown>;
}

export interface ReadEasyEditYamlOptions {
  /** Expected `alg_name` (compared ignoring case, '-' and '_'): 'ROME', 'memit', 'r-rome'. */
  readonly algName?: string;
  /** Name of the file in error messages. */
  readonly source?: string;
}

function normaliseAlgName(name: string): string {
  return name.toLowerCase().replace(/[-_]/g, '');
}

/**
 * Read the text of an EasyEdit hyperparameter YAML (`hparams/ROME/gpt2-xl.yaml`) the way EasyEdit does:
 * YAML 1.1 as PyYAML reads it, numeric strings such as '5e-4' converted to numbers, and `alg_name` checked
 * against `options.algName`. Keys become camelCase.
 *
 * @example
 * const file = readEasyEditYaml('alg_name: ROME\nlayers: [5]\nv_lr: 5e-1\n', { algName: 'rome' });
 * file.hparams; // { layers: [5], vLr: 0.5 }
 * rome.hparams.parse(file.hparams);
 */
export function readEasyEditYaml(text: string, options: ReadEasyEditYamlOptions = {}): EasyEditHparamsFile {
  const source = options.source ?? 'hparams YAML';
  let document: unknown;
  try {
    document = parseYaml(text, { version: '1.1' });
  } catch (error) {
    throw new HparamsFileError(source, `not valid YAML: ${(error as Error).message}`, { cause: error });
  }
  if (!isPlainObject(document)) {
    throw new HparamsFileError(source, `expected a mapping of hyperparameters, got ${describe(document)}`);
  }
  const { alg_name: algName, model_name: modelName, ...rest } = document;
  if (algName !== undefined && typeof algName !== 'string') {
    throw new InvalidHparamsError('alg_name', `${source}: expected a string, got ${describe(algName)}`);
  }
  if (modelName !== undefined && typeof modelName !== 'string') {
    throw new InvalidHparamsError('model_name', `${source}: expected a string, got ${describe(modelName)}`);
  }
  if (options.algName !== undefined) {
    if (algName === undefined) {
      throw new InvalidHparamsError('alg_name', `${source}: missing; expected '${options.algName}'`);
    }
    if (normaliseAlgName(algName) !== normaliseAlgName(options.algName)) {
      throw new InvalidHparamsError(
        'alg_name',
        `${source} is for '${algName}', but it was loaded for '${options.algName}'`,
      );
    }
  }
  const converted = numbersFromStrings(snakeToCamel(rest)) as Record<string, unknown>;
  const hparams: Record<string, unknown> = {};
  const runtime: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(converted)) {
    setOwn(runtimeKeys.has(key) ? runtime : hparams, key, value);
  }
  return {
    ...(algName === undefined ? {} : { algName }),
    ...(modelName === undefined ? {} : { modelName }),
    hparams,
    runtime,
  };
}

const FS_PROMISES = 'node:fs/promises';

/**
 * Read an EasyEdit hyperparameter file from disk (`.yaml` is appended when the path has no YAML extension,
 * as EasyEdit does). See `readEasyEditYaml`.
 *
 * @example
 * const { hparams } = await loadEasyEditYaml('hparams/ROME/gpt2-xl', { algName: 'ROME' });
 */
export async function loadEasyEditYaml(
  path: string,
  options: Omit<ReadEasyEditYamlOptions, 'source'> = {},
): Promise<EasyEditHparamsFile> {
  const file = /\.ya?ml$/i.test(path) ? path : `${path}.yaml`;
  // Imported lazily, through a variable that bundlers leave alone, so that core's entry stays loadable and
  // bundleable where there is no file system (browsers); only this Node-only function needs it.
  const { readFile } = (await import(/* @vite-ignore */ FS_PROMISES)) as typeof import('node:fs/promises');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new HparamsFileError(file, `cannot be read: ${(error as Error).message}`, { cause: error });
  }
  return readEasyEditYaml(text, { ...options, source: file });
}

/** One method's EasyEdit readers: from a file already read, from YAML text, and from a path. */
export interface EasyEditReaders<H> {
  /** The hyperparameters of a file read with `readEasyEditYaml`; a different `alg_name` is refused. */
  fromFile(file: EasyEditHparamsFile): H;
  /** Parse YAML text (`alg_name` required and checked). */
  read(text: string, options?: Omit<ReadEasyEditYamlOptions, 'algName'>): H;
  /** Read a YAML file (`alg_name` required and checked). */
  load(path: string): Promise<H>;
}

/**
 * The EasyEdit readers of a method with one `alg_name`, so that every method package checks the name and
 * parses the same way.
 *
 * @example
 * const ikeYaml = easyEditReaders('IKE', ikeHparams);
 * const hparams = await ikeYaml.load('hparams/IKE/gpt2-xl.yaml');
 */
export function easyEditReaders<H>(algName: string, spec: HparamsSpec<H>): EasyEditReaders<H> {
  const fromFile = (file: EasyEditHparamsFile): H => {
    if (file.algName !== undefined && normaliseAlgName(file.algName) !== normaliseAlgName(algName)) {
      throw new InvalidHparamsError('alg_name', `expected '${algName}', got '${file.algName}'`);
    }
    return spec.parse(file.hparams);
  };
  return {
    fromFile,
    read: (text, options = {}) => fromFile(readEasyEditYaml(text, { ...options, algName })),
    load: async (path) => fromFile(await loadEasyEditYaml(path, { algName })),
  };
}
